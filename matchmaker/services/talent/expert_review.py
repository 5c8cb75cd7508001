"""The platform's review of expert profiles (the same coded reasons as listings) and their
expiry a year after approval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus, User
from matchmaker.models.base import utcnow
from matchmaker.models.listing import REVIEW_REASON_LABELS
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.errors import NotFound, PermissionDenied
from matchmaker.services.market.listing_states import local_date
from matchmaker.services.platform.notifications import notify
from matchmaker.services.platform.reviews import parse_rejection
from matchmaker.services.talent import expert_states

#: Link builder the web layer installs (services never call url_for).
ExpertLinkFor = Callable[[ExpertProfile], str]


def default_link(expert: ExpertProfile) -> str:
    """The keepers' page of a profile, as a path."""
    return f"/my/experts/{expert.id}"


def _require_reviewer(actor: User) -> None:
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied


def pending_experts() -> list[ExpertProfile]:
    """Every profile waiting for review, oldest submission first."""
    return list(
        db.session.scalars(
            sa.select(ExpertProfile)
            .where(ExpertProfile.status == ExpertStatus.PENDING_REVIEW)
            .options(selectinload(ExpertProfile.organisation))
            .order_by(ExpertProfile.submitted_at, ExpertProfile.id)
        )
    )


def pending_count() -> int:
    """How many profiles wait for review."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ExpertProfile)
            .where(ExpertProfile.status == ExpertStatus.PENDING_REVIEW)
        )
        or 0
    )


def get_for_review(*, actor: User, expert_id: int) -> ExpertProfile:
    """Any profile, for a reviewer."""
    _require_reviewer(actor)
    expert = db.session.get(ExpertProfile, expert_id)
    if expert is None:
        raise NotFound
    return expert


def approve_expert(
    *,
    actor: User,
    expert: ExpertProfile,
    link_for: ExpertLinkFor = default_link,
    now: datetime | None = None,
) -> None:
    """Approve a pending profile: it goes on the public 人才 page for a year."""
    _require_reviewer(actor)
    expert_states.check(expert, "approve")
    now = now or utcnow()
    expert_states.step(expert, "approve", actor=actor)
    expert.reviewed_at = now
    expert.review_reason_code = None
    expert.review_reason = None
    expert.published_at = expert.published_at or now
    expert.expires_at = expert_states.validity_end(now)
    notify(
        users=expert_states.owners(expert),
        kind="listing.approved",
        params={"title": expert.name, "expires": local_date(expert.expires_at)},
        link=link_for(expert),
    )


def reject_expert(
    *,
    actor: User,
    expert: ExpertProfile,
    code: str,
    reason: str,
    link_for: ExpertLinkFor = default_link,
) -> None:
    """Send a pending profile back to draft with a reason code and text its keepers see."""
    _require_reviewer(actor)
    expert_states.check(expert, "reject")
    parsed, reason = parse_rejection(code, reason)
    expert_states.step(expert, "reject", actor=actor, reason=f"{parsed}: {reason}")
    expert.reviewed_at = utcnow()
    expert.review_reason_code = str(parsed)
    expert.review_reason = reason
    notify(
        users=expert_states.owners(expert),
        kind="listing.rejected",
        params={
            "title": expert.name,
            "reason_label": str(REVIEW_REASON_LABELS[parsed]),
            "reason": reason,
        },
        link=link_for(expert),
    )


def expire_experts(*, now: datetime | None = None, link_for: ExpertLinkFor = default_link) -> int:
    """Take published profiles past their validity off the public page; how many."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            sa.select(ExpertProfile).where(
                ExpertProfile.status == ExpertStatus.PUBLISHED,
                ExpertProfile.expires_at.is_not(None),
                ExpertProfile.expires_at <= now,
            )
        )
    )
    for expert in due:
        expert_states.step(expert, "expire", actor=None)
        notify(
            users=expert_states.owners(expert),
            kind="listing.expired",
            params={"title": expert.name},
            link=link_for(expert),
        )
    db.session.flush()
    return len(due)
