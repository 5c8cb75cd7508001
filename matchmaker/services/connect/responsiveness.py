"""How an owner answers enquiries: reminders after 3 and 7 working days, and its response
rate and median response time (shown on its organisation page, as IN-PART does)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Enquiry, EnquiryStatus
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.connect.enquiry_states import link, members, never_sent_clause
from matchmaker.services.connect.targets import subject_title
from matchmaker.services.platform.notifications import notify

#: Working days an enquiry may wait unanswered before each reminder (one reminder each).
REMIND_AFTER: tuple[int, ...] = (3, 7)
#: Statistics are shown only once the owner has received enquiries for this long.
ACTIVITY_BEFORE_STATS = timedelta(days=30)
SATURDAY = 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days (Monday to Friday, in China) after `start`.

    A start on a weekend counts from the following Monday 00:00. Public holidays are not
    known to the platform and count as working days.
    """
    local = start.astimezone(CHINA)
    if local.weekday() >= SATURDAY:
        local = (local + timedelta(days=7 - local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    for _ in range(days):
        local += timedelta(days=1)
        while local.weekday() >= SATURDAY:
            local += timedelta(days=1)
    return local


def reminders_due(enquiry: Enquiry, now: datetime) -> int:
    """How many of the REMIND_AFTER reminders are due for an enquiry by `now`."""
    return sum(1 for days in REMIND_AFTER if add_working_days(enquiry.created_at, days) <= now)


def remind_unanswered(*, now: datetime | None = None) -> int:
    """Remind owners of enquiries waiting unanswered for 3 and 7 working days; returns how many
    enquiries were reminded.

    Each reminder goes out once; when the job did not run for a while only the latest due one
    is sent. Only enquiries the owner never answered count (a question asked is an answer).
    """
    now = now or utcnow()
    candidates = db.session.scalars(
        sa.select(Enquiry)
        .where(
            Enquiry.status == EnquiryStatus.OPEN,
            Enquiry.answered_at.is_(None),
            Enquiry.reminders_sent < len(REMIND_AFTER),
            Enquiry.created_at <= now - timedelta(days=min(REMIND_AFTER)),
        )
        .order_by(Enquiry.id)
    ).all()
    reminded = 0
    for enquiry in candidates:
        due = reminders_due(enquiry, now)
        if due <= enquiry.reminders_sent:
            continue
        enquiry.reminders_sent = due
        enquiry.reminded_at = now
        notify(
            users=members(enquiry.owner_org),
            kind="enquiry.reminder",
            params={
                "title": subject_title(enquiry),
                "org": enquiry.sender_org.name,
                "days": REMIND_AFTER[due - 1],
            },
            link=link(enquiry),
        )
        reminded += 1
    db.session.flush()
    return reminded


@dataclass(frozen=True)
class ResponseStats:
    """An owner's answering record: share of enquiries answered and the median time taken."""

    received: int  # enquiries counted (see response_stats)
    answered: int
    rate: float  # answered / received, 0..1
    median_hours: float | None  # None when nothing was answered yet

    @property
    def rate_percent(self) -> int:
        """The rate as a whole percentage."""
        return round(self.rate * 100)


def response_stats(organisation_id: int, *, now: datetime | None = None) -> ResponseStats | None:
    """The organisation's response rate and median response time as an enquiry owner.

    None until its first enquiry is a month old (too few to judge). Enquiries withdrawn before
    an answer, and unanswered ones younger than the first reminder, are not counted.
    """
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Enquiry.created_at, Enquiry.answered_at, Enquiry.status).where(
            Enquiry.owner_org_id == organisation_id,
            sa.not_(never_sent_clause()),  # introductions the owner never received
        )
    ).all()
    if not rows or min(r.created_at for r in rows) > now - ACTIVITY_BEFORE_STATS:
        return None
    counted = [
        r
        for r in rows
        if r.answered_at is not None
        or (
            r.status != EnquiryStatus.WITHDRAWN
            and add_working_days(r.created_at, REMIND_AFTER[0]) <= now
        )
    ]
    hours = [
        (r.answered_at - r.created_at).total_seconds() / 3600 for r in counted if r.answered_at
    ]
    received = len(counted)
    return ResponseStats(
        received=received,
        answered=len(hours),
        rate=len(hours) / received if received else 0.0,
        median_hours=round(statistics.median(hours), 1) if hours else None,
    )
