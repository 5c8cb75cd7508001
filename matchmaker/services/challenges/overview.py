"""The figures of 我的榜单 and the dashboards: an organisation's challenges by state with their
(new) applications, its applications by state, and the deadlines of the coming week."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import Application, ApplicationStatus, Challenge, Need, NeedStatus, User
from matchmaker.models.base import utcnow

#: Applications the owner sees (a draft is the applicant's own business).
_SEEN_BY_OWNER = [s for s in ApplicationStatus if s != ApplicationStatus.DRAFT]
#: Applications the applicant still has to act on before a deadline.
_BEFORE_DEADLINE = [ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED]
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class ChallengeRow:
    """One line of 我的榜单."""

    challenge: Challenge
    applications: int
    new_applications: int


def my_challenges(*, actor: User) -> list[ChallengeRow]:
    """The challenges the actor's organisation published, newest first, with the number of
    applications and of those submitted since the actor last opened 我的榜单."""
    org_id = actor.organisation_id
    if org_id is None:
        return []
    challenges = db.session.scalars(
        sa.select(Challenge)
        .join(Need, Challenge.need_id == Need.id)
        .where(Need.organisation_id == org_id)
        .options(selectinload(Challenge.need), selectinload(Challenge.applications))
        .order_by(Challenge.published_at.desc(), Challenge.id.desc())
    )
    seen = actor.challenges_seen_at
    rows = []
    for challenge in challenges:
        submitted = [a for a in challenge.applications if a.status in _SEEN_BY_OWNER]
        new = [
            a
            for a in submitted
            if seen is None or (a.submitted_at is not None and a.submitted_at > seen)
        ]
        rows.append(ChallengeRow(challenge, len(submitted), len(new)))
    return rows


def mark_challenges_seen(
    *, actor: User, rows: list[ChallengeRow], now: datetime | None = None
) -> None:
    """Remember that the actor has seen the new applications of these rows of 我的榜单.

    Written only when something was new: moving the mark past a stretch with no submissions
    changes no count, and a visit with nothing new then writes nothing.
    """
    if any(row.new_applications for row in rows):
        actor.challenges_seen_at = now or utcnow()
        db.session.flush()


def owner_summary(*, actor: User, now: datetime | None = None) -> dict[str, object]:
    """The enterprise dashboard's panel: challenges by state, new applications, and the open
    challenges whose application window closes within a week."""
    now = now or utcnow()
    rows = my_challenges(actor=actor)
    closing = [
        r.challenge
        for r in rows
        if r.challenge.need.status == NeedStatus.OPEN
        and now <= r.challenge.deadline_at <= now + WEEK
    ]
    return {
        "by_state": dict(Counter(r.challenge.status for r in rows)),
        "applications": sum(r.applications for r in rows),
        "new_applications": sum(r.new_applications for r in rows),
        "closing": sorted(closing, key=lambda c: c.deadline_at),
    }


def applicant_summary(*, actor: User, now: datetime | None = None) -> dict[str, object]:
    """The university's dashboard panel: its applications by state, and those still to submit
    or complete whose challenge closes within a week."""
    now = now or utcnow()
    org_id = actor.organisation_id
    if org_id is None:
        return {"by_state": {}, "closing": []}
    applications = list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.organisation_id == org_id)
            .options(selectinload(Application.challenge).selectinload(Challenge.need))
        )
    )
    closing = [
        a
        for a in applications
        if a.status in _BEFORE_DEADLINE
        and a.challenge.need.status == NeedStatus.OPEN
        and now <= a.challenge.deadline_at <= now + WEEK
    ]
    return {
        "by_state": dict(Counter(str(a.status) for a in applications)),
        "closing": sorted(closing, key=lambda a: a.challenge.deadline_at),
    }
