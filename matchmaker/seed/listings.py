"""Demo results and needs (listings.json), taken through their life cycles by the services."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Mode, Organisation, Result, User
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.market import listings
from matchmaker.services.market.listings import NeedData, ResultData
from matchmaker.services.platform import taxonomy

#: States a result or need of the demo may end in; "edited" is a listed result whose new
#: version waits for review while the approved one stays public.
RESULT_STATES = (
    "draft",
    "pending_review",
    "rejected",
    "listed",
    "edited",
    "withdrawn",
    "expired",
    "transferred",
)
NEED_STATES = ("draft", "pending_review", "rejected", "open", "withdrawn", "expired")


def listings_data() -> dict[str, Any]:
    """The demo results and needs."""
    text = resources.files("matchmaker.seed").joinpath("listings.json").read_text("utf-8")
    return json.loads(text)


def load_listings(
    *, admin: User | None, echo: Any = print, now: datetime | None = None
) -> dict[str, int]:
    """Create the demo listings as their owners and the reviewer would; returns counts."""
    if admin is None:
        echo("  listings skipped: the demo has no administrator")
        return {"results": 0, "needs": 0}
    now = now or utcnow()
    taxonomy.ensure_key_industries()
    loader = _Loader(admin=admin, now=now)
    data = listings_data()
    for entry in data["results"]:
        loader.result(entry)
    for entry in data["needs"]:
        loader.need(entry)
    expiry = listings.expire_listings(now=now)
    echo(
        f"  listings: {len(data['results'])} results ({_counts(data['results'])}), "
        f"{len(data['needs'])} needs ({_counts(data['needs'])}); "
        f"{expiry['expired']} expired, {expiry['reminded']} reminded"
    )
    return {"results": len(data["results"]), "needs": len(data["needs"])}


def _counts(entries: list[dict[str, Any]]) -> str:
    counts = Counter(e["state"] for e in entries)
    return ", ".join(f"{state} {n}" for state, n in sorted(counts.items()))


class _Loader:
    """Looks up owners and fields once, then plays each listing's history."""

    def __init__(self, *, admin: User, now: datetime) -> None:
        self.admin = admin
        self.now = now
        self.today = now.astimezone(CHINA).date()
        self.fields: dict[str, int] = {}
        self.owners: dict[str, User] = {}

    # --- lookups ------------------------------------------------------------------------------
    def field_id(self, code: str) -> int:
        if code not in self.fields:
            field = taxonomy.field_by_code(code)
            if field is None:
                raise LookupError(f"unknown field code {code!r} in listings.json")
            self.fields[code] = field.id
        return self.fields[code]

    def owner(self, org_name: str) -> User:
        """The first member of the organisation (the one who registered it)."""
        if org_name not in self.owners:
            user = db.session.scalar(
                sa.select(User)
                .join(Organisation, User.organisation_id == Organisation.id)
                .where(Organisation.name == org_name)
                .order_by(User.id)
                .limit(1)
            )
            if user is None:
                raise LookupError(f"unknown organisation {org_name!r} in listings.json")
            self.owners[org_name] = user
        return self.owners[org_name]

    # --- data ---------------------------------------------------------------------------------
    def _common(self, entry: dict[str, Any]) -> dict[str, Any]:
        contact = entry["contact"]
        return {
            "title": entry["title"],
            "field_id": self.field_id(entry["field"]),
            "keywords": tuple(entry["keywords"]),
            "region": entry["region"],
            "contact_name": contact["name"],
            "contact_phone": contact["phone"],
            "contact_email": contact["email"],
        }

    def result_data(self, entry: dict[str, Any]) -> ResultData:
        modes = Mode(0)
        for name in entry["modes"]:
            modes |= Mode[name.upper()]
        price = entry["price_wan"]
        return ResultData(
            **self._common(entry),
            summary=entry["summary"],
            description=entry["description"],
            trl=entry["trl"],
            patents=tuple(entry["patents"]),
            software_copyrights=tuple(entry["software_copyrights"]),
            modes=int(modes),
            trial_terms=entry["trial_terms"],
            price_wan=None if price is None else Decimal(str(price)),
            team=entry["team"],
        )

    def need_data(self, entry: dict[str, Any]) -> NeedData:
        return NeedData(
            **self._common(entry),
            description=entry["description"],
            targets=entry["targets"],
            existing_base=entry["existing_base"],
            budget_wan=Decimal(str(entry["budget_wan"])),
            deadline=self.today + timedelta(days=entry["deadline_days"]),
        )

    # --- histories ----------------------------------------------------------------------------
    def result(self, entry: dict[str, Any]) -> None:
        state = entry["state"]
        if state not in RESULT_STATES:
            raise ValueError(f"unknown result state {state!r}: {entry['title']}")
        owner = self.owner(entry["org"])
        listing = listings.create_listing(actor=owner, data=self.result_data(entry))
        self._play(owner, listing, entry)
        if state == "edited":
            edit = entry["edit"]
            data = self.result_data({**entry, **edit})
            listings.update_listing(actor=owner, listing=listing, data=data)
        elif state == "transferred":
            assert isinstance(listing, Result)  # created from result_data
            listings.mark_transferred(actor=owner, listing=listing)

    def need(self, entry: dict[str, Any]) -> None:
        state = entry["state"]
        if state not in NEED_STATES:
            raise ValueError(f"unknown need state {state!r}: {entry['title']}")
        owner = self.owner(entry["org"])
        listing = listings.create_listing(actor=owner, data=self.need_data(entry))
        self._play(owner, listing, entry)

    def _play(self, owner: User, listing: Any, entry: dict[str, Any]) -> None:
        """Submit, review and withdraw as the entry's state requires (expiry comes later)."""
        state = entry["state"]
        if state == "draft":
            return
        listings.submit_listing(actor=owner, listing=listing)
        if state == "pending_review":
            return
        if state == "rejected":
            review = entry["review"]
            listings.reject_listing(
                actor=self.admin, listing=listing, code=review["code"], reason=review["reason"]
            )
            return
        # Everything else was approved once, some time ago; "expired" ones long enough ago
        # that their validity has run out by the time expire_listings runs.
        approved_at = self.now - timedelta(days=entry["approved_days_ago"], hours=2)
        listings.approve_listing(actor=self.admin, listing=listing, now=approved_at)
        if state == "withdrawn":
            listings.withdraw_listing(
                actor=owner, listing=listing, reason=entry.get("withdraw_reason")
            )
