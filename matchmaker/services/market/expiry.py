"""The clock of results and needs: remind owners before a listing expires, then expire it."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Need, NeedStatus, Result, ResultStatus
from matchmaker.models.base import utcnow
from matchmaker.services.market import listing_states, publication
from matchmaker.services.market.listing_states import (
    REMIND_BEFORE,
    LinkFor,
    default_link,
    local_date,
    owners,
)
from matchmaker.services.platform.notifications import notify


def expire_listings(
    *, now: datetime | None = None, link_for: LinkFor = default_link
) -> dict[str, int]:
    """Remind owners 14 days ahead and expire what was not confirmed; safe to run repeatedly.

    A listing under re-review whose approved version is public loses that version (its
    status stays pending_review); a public one expires.
    """
    now = now or utcnow()
    counts = {"reminded": 0, "expired": 0}
    _run(Result, ResultStatus.LISTED, now, link_for, counts)
    _run(Need, NeedStatus.OPEN, now, link_for, counts)
    db.session.flush()
    return counts


L = TypeVar("L", Result, Need)


def _run(
    model: type[L], public: str, now: datetime, link_for: LinkFor, counts: dict[str, int]
) -> None:
    """Expire and remind the listings of one kind."""
    live = model.status.in_([public, "pending_review"])
    due = db.session.scalars(
        sa.select(model).where(live, model.expires_at.is_not(None), model.expires_at <= now)
    ).all()
    for listing in due:
        if listing.status == "pending_review" and not listing.has_public_version:
            continue
        if listing_states.machine_of(listing).can(listing, "expire"):
            listing_states.step(listing, "expire", actor=None)
        else:  # only the public version goes: audited as an expiry that keeps the state
            before = {"status": str(listing.status)}
            listing_states.audit(None, listing, "expire", before)
        publication.unpublish(listing)
        notify(
            users=owners(listing),
            kind="listing.expired",
            params={"title": listing.title},
            link=link_for(listing),
        )
        counts["expired"] += 1
    soon = db.session.scalars(
        sa.select(model).where(
            model.status == public,
            model.expires_at > now,
            model.expires_at <= now + REMIND_BEFORE,
            model.reminded_at.is_(None),
        )
    ).all()
    for listing in soon:
        listing.reminded_at = now
        notify(
            users=owners(listing),
            kind="listing.expiring",
            params={"title": listing.title, "expires": local_date(listing.expires_at)},
            link=link_for(listing),
        )
        counts["reminded"] += 1
