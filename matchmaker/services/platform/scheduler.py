"""The periodic jobs (no cron needed): a table of schedules whose due slots become jobs.

Each row of `job_schedules` runs its job every `interval_seconds`, or daily at `daily_at`
(HH:MM, Asia/Shanghai). `run_due` takes each due slot with one conditional UPDATE
(`next_run_at` moves on only where it still holds the value read) and enqueues the job in the
same transaction: two schedulers on two hosts enqueue every slot once. Slots missed while no
scheduler ran are not caught up one by one: the next one is the first in the future. While the
slot's previous job is still queued or running no second one is added (the slot is skipped).

`matchmaker jobs scheduler` runs `run_forever`; `matchmaker jobs schedule` shows the table.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from matchmaker.extensions import db
from matchmaker.models import Job, JobSchedule, JobStatus
from matchmaker.models.base import utcnow
from matchmaker.services.platform import jobs

log = logging.getLogger("matchmaker.jobs.scheduler")
LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Every:
    """A schedule's default: its job and either an interval or a daily local time."""

    name: str
    job_name: str
    interval: timedelta | None = None
    daily_at: str | None = None  # "HH:MM" local time
    args: dict[str, Any] = field(default_factory=dict)


#: What cron used to run (`matchmaker listings expire`, `challenges tick`, ...), as jobs.
DEFAULTS: tuple[Every, ...] = (
    Every("listings.expire", "listings.expire", daily_at="02:00"),
    Every("challenges.tick", "challenges.tick", interval=timedelta(minutes=10)),
    Every("alerts.send", "alerts.send", interval=timedelta(minutes=10)),
    Every("connect.remind", "connect.remind", daily_at="09:00"),
    Every("finance.remind", "finance.remind", daily_at="09:30"),
    Every("finance.rescore", "finance.rescore", daily_at="03:00"),
    Every(
        "recommender.rebuild_if_stale",
        "recommender.rebuild_if_stale",
        interval=timedelta(minutes=15),
    ),
)


def next_slot(
    *,
    interval_seconds: int | None,
    daily_at: str | None,
    after: datetime,
    previous: datetime | None = None,
) -> datetime:
    """The first slot strictly after `after`: the previous slot plus whole intervals, or the
    next `daily_at` in local time."""
    if interval_seconds:
        step = timedelta(seconds=interval_seconds)
        if previous is None or previous > after:
            return after + step
        return previous + step * ((after - previous) // step + 1)
    hour, minute = (int(part) for part in (daily_at or "00:00").split(":"))
    local = after.astimezone(LOCAL)
    slot = datetime.combine(local.date(), time(hour, minute), tzinfo=LOCAL)
    if slot <= local:
        slot = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), tzinfo=LOCAL)
    return slot.astimezone(after.tzinfo)


def ensure_schedules(*, now: datetime | None = None, defaults: tuple[Every, ...] = DEFAULTS) -> int:
    """Add the default schedules missing from the table (an existing row, as an admin may have
    changed or disabled it, is kept); how many were added. Interval jobs are first due now."""
    now = now or utcnow()
    known = set(db.session.scalars(sa.select(JobSchedule.name)))
    added = 0
    for every in defaults:
        if every.name in known:
            continue
        seconds = int(every.interval.total_seconds()) if every.interval else None
        first = (
            now if seconds else next_slot(interval_seconds=None, daily_at=every.daily_at, after=now)
        )
        values = {
            "name": every.name,
            "job_name": every.job_name,
            "args": every.args,
            "interval_seconds": seconds,
            "daily_at": every.daily_at,
            "enabled": True,
            "next_run_at": first,
        }
        inserted = db.session.scalar(_insert_ignore(values).returning(JobSchedule.name))
        added += inserted is not None
    return added


def _insert_ignore(values: dict[str, Any]) -> sa.Insert:
    """INSERT ... ON CONFLICT DO NOTHING: two schedulers starting together add a row once."""
    from sqlalchemy.dialects import postgresql, sqlite  # noqa: PLC0415

    if db.engine.dialect.name == "postgresql":
        return (
            postgresql.insert(JobSchedule)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["name"])
        )
    return (
        sqlite.insert(JobSchedule).values(**values).on_conflict_do_nothing(index_elements=["name"])
    )


def run_due(*, now: datetime | None = None) -> list[Job]:
    """Enqueue the job of every due slot this process wins; each slot in its own commit."""
    now = now or utcnow()
    due = list(
        db.session.execute(
            sa.select(
                JobSchedule.name,
                JobSchedule.job_name,
                JobSchedule.args,
                JobSchedule.interval_seconds,
                JobSchedule.daily_at,
                JobSchedule.next_run_at,
                JobSchedule.last_job_id,
            )
            .where(JobSchedule.enabled.is_(True), JobSchedule.next_run_at <= now)
            .order_by(JobSchedule.next_run_at, JobSchedule.name)
        )
    )
    db.session.commit()
    queued = []
    for name, job_name, args, seconds, daily_at, seen, last_job_id in due:
        following = next_slot(interval_seconds=seconds, daily_at=daily_at, after=now, previous=seen)
        won = cast(
            "CursorResult[Any]",
            db.session.execute(
                sa.update(JobSchedule)
                .where(JobSchedule.name == name, JobSchedule.next_run_at == seen)
                .values(next_run_at=following, last_run_at=now)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if not won:
            db.session.rollback()  # another scheduler took this slot
            continue
        if _still_pending(last_job_id):
            log.info("scheduler.skipped_pending", extra={"schedule": name, "job": last_job_id})
            db.session.commit()
            continue
        job = jobs.enqueue(job_name, **(args or {}))
        db.session.execute(
            sa.update(JobSchedule)
            .where(JobSchedule.name == name)
            .values(last_job_id=job.id)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        log.info("scheduler.enqueued", extra={"schedule": name, "job": job.id})
        queued.append(job)
    return queued


def _still_pending(job_id: int | None) -> bool:
    if job_id is None:
        return False
    status = db.session.scalar(sa.select(Job.status).where(Job.id == job_id))
    return status in (JobStatus.QUEUED, JobStatus.RUNNING)


def schedules() -> list[JobSchedule]:
    """Every schedule, the soonest first."""
    return list(db.session.scalars(sa.select(JobSchedule).order_by(JobSchedule.next_run_at)))


def run_forever(
    *,
    stop: threading.Event,
    every: float = 10.0,
    max_backoff: float = 60.0,
    sleep: Callable[[float], Any] | None = None,
) -> None:
    """Look for due slots every `every` seconds until `stop`; database errors are logged,
    rolled back and retried after a capped back-off. Needs the application context."""
    pause = sleep or stop.wait
    failures = 0
    ensured = False
    while not stop.is_set():
        try:
            if not ensured:
                ensure_schedules()
                db.session.commit()
                ensured = True
            run_due()
            failures = 0
        except Exception:
            failures += 1
            delay = min(max_backoff, 0.5 * 2 ** (failures - 1))
            log.exception("scheduler.error", extra={"failures": failures, "delay": delay})
            try:
                db.session.rollback()
            except Exception:  # noqa: BLE001 - the connection may be gone
                log.debug("scheduler.rollback_failed", exc_info=True)
            db.session.remove()
            pause(delay)
            continue
        db.session.remove()
        pause(every)
