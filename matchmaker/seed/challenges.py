"""Demo 揭榜挂帅 data (challenges.json): challenges in every state, conversion offers, deals.

Each challenge is played through the services in the order people would act: the owner
publishes on an open demo need (the admin approves a 政府榜, which waits for review),
applicants draft and submit before the deadline, the clock closes the window, the owner
screens, the panel scores, the owner selects, records the deal and adds milestones, the
solver delivers evidence and the owner accepts or asks for rework.
Timestamps that the services accept (`now=`) are back-dated; the others are the load time.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    Challenge,
    ConversionOffer,
    Mode,
    Need,
    Organisation,
    Result,
    User,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.models.stored_file import StoredFile
from matchmaker.seed.deals import DealPlayer
from matchmaker.services.challenges import (
    applications,
    challenge_review,
    challenges,
    conversion,
    panels,
)
from matchmaker.services.challenges.challenge_states import CHALLENGE
from matchmaker.services.platform import files, uow

CHALLENGE_STATES = (
    "open",
    "evaluating",
    "awarded",
    "contracted",
    "in_progress",
    "accepted",
    "unawarded",
    "withdrawn",
    "terminated",
)
_STORED_NAME = re.compile(r"[0-9a-f]{32}")


def challenges_data() -> dict[str, Any]:
    """The demo challenges, conversion offers and adoption requests."""
    text = resources.files("matchmaker.seed").joinpath("challenges.json").read_text("utf-8")
    return json.loads(text)


def load_challenges(
    *, admin: User | None, echo: Any = print, now: datetime | None = None
) -> dict[str, int]:
    """Play the demo challenges and offers through the services; returns counts."""
    if admin is None:
        echo("  challenges skipped: the demo has no administrator")
        return {"challenges": 0, "applications": 0, "offers": 0, "adoptions": 0, "deals": 0}
    loader = _Loader(admin=admin, now=now or utcnow())
    data = challenges_data()
    for entry in data["challenges"]:
        loader.challenge(entry)
    for entry in data["offers"]:
        loader.offer(entry)
    # The evidence files are staged by the service; the old demo's files go after the commit.
    orphans = _orphan_files()
    uow.after_commit(lambda: _remove(orphans))
    counts = {
        "challenges": len(data["challenges"]),
        "applications": sum(len(e["applications"]) for e in data["challenges"]),
        "offers": len(data["offers"]),
        "adoptions": sum(len(e["requests"]) for e in data["offers"]),
        "deals": loader.dealer.count,
    }
    states = Counter(e["state"] for e in data["challenges"])
    by_state = ", ".join(f"{s} {states[s]}" for s in CHALLENGE_STATES)
    echo(
        f"  challenges: {counts['challenges']} ({by_state}), "
        f"{counts['applications']} applications; {counts['offers']} conversion offers, "
        f"{counts['adoptions']} adoption requests; {counts['deals']} deals, "
        f"{len(loader.dealer.evidence)} evidence files"
    )
    return counts


def _orphan_files() -> list[Path]:
    """Stored files no row refers to (evidence of an earlier demo that --reset deleted)."""
    referenced: set[str] = set()
    # every table of stored files (listing, application, evidence, 对接, organisation scans)
    for model in StoredFile.__subclasses__():
        referenced.update(db.session.scalars(sa.select(model.stored_name)))
    return sorted(
        path
        for path in files.storage_dir().iterdir()
        if _STORED_NAME.fullmatch(path.name.removesuffix(".part"))
        and path.name.removesuffix(".part") not in referenced
    )


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


class _Loader:
    """Looks people and listings up once, then plays each challenge's and offer's history."""

    def __init__(self, *, admin: User, now: datetime) -> None:
        self.admin = admin
        self.now = now
        self.today = now.astimezone(CHINA).date()
        self.members: dict[str, User] = {}
        # No reference back to the loader: a cycle would keep its rows alive after the load.
        self.dealer = DealPlayer(now=now, today=self.today)

    # --- time ---------------------------------------------------------------------------------
    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def deadline(self, offset: int) -> datetime:
        """Applications close at 17:00 China time, `offset` days from today."""
        return datetime.combine(self.day(offset), time(17), CHINA)

    # --- lookups ------------------------------------------------------------------------------
    def member(self, org_name: str) -> User:
        """The first member of the organisation (the one who registered it)."""
        if org_name not in self.members:
            user = db.session.scalar(
                sa.select(User)
                .join(Organisation, User.organisation_id == Organisation.id)
                .where(Organisation.name == org_name)
                .order_by(User.id)
                .limit(1)
            )
            if user is None:
                raise LookupError(f"unknown organisation {org_name!r} in challenges.json")
            self.members[org_name] = user
        return self.members[org_name]

    def user(self, email: str) -> User:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            raise LookupError(f"unknown user {email!r} in challenges.json")
        return user

    def organisation(self, name: str) -> Organisation:
        org = self.member(name).organisation
        if org is None:  # pragma: no cover - member() finds users through their organisation
            raise LookupError(f"unknown organisation {name!r} in challenges.json")
        return org

    @staticmethod
    def listing(model: type[Need] | type[Result], title: str) -> Any:
        listing = db.session.scalar(sa.select(model).where(model.title == title))
        if listing is None:
            raise LookupError(f"unknown {model.KIND} {title!r} in challenges.json")
        return listing

    # --- data ---------------------------------------------------------------------------------
    def terms(self, entry: dict[str, Any]) -> challenges.ChallengeTerms:
        extra = {"weights": entry["weights"]} if "weights" in entry else {}
        return challenges.ChallengeTerms(
            deadline_at=self.deadline(entry["deadline_days"]),
            success_criteria=entry["success_criteria"],
            deliverables=entry["deliverables"],
            ip_ownership=entry["ip_ownership"],
            ip_licence=entry["ip_licence"],
            payment_form=entry["payment_form"],
            bounty_wan=Decimal(str(entry["bounty_wan"] or 0)),  # 0 = 面议
            visibility=entry.get("visibility", "public"),
            has_panel=entry["has_panel"],
            is_government=entry.get("publisher") == "government",
            **extra,
        )

    def proposal(self, actor: User, entry: dict[str, Any]) -> applications.ApplicationData:
        price = entry["price_wan"]
        data = applications.ApplicationData(
            approach=entry["approach"],
            indicators=entry["indicators"],
            trl=entry["trl"],
            plan=tuple(
                {"title": step["title"], "due": self.day(step["due_days"]).isoformat()}
                for step in entry["plan"]
            ),
            team=entry["team"],
            price_wan=None if price is None else Decimal(str(price)),
            terms=entry["terms"],
        )
        if "from_result" not in entry:
            return data
        # 用我的成果揭榜: start from the result, then write the proposal for this challenge.
        result = self.listing(Result, entry["from_result"])
        prefilled = applications.prefill_from_result(actor=actor, result=result)
        return replace(data, source_result_id=prefilled.source_result_id)

    # --- challenges ---------------------------------------------------------------------------
    def challenge(self, entry: dict[str, Any]) -> None:
        state = entry["state"]
        if state not in CHALLENGE_STATES:
            raise ValueError(f"unknown challenge state {state!r}: {entry['need']}")
        need = self.listing(Need, entry["need"])
        government = entry.get("publisher") == "government"
        owner = self.admin if government else self.member(need.organisation.name)
        published = self.ago(entry["published_days_ago"])
        challenge = challenges.publish_challenge(
            actor=owner, need=need, terms=self.terms(entry), now=published
        )
        if CHALLENGE.can(need, "approve"):  # a 政府榜 waits for the platform's review
            challenge_review.approve_challenge(actor=self.admin, challenge=challenge, now=published)
        if entry.get("invite"):
            challenges.invite_organisations(
                actor=owner,
                challenge=challenge,
                organisations=[self.organisation(name) for name in entry["invite"]],
            )
        played = [(self.apply(challenge, a), a) for a in entry["applications"]]
        if state == "withdrawn":
            challenges.withdraw_challenge(
                actor=owner, challenge=challenge, reason=entry["withdraw_reason"]
            )
            return
        if state == "open":
            return
        # The clock closes the window at the deadline (unawarded if nobody applied).
        challenges.close_applications(actor=None, challenge=challenge, now=challenge.deadline_at)
        self.screen(owner, played)
        self.score(owner, challenge, entry.get("panel", []), played)
        if "end_reason" in entry:
            challenges.end_unawarded(actor=owner, challenge=challenge, reason=entry["end_reason"])
        if "selection" in entry:
            self.select(owner, entry["selection"], played)
        if "deal" in entry:
            (winner,) = [app for app, a in played if a["state"] == "selected"]
            self.dealer.play(owner, entry["deal"], member=self.member, application=winner)

    def apply(self, challenge: Challenge, entry: dict[str, Any]) -> Application:
        """Draft, submit (back-dated, before the deadline) and perhaps withdraw."""
        actor = self.member(entry["org"])
        when = self.ago(entry.get("submitted_days_ago", 0))
        application = applications.save_application_draft(
            actor=actor, challenge=challenge, data=self.proposal(actor, entry), now=when
        )
        if entry["state"] == "draft":
            return application
        applications.submit_application(actor=actor, application=application, now=when)
        if entry["state"] == "withdrawn":
            applications.withdraw_application(
                actor=actor, application=application, reason=entry["withdraw_reason"]
            )
        return application

    @staticmethod
    def screen(owner: User, played: list[tuple[Application, dict[str, Any]]]) -> None:
        """The owner's pipeline after the deadline: decline, shortlist, send to the final."""
        for application, entry in played:
            if "decline" in entry:
                applications.decline_application(
                    actor=owner, application=application, **entry["decline"]
                )
                continue
            reached = entry.get("reached") or {
                "selected": "shortlisted",
                "shortlisted": "shortlisted",
                "finalist": "finalist",
            }.get(entry["state"])
            if reached in ("shortlisted", "finalist"):
                applications.shortlist_application(actor=owner, application=application)
            if reached == "finalist":
                applications.make_finalist(actor=owner, application=application)

    def score(
        self,
        owner: User,
        challenge: Challenge,
        panel: list[dict[str, Any]],
        played: list[tuple[Application, dict[str, Any]]],
    ) -> None:
        by_org = {entry["org"]: application for application, entry in played}
        for seat in panel:
            reviewer = self.user(seat["email"])
            panels.add_panel_member(actor=owner, challenge=challenge, user=reviewer)
            for org, (feasibility, maturity, price, team, comment) in seat["scores"].items():
                panels.score_application(
                    actor=reviewer,
                    application=by_org[org],
                    feasibility=feasibility,
                    maturity=maturity,
                    price=price,
                    team=team,
                    comment=comment,
                )

    def select(
        self, owner: User, entry: dict[str, Any], played: list[tuple[Application, dict[str, Any]]]
    ) -> None:
        (winner,) = [app for app, a in played if a["state"] == "selected"]
        applications.select_application(
            actor=owner,
            application=winner,
            others_code=entry["others_code"],
            others_reason=entry["others_reason"],
            now=self.ago(entry["days_ago"]),
        )

    # --- conversion list ----------------------------------------------------------------------
    def offer(self, entry: dict[str, Any]) -> None:
        result = self.listing(Result, entry["result"])
        owner = self.member(result.organisation.name)
        modes = Mode(0)
        for name in entry["modes"]:
            modes |= Mode[name.upper()]
        price = entry["price_wan"]
        offer = conversion.publish_conversion_offer(
            actor=owner,
            result=result,
            terms=conversion.OfferTerms(
                modes=int(modes),
                price_wan=None if price is None else Decimal(str(price)),
                trial_months=entry["trial_months"],
                trial_terms=entry["trial_terms"],
            ),
        )
        for request in entry["requests"]:
            self.adoption(owner, offer, request)
        if entry.get("closed"):
            conversion.close_conversion_offer(actor=owner, offer=offer)

    def adoption(self, owner: User, offer: ConversionOffer, entry: dict[str, Any]) -> None:
        firm = self.member(entry["org"])
        request = conversion.request_adoption(
            actor=firm,
            offer=offer,
            intended_use=entry["intended_use"],
            scale=entry["scale"],
            preferred_terms=entry["preferred_terms"],
            wants_trial=entry["wants_trial"],
        )
        state = entry["state"]
        if state == "withdrawn":
            conversion.withdraw_adoption(actor=firm, request=request)
        elif state in ("accepted", "declined"):
            conversion.decide_adoption(
                actor=owner,
                request=request,
                accept=state == "accepted",
                reason=entry["reason"],
                now=self.ago(entry["decided_days_ago"]),
            )
        if "deal" in entry:
            self.dealer.play(firm, entry["deal"], member=self.member, adoption=request)
