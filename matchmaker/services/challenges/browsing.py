"""The 揭榜挂帅 pages' read side: public lists, the showcase, who may see a challenge, lookups."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    Challenge,
    ChallengeKind,
    Need,
    NeedStatus,
    Organisation,
    OrgStatus,
    Result,
    ResultStatus,
    Visibility,
)
from matchmaker.permissions import Permission, can_manage_challenge, has_permission
from matchmaker.services.errors import NotFound

#: Bounty bands of the public list (万元; "negotiable" is 0 = 面议).
BOUNTY_BANDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "lt10": (Decimal("0.01"), Decimal(10)),
    "10_50": (Decimal(10), Decimal(50)),
    "50_100": (Decimal(50), Decimal(100)),
    "100_500": (Decimal(100), Decimal(500)),
    "gte500": (Decimal(500), None),
    "negotiable": (None, None),
}
#: Challenge states shown in the public showcase (已揭榜 / 已解决).
SHOWCASE_STATES = (
    NeedStatus.AWARDED,
    NeedStatus.CONTRACTED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.ACCEPTED,
)
#: Closed for applications but not (yet) in the showcase.
CLOSED_STATES = (NeedStatus.EVALUATING, NeedStatus.UNAWARDED)
#: Not listed yet: waiting for the platform's review, or sent back by it.
UNLISTED_STATES = (NeedStatus.CHALLENGE_REVIEW, NeedStatus.CHALLENGE_RETURNED)
#: What a challenge card shows, loaded with the list (one query per relation, not per card).
CARD_LOADING = (
    selectinload(Challenge.need).selectinload(Need.organisation),
    selectinload(Challenge.need).selectinload(Need.field),
)


def public_challenges(
    *,
    field_id: int | None = None,
    region: str = "",
    band: str = "",
    status: str = "open",
    kind: str = ChallengeKind.CHALLENGE,
) -> list[Challenge]:
    """Public challenges for the list page: open (soonest deadline first) or closed, of one
    kind: 榜单 by default (场景 have their own page, scenarios.public_scenarios)."""
    states = CLOSED_STATES if status == "closed" else (NeedStatus.OPEN,)
    stmt = (
        sa.select(Challenge)
        .join(Need, Challenge.need_id == Need.id)
        .where(
            Challenge.visibility == Visibility.PUBLIC,
            Need.status.in_(states),
            Challenge.kind == kind,
        )
    )
    if field_id:
        stmt = stmt.where(Need.field_id == field_id)
    if region:
        stmt = stmt.where(Need.region == region)
    if band == "negotiable":
        stmt = stmt.where(Challenge.bounty_wan == 0)
    elif band in BOUNTY_BANDS:
        low, high = BOUNTY_BANDS[band]
        stmt = stmt.where(Challenge.bounty_wan >= low)
        if high is not None:
            stmt = stmt.where(Challenge.bounty_wan < high)
    order = Challenge.deadline_at.asc() if status != "closed" else Challenge.deadline_at.desc()
    return list(
        db.session.scalars(stmt.order_by(order, Challenge.id).limit(200).options(*CARD_LOADING))
    )


def showcase_challenges(*, limit: int = 12) -> list[Challenge]:
    """Challenges already taken (已揭榜) or solved (已解决), newest first."""
    return list(
        db.session.scalars(
            sa.select(Challenge)
            .join(Need, Challenge.need_id == Need.id)
            .where(
                Challenge.visibility == Visibility.PUBLIC,
                Need.status.in_(SHOWCASE_STATES),
                Challenge.kind == ChallengeKind.CHALLENGE,
            )
            .order_by(
                sa.func.coalesce(Challenge.solved_at, Challenge.awarded_at).desc(),
                Challenge.id.desc(),
            )
            .limit(limit)
            .options(*CARD_LOADING)
        )
    )


def can_see_challenge(user: Any, challenge: Challenge) -> bool:
    """Public challenges are public; invite-only ones only to invitees, the owner and admins;
    one not yet listed (under review, or sent back) only to the owner and admins."""
    if challenge.need.status in UNLISTED_STATES:
        return can_manage_challenge(user, challenge) or has_permission(
            user, Permission.LISTING_REVIEW
        )
    if challenge.visibility == Visibility.PUBLIC:
        return True
    if can_manage_challenge(user, challenge) or has_permission(user, Permission.LISTING_REVIEW):
        return True
    org_id = getattr(user, "organisation_id", None)
    return org_id is not None and any(i.organisation_id == org_id for i in challenge.invitations)


def get_visible_challenge(*, user: Any, challenge_id: int) -> Challenge:
    """A challenge the user may see, or NotFound."""
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not can_see_challenge(user, challenge):
        raise NotFound
    return challenge


def organisation_application(*, challenge: Challenge, organisation_id: int) -> Application | None:
    """An organisation's application to a challenge (any state), if any."""
    return db.session.scalar(
        sa.select(Application).where(
            Application.challenge_id == challenge.id,
            Application.organisation_id == organisation_id,
        )
    )


def listed_results(*, organisation_id: int) -> list[Any]:
    """An organisation's listed results (for 用我的成果揭榜)."""
    return list(
        db.session.scalars(
            sa.select(Result)
            .where(Result.organisation_id == organisation_id, Result.status == ResultStatus.LISTED)
            .order_by(Result.title, Result.id)
        )
    )


def invitable_organisations(*, challenge: Challenge, q: str, limit: int = 20) -> list[Organisation]:
    """Verified organisations (other than the owner) whose name matches a search."""
    q = (q or "").strip()[:100]
    if not q:
        return []
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.status == OrgStatus.VERIFIED,
                Organisation.id != challenge.organisation_id,
                Organisation.name.ilike(f"%{q}%"),
            )
            .order_by(Organisation.name, Organisation.id)
            .limit(limit)
        )
    )
