"""The review of results and needs: the queue, approval (it goes public) and rejection.

The queue's size and the daily digest count the challenges waiting for review too (their
approval is in services/challenges/challenge_review.py).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import Listing, Need, Notification, Result, User
from matchmaker.models.base import CHINA, utcnow
from matchmaker.models.listing import REVIEW_REASON_LABELS as REASON_LABELS  # noqa: F401 - re-exported
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.challenges import challenge_review
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.market import listing_states, publication
from matchmaker.services.market.listing_states import (
    LinkFor,
    default_link,
    local_date,
    owners,
    validity_end,
)
from matchmaker.services.platform.notifications import notify
from matchmaker.services.platform.reviews import parse_rejection
from matchmaker.services.talent import expert_review


def send_review_digest(*, now: datetime | None = None) -> int:
    """Tell each active admin once a day how many listings and challenges wait for review (no
    per-item message).

    Safe to run repeatedly (cron): an admin who already has today's digest gets nothing more.
    Returns how many admins were notified.
    """
    waiting = [(x.submitted_at or x.created_at, x.title) for x in review_queue_query()]
    waiting += [
        (c.submitted_at or c.published_at, c.need.title)
        for c in challenge_review.pending_challenges()
    ]
    waiting += [(e.submitted_at or e.created_at, e.name) for e in expert_review.pending_experts()]
    if not waiting:
        return 0
    now = now or utcnow()
    # the day as the admins live it (China); created_at is stored in UTC
    day_start = now.astimezone(CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
    already = set(
        db.session.scalars(
            sa.select(Notification.user_id).where(
                Notification.kind == "listing.review_digest", Notification.created_at >= day_start
            )
        )
    )
    reviewers = [
        user
        for user in db.session.scalars(
            sa.select(User).where(User.role == "admin", User.is_active.is_(True))
        )
        if user.id not in already
    ]
    since, oldest = min(waiting, key=lambda item: item[0])
    notify(
        users=reviewers,
        kind="listing.review_digest",
        params={"n": len(waiting), "oldest": oldest, "since": local_date(since)},
        link="/admin/review/",
    )
    return len(reviewers)


def approve_listing(
    *, actor: User, listing: Listing, link_for: LinkFor = default_link, now: datetime | None = None
) -> None:
    """Approve a pending listing: it (or its new version) goes public."""
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    listing_states.check(listing, "approve")
    now = now or utcnow()
    listing_states.step(listing, "approve", actor=actor)
    listing.reviewed_at = now
    listing.review_reason_code = None
    listing.review_reason = None
    listing.published_at = listing.published_at or now
    listing.confirmed_at = now
    listing.expires_at = validity_end(listing, now)
    listing.reminded_at = None
    publication.publish(listing, now=now)
    notify(
        users=owners(listing),
        kind="listing.approved",
        params={"title": listing.title, "expires": local_date(listing.expires_at)},
        link=link_for(listing),
    )


def reject_listing(
    *, actor: User, listing: Listing, code: str, reason: str, link_for: LinkFor = default_link
) -> None:
    """Send a pending listing back to draft with a reason code and text the owner sees."""
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    listing_states.check(listing, "reject")
    parsed, reason = parse_rejection(code, reason)
    listing_states.step(listing, "reject", actor=actor, reason=f"{parsed}: {reason}")
    listing.reviewed_at = utcnow()
    listing.review_reason_code = str(parsed)
    listing.review_reason = reason
    notify(
        users=owners(listing),
        kind="listing.rejected",
        params={
            "title": listing.title,
            "reason_code": str(parsed),  # shown as its label in the reader's language
            "reason": reason,
        },
        link=link_for(listing),
    )


def review_queue_query() -> list[Listing]:
    """Every listing waiting for review, oldest submission first."""
    pending: list[Listing] = []
    for model in (Result, Need):
        pending.extend(
            db.session.scalars(
                sa.select(model)
                .where(model.status == "pending_review")
                .options(selectinload(model.organisation), selectinload(model.publication))
            )
        )
    return sorted(pending, key=lambda x: (x.submitted_at or x.created_at, x.KIND, x.id))


def review_queue_size() -> int:
    """How many listings, challenges and expert profiles wait for review."""
    listings = sum(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.status == "pending_review")
        )
        or 0
        for model in (Result, Need)
    )
    return listings + challenge_review.pending_count() + expert_review.pending_count()
