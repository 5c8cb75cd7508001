"""A small durable job queue on the application database.

Jobs are rows, written in the same transaction as the change that needs them, so nothing
acknowledged is lost. Workers (`matchmaker jobs work`) claim one queued job at a time with a
conditional UPDATE (safe with several workers on PostgreSQL and SQLite), run its handler, and
record the outcome; failures are retried with back-off up to `max_attempts`. Handlers report
progress (0..1) that pages poll.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, User
from matchmaker.models.base import utcnow

log = logging.getLogger("matchmaker.jobs")
Handler = Callable[..., dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}
STALE_AFTER = timedelta(minutes=30)  # a running job whose worker died is queued again


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register a function as the handler of a job name (see matchmaker/jobs/)."""

    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register


def enqueue(
    name: str,
    *,
    actor: User | None = None,
    max_attempts: int = 3,
    delay: timedelta | None = None,
    **args: Any,
) -> Job:
    """Add a job to the session (it is queued when the caller commits)."""
    job = Job(
        name=name,
        args=args,
        max_attempts=max_attempts,
        created_by_id=actor.id if actor is not None else None,
        run_after=utcnow() + (delay or timedelta(0)),
    )
    db.session.add(job)
    db.session.flush()
    return job


def worker_name() -> str:
    """host:pid of this worker."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def claim_next(*, worker: str | None = None, now: datetime | None = None) -> Job | None:
    """Atomically take the oldest runnable job, or None when there is nothing to do."""
    now = now or utcnow()
    worker = worker or worker_name()
    _requeue_stale(now)
    for _attempt in range(5):
        candidate = db.session.scalar(
            sa.select(Job.id)
            .where(Job.status == JobStatus.QUEUED, Job.run_after <= now)
            .order_by(Job.run_after, Job.id)
            .limit(1)
        )
        if candidate is None:
            db.session.commit()
            return None
        claimed = db.session.execute(
            sa.update(Job)
            .where(Job.id == candidate, Job.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING, worker=worker, started_at=now, attempts=Job.attempts + 1
            )
        ).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(Job, candidate)
    return None  # lost every race: let the caller try again later


def _requeue_stale(now: datetime) -> None:
    db.session.execute(
        sa.update(Job)
        .where(Job.status == JobStatus.RUNNING, Job.started_at < now - STALE_AFTER)
        .values(status=JobStatus.QUEUED, worker=None)
    )


def set_progress(job: Job, fraction: float, message: str | None = None) -> None:
    """Record progress in its own short transaction so pages can show it while the job runs."""
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job.id)
        .values(progress=min(1.0, max(0.0, fraction)), message=message)
    )
    db.session.commit()


def run(job: Job) -> Job:
    """Run a claimed job's handler and record the outcome (retrying failures with back-off)."""
    func = HANDLERS.get(job.name)
    job_id = job.id
    try:
        if func is None:
            raise LookupError(f"no handler for job {job.name!r}")
        result = func(job, **(job.args or {}))
    except Exception as error:  # a handler's failure must not kill the worker
        db.session.rollback()
        job = db.session.get(Job, job_id)
        assert job is not None
        log.error("job.failed", extra={"job": job.id, "job_name": job.name, "error": str(error)})
        job.message = f"{type(error).__name__}: {error}"[:2000]
        job.result = {"traceback": traceback.format_exc()[-4000:]}
        if job.attempts < job.max_attempts:
            job.status = JobStatus.QUEUED
            job.run_after = utcnow() + timedelta(seconds=30 * 2 ** (job.attempts - 1))
        else:
            job.status = JobStatus.FAILED
            job.finished_at = utcnow()
        db.session.commit()
        return job
    job = db.session.get(Job, job_id)
    assert job is not None
    job.status = JobStatus.DONE
    job.progress = 1.0
    job.result = result or {}
    job.finished_at = utcnow()
    db.session.commit()
    log.info("job.done", extra={"job": job.id, "job_name": job.name})
    return job


def run_pending(*, limit: int = 100, now: datetime | None = None) -> int:
    """Run queued jobs until none is runnable (or `limit`); returns how many ran."""
    done = 0
    while done < limit:
        job = claim_next(now=now)
        if job is None:
            break
        run(job)
        done += 1
    return done


def recent(*, name: str | None = None, limit: int = 20) -> list[Job]:
    """The latest jobs (optionally of one name), newest first."""
    stmt = sa.select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if name:
        stmt = stmt.where(Job.name == name)
    return list(db.session.scalars(stmt))
