"""A small durable job queue on the application database.

Jobs are rows, written in the same transaction as the change that needs them, so nothing
acknowledged is lost. Workers (`matchmaker jobs work`, services/platform/worker.py) claim one
queued job at a time, run its handler, and record the outcome; failures are retried with
back-off up to `max_attempts`, then stay FAILED (the dead-letter list an admin retries from).
Handlers report progress (0..1) that pages poll.

Claims: on PostgreSQL one UPDATE of the oldest due row picked with `FOR UPDATE SKIP LOCKED`
(workers on several hosts never wait for each other nor take the same job); on SQLite a
conditional UPDATE (the database has one writer at a time). On PostgreSQL `enqueue` also sends
`NOTIFY matchmaker_jobs` in the caller's transaction (delivered on commit) to wake a listening
worker at once.

Crash recovery: a worker writes `heartbeat_at` on its running jobs every HEARTBEAT seconds
(worker.py); a running job whose heartbeat is older than STALE_AFTER is queued again (on
PostgreSQL only when no live transaction holds its row). The handler's changes commit with
the job's DONE state, so a job killed mid-way has left nothing and runs again whole.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, User
from matchmaker.models.base import utcnow
from matchmaker.services.errors import InvalidTransition, NotFound

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

log = logging.getLogger("matchmaker.jobs")
Handler = Callable[..., dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}
#: How often a worker writes the heartbeat of its running jobs (worker.py).
HEARTBEAT = timedelta(seconds=5)
#: A running job without a heartbeat for this long has lost its worker: it is queued again.
STALE_AFTER = timedelta(seconds=30)
#: The NOTIFY channel a PostgreSQL worker listens on.
CHANNEL = "matchmaker_jobs"
REQUEUE_EVERY = 5.0  # seconds between two looks for stale jobs by one process
_last_requeue = 0.0


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
    if delay is None:
        _notify()  # delivered when (and only if) the caller commits; a delayed job is polled
    return job


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def worker_name() -> str:
    """host:pid of this worker."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def claim_next(
    *, worker: str | None = None, now: datetime | None = None, names: Iterable[str] = ()
) -> Job | None:
    """Atomically take the oldest runnable job (of `names`, if given), or None.

    The claim is committed at once (the job shows as running while its handler works).
    """
    now = now or utcnow()
    worker = worker or worker_name()
    _maybe_requeue_stale(now, forced=explicit_now(now))
    runnable = sa.select(Job.id).where(Job.status == JobStatus.QUEUED, Job.run_after <= now)
    if names := list(names):
        runnable = runnable.where(Job.name.in_(names))
    runnable = runnable.order_by(Job.run_after, Job.id).limit(1)
    claim = {
        "status": JobStatus.RUNNING,
        "worker": worker,
        "started_at": now,
        "heartbeat_at": now,
        "attempts": Job.attempts + 1,
    }
    if _is_postgresql():
        # One statement: the oldest due row no other worker holds, updated and returned.
        picked = runnable.with_for_update(skip_locked=True).scalar_subquery()
        job_id = db.session.scalar(
            sa.update(Job).where(Job.id == picked).values(**claim).returning(Job.id)
        )
        db.session.commit()
        return db.session.get(Job, job_id) if job_id is not None else None
    for _attempt in range(5):
        candidate = db.session.scalar(runnable)
        if candidate is None:
            db.session.commit()
            return None
        # SQLAlchemy 2.0 types every execute() as Result; an UPDATE's is a CursorResult.
        claimed = cast(
            "CursorResult[Any]",
            db.session.execute(
                sa.update(Job)
                .where(Job.id == candidate, Job.status == JobStatus.QUEUED)
                .values(**claim)
            ),
        ).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(Job, candidate)
    return None  # lost every race: let the caller try again later


def explicit_now(now: datetime) -> bool:
    """Whether `now` is not the clock (a test or a caller looking ahead): look for stale jobs."""
    return abs((now - utcnow()).total_seconds()) > 1


def _maybe_requeue_stale(now: datetime, *, forced: bool = False) -> None:
    global _last_requeue  # noqa: PLW0603 - one look per process every few seconds
    clock = time.monotonic()
    if forced or clock - _last_requeue >= REQUEUE_EVERY:
        _last_requeue = clock
        requeue_stale(now=now)


def requeue_stale(*, now: datetime | None = None) -> int:
    """Queue again the running jobs whose worker died (no heartbeat for STALE_AFTER); one that
    used its last attempt is FAILED instead (a job that kills its worker must not loop).

    On PostgreSQL a row some live transaction still locks is left alone (SKIP LOCKED).
    Returns how many were found. Not committed: the caller's transaction carries it.
    """
    now = now or utcnow()
    stale = sa.select(Job.id).where(
        Job.status == JobStatus.RUNNING,
        sa.func.coalesce(Job.heartbeat_at, Job.started_at) < now - STALE_AFTER,
    )
    if _is_postgresql():
        stale = stale.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(stale))
    if not ids:
        return 0
    lost = f"worker lost: no heartbeat for {STALE_AFTER.total_seconds():.0f} s"
    db.session.execute(
        sa.update(Job)
        .where(Job.id.in_(ids), Job.attempts < Job.max_attempts)
        .values(status=JobStatus.QUEUED, worker=None, message=lost)
    )
    db.session.execute(
        sa.update(Job)
        .where(Job.id.in_(ids), Job.status == JobStatus.RUNNING)
        .values(status=JobStatus.FAILED, worker=None, message=lost, finished_at=now)
    )
    log.warning("job.requeued_stale", extra={"jobs": ids})
    return len(ids)


