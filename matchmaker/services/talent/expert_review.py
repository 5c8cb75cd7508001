"""The platform's review of expert profiles (the same coded reasons as listings) and their
expiry a year after approval, with a reminder 14 days ahead.

As with listings (services/market/review.py, expiry.py): approval publishes the new text and
drops the kept approved version (`public_snapshot`); rejection returns the edit to its keepers
as a draft while the kept version stays public; expiry takes off whatever is public (a profile
under re-review keeps its state and loses only the kept version).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus, Notification, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services import matching
from matchmaker.services.errors import NotFound, PermissionDenied
from matchmaker.services.market.listing_states import REMIND_BEFORE, local_date
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify
from matchmaker.services.platform.reviews import parse_rejection
from matchmaker.services.talent import expert_states
from matchmaker.services.talent.expert_public import has_snapshot

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
    expert.public_snapshot = None  # the new text is the public one now
    matching.record_expert_change(expert)
    db.session.flush()
    notify(
        users=expert_states.owners(expert),
        kind="expert.approved",
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
    """Send a pending profile back to draft with a reason code and text its keepers see (an
    approved version kept during the review stays public)."""
    _require_reviewer(actor)
    expert_states.check(expert, "reject")
    parsed, reason = parse_rejection(code, reason)
    expert_states.step(expert, "reject", actor=actor, reason=f"{parsed}: {reason}")
    expert.reviewed_at = utcnow()
    expert.review_reason_code = str(parsed)
    expert.review_reason = reason
    matching.record_expert_change(expert)
    notify(
        users=expert_states.owners(expert),
        kind="expert.rejected",
        params={
            "title": expert.name,
            "reason_code": str(parsed),  # shown as its label in the reader's language
            "reason": reason,
        },
        link=link_for(expert),
    )


def expire_experts(*, now: datetime | None = None, link_for: ExpertLinkFor = default_link) -> int:
    """Take public profiles past their validity off the 人才 page (remind their keepers 14 days
    ahead, once); how many expired. Safe to run repeatedly."""
    now = now or utcnow()
    live = sa.or_(ExpertProfile.status == ExpertStatus.PUBLISHED, has_snapshot())
    due = list(
        db.session.scalars(
            sa.select(ExpertProfile).where(
                live, ExpertProfile.expires_at.is_not(None), ExpertProfile.expires_at <= now
            )
        )
    )
    for expert in due:
        if expert_states.EXPERT.can(expert, "expire"):
            expert_states.step(expert, "expire", actor=None)
        else:  # only the kept approved version goes: audited as an expiry that keeps the state
            record_audit(
                actor=None,
                action="expert.expire",
                object_type="expert",
                object_id=expert.id,
                before={"status": str(expert.status)},
                after={"status": str(expert.status)},
            )
        expert.public_snapshot = None
        matching.record_expert_change(expert)
        notify(
            users=expert_states.owners(expert),
            kind="expert.expired",
            params={"title": expert.name},
            link=link_for(expert),
        )
    db.session.flush()
    _remind(now, link_for)
    return len(due)


def _remind(now: datetime, link_for: ExpertLinkFor) -> int:
    """Tell the keepers of public profiles expiring within 14 days, once per validity."""
    soon = db.session.scalars(
        sa.select(ExpertProfile).where(
            sa.or_(ExpertProfile.status == ExpertStatus.PUBLISHED, has_snapshot()),
            ExpertProfile.expires_at > now,
            ExpertProfile.expires_at <= now + REMIND_BEFORE,
        )
    ).all()
    sent = 0
    for expert in soon:
        assert expert.expires_at is not None  # noqa: S101 - selected above
        link = link_for(expert)
        # once per validity: a reminder since this approval counts
        since = expert.reviewed_at or expert.expires_at - expert_states.EXPERT_VALIDITY
        if db.session.scalar(
            sa.select(Notification.id)
            .where(
                Notification.kind == "expert.expiring",
                Notification.link == link,
                Notification.created_at >= since,
            )
            .limit(1)
        ):
            continue
        notify(
            users=expert_states.owners(expert),
            kind="expert.expiring",
            params={"title": expert.name, "expires": local_date(expert.expires_at)},
            link=link,
        )
        sent += 1
    return sent