def heartbeat(*, worker: str, connection: sa.Connection, now: datetime | None = None) -> int:
    """Write the heartbeat of `worker`'s running jobs on `connection` (not the job's own: a
    thread of the worker calls it while the handler runs). A row the job's transaction locks
    is skipped on PostgreSQL: that lock already shows the worker is alive."""
    mine = sa.select(Job.id).where(Job.worker == worker, Job.status == JobStatus.RUNNING)
    if connection.dialect.name == "postgresql":
        mine = mine.with_for_update(skip_locked=True)
    result = connection.execute(
        sa.update(Job)
        .where(Job.id.in_(mine.scalar_subquery()))
        .values(heartbeat_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def set_progress(job: Job, fraction: float, message: str | None = None) -> None:
    """Record progress in its own short transaction so pages can show it while the job runs.

    It uses a connection of its own: the job's unit of work is neither committed nor rolled
    back by it. Progress is for show only: when the row cannot be written at once (SQLite
    while the job itself holds the write lock) the update is skipped.
    """
    update = (
        sa.update(Job)
        .where(Job.id == job.id)
        .values(progress=min(1.0, max(0.0, fraction)), message=message, heartbeat_at=utcnow())
    )
    if _holds_sqlite_write_lock():
        return  # a second connection would wait for this one's lock until it times out
    try:
        with db.engine.begin() as connection:
            connection.execute(update)
    except sa.exc.OperationalError:
        log.warning("job.progress_skipped", extra={"job": job.id})


def _holds_sqlite_write_lock() -> bool:
    if db.engine.dialect.name != "sqlite" or not db.session().in_transaction():
        return False
    driver = db.session.connection().connection.driver_connection
    return bool(getattr(driver, "in_transaction", False))


def run(job: Job, *, now: datetime | None = None) -> Job:
    """Run a claimed job's handler and record the outcome (retrying failures with back-off).

    The job is its own unit of work: the handler's changes and the job's outcome are committed
    together, or rolled back together when the handler raises.
    """
    func = HANDLERS.get(job.name)
    job_id = job.id
    try:
        if func is None:
            raise LookupError(f"no handler for job {job.name!r}")
        result = func(job, **(job.args or {}))
        job = _job(job_id)
        job.status = JobStatus.DONE
        job.progress = 1.0
        job.result = result or {}
        job.finished_at = utcnow()
        db.session.commit()
    except Exception as error:  # a handler's failure must not kill the worker
        db.session.rollback()
        job = _job(job_id)
        log.error("job.failed", extra={"job": job.id, "job_name": job.name, "error": str(error)})
        job.message = f"{type(error).__name__}: {error}"[:2000]
        job.result = {"traceback": traceback.format_exc()[-4000:]}
        if job.attempts < job.max_attempts:
            job.status = JobStatus.QUEUED
            job.run_after = (now or utcnow()) + timedelta(seconds=30 * 2 ** (job.attempts - 1))
        else:
            job.status = JobStatus.FAILED
            job.finished_at = utcnow()
        db.session.commit()
        return job
    log.info("job.done", extra={"job": job.id, "job_name": job.name})
    return job


def _job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    assert job is not None, job_id
    return job


def run_pending(
    *,
    limit: int = 100,
    now: datetime | None = None,
    names: Iterable[str] = (),
    worker: str | None = None,
) -> int:
    """Run queued jobs (of `names`, if given) until none is runnable or `limit`; how many ran."""
    done = 0
    names = list(names)
    while done < limit:
        job = claim_next(now=now, names=names, worker=worker)
        if job is None:
            break
        run(job, now=now)
        done += 1
    return done


def retry(*, job_id: int, now: datetime | None = None) -> Job:
    """Queue a failed job again with a fresh set of attempts (an admin's 重试)."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(job_id)
    if job.status != JobStatus.FAILED:
        raise InvalidTransition(_("只有失败的任务可以重试。"))
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.run_after = now or utcnow()
    job.finished_at = None
    job.worker = None
    db.session.flush()
    _notify()
    return job


def retry_all_failed(*, now: datetime | None = None) -> int:
    """Queue every failed job again with a fresh set of attempts; how many (an admin's 全部重试)."""
    result = db.session.execute(
        sa.update(Job)
        .where(Job.status == JobStatus.FAILED)
        .values(
            status=JobStatus.QUEUED,
            attempts=0,
            run_after=now or utcnow(),
            finished_at=None,
            worker=None,
        )
        .execution_options(synchronize_session=False)
    )
    count = int(cast("CursorResult[Any]", result).rowcount or 0)
    if count:
        _notify()
    return count


def _notify() -> None:
    if _is_postgresql():
        db.session.execute(sa.select(sa.func.pg_notify(CHANNEL, "")))


def counts() -> dict[str, int]:
    """How many jobs are in each state."""
    rows = db.session.execute(sa.select(Job.status, sa.func.count()).group_by(Job.status))
    found = {str(status): n for status, n in rows}
    return {str(status): found.get(str(status), 0) for status in JobStatus}


def recent(
    *, name: str | None = None, status: JobStatus | None = None, limit: int = 20
) -> list[Job]:
    """The latest jobs (optionally of one name or state), newest first."""
    stmt = sa.select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if name:
        stmt = stmt.where(Job.name == name)
    if status:
        stmt = stmt.where(Job.status == status)
    return list(db.session.scalars(stmt))
