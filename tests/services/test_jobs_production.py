"""The production job queue: claims, NOTIFY, crash recovery, a loop that survives the database,
the periodic scheduler and the supervisor (SQLite and PostgreSQL; PostgreSQL-only ones skip)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from matchmaker.models import Job, JobSchedule, JobStatus
from matchmaker.models.base import utcnow
from matchmaker.services.platform import jobs, scheduler, worker

ON_POSTGRESQL = (os.environ.get("MATCHMAKER_TEST_DATABASE_URL") or "").startswith("postgresql")
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="SKIP LOCKED and NOTIFY need PostgreSQL: set MATCHMAKER_TEST_DATABASE_URL",
)
ROOT = Path(__file__).resolve().parents[2]


@jobs.handler("test.effect")
def _effect(job, *, key):
    """An effect that must happen once: a row whose primary key is `key`."""
    from matchmaker.extensions import db  # noqa: PLC0415

    db.session.add(
        JobSchedule(name=key, job_name="none", interval_seconds=60, next_run_at=utcnow())
    )
    db.session.flush()
    return {"key": key}


@jobs.handler("test.noop")
def _noop(job):
    return None


def _effects(db, key):
    return db.session.scalar(sa.select(sa.func.count()).where(JobSchedule.name == key))


# --- claims -------------------------------------------------------------------------------------
def test_a_claim_marks_the_job_running_with_a_heartbeat(db):
    job = jobs.enqueue("test.noop")
    db.session.commit()
    claimed = jobs.claim_next(worker="w1")
    assert claimed is not None and claimed.id == job.id
    assert claimed.status == JobStatus.RUNNING and claimed.worker == "w1"
    assert claimed.heartbeat_at is not None and claimed.attempts == 1
    assert jobs.claim_next(worker="w2") is None


@needs_postgresql
def test_concurrent_claimers_never_take_the_same_job(app, db):
    for _ in range(40):
        jobs.enqueue("test.noop")
    db.session.commit()
    taken: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def claimer(name):
        with app.app_context():
            barrier.wait()
            mine = taken.setdefault(name, [])
            while (job := jobs.claim_next(worker=name)) is not None:
                mine.append(job.id)
            db.session.remove()

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    every = [job_id for ids in taken.values() for job_id in ids]
    assert len(every) == 40 and len(set(every)) == 40
    assert db.session.scalar(sa.select(sa.func.count()).where(Job.worker.is_(None))) == 0


# --- NOTIFY -------------------------------------------------------------------------------------
@needs_postgresql
def test_an_enqueue_wakes_a_listening_worker_at_once(app, db):
    waiter = worker.ListenWaiter(db.engine)
    try:
        assert waiter.wait(0.05) is False

        def enqueue_later():
            time.sleep(0.3)
            with app.app_context():
                jobs.enqueue("test.noop")
                db.session.commit()
                db.session.remove()

        thread = threading.Thread(target=enqueue_later)
        started = time.monotonic()
        thread.start()
        assert waiter.wait(10) is True
        assert time.monotonic() - started < 2  # woken by NOTIFY, not the 10 s timeout
        thread.join()
    finally:
        waiter.close()


@needs_postgresql
def test_a_rolled_back_enqueue_wakes_nobody(app, db):
    waiter = worker.ListenWaiter(db.engine)
    try:
        jobs.enqueue("test.noop")
        db.session.rollback()
        assert waiter.wait(0.3) is False
    finally:
        waiter.close()


# --- crash recovery -----------------------------------------------------------------------------
def test_a_job_left_running_by_a_dead_worker_runs_again_and_its_effect_happens_once(db):
    job = jobs.enqueue("test.effect", key="once")
    db.session.commit()
    claimed = jobs.claim_next(worker="doomed")
    assert claimed is not None
    # the dead worker ran the handler but died before its commit: its changes are gone
    _effect(claimed, key="once")
    db.session.rollback()
    assert _effects(db, "once") == 0
    assert jobs.run_pending(worker="alive") == 0  # its heartbeat is fresh: still its job

    later = utcnow() + jobs.STALE_AFTER + timedelta(seconds=1)
    assert jobs.run_pending(worker="alive", now=later) == 1
    done = db.session.get(Job, job.id)
    assert done is not None and done.status == JobStatus.DONE and done.attempts == 2
    assert _effects(db, "once") == 1
    assert jobs.run_pending(worker="alive", now=later + timedelta(hours=1)) == 0
    assert _effects(db, "once") == 1


def test_a_heartbeat_keeps_a_long_job_from_being_taken_over(db):
    jobs.enqueue("test.noop")
    db.session.commit()
    jobs.claim_next(worker="slow")
    later = utcnow() + jobs.STALE_AFTER + timedelta(seconds=5)
    with db.engine.begin() as connection:
        assert jobs.heartbeat(worker="slow", connection=connection, now=later) == 1
    assert jobs.requeue_stale(now=later + timedelta(seconds=1)) == 0
    db.session.commit()


def test_a_job_that_keeps_killing_its_worker_ends_failed(db):
    job = jobs.enqueue("test.noop", max_attempts=1)
    db.session.commit()
    jobs.claim_next(worker="dies")
    assert jobs.requeue_stale(now=utcnow() + timedelta(hours=1)) == 1
    db.session.commit()
    failed = db.session.get(Job, job.id)
    assert failed is not None and failed.status == JobStatus.FAILED
    assert "no heartbeat" in (failed.message or "")


@needs_postgresql
def test_a_row_locked_by_a_live_worker_is_not_requeued(app, db):
    job = jobs.enqueue("test.noop")
    db.session.commit()
    jobs.claim_next(worker="busy")
    with db.engine.connect() as holder:
        holder.execute(sa.select(Job.id).where(Job.id == job.id).with_for_update())
        assert jobs.requeue_stale(now=utcnow() + timedelta(hours=1)) == 0
        db.session.rollback()
        holder.rollback()
    assert jobs.requeue_stale(now=utcnow() + timedelta(hours=1)) == 1
    db.session.commit()


# --- the worker loop ----------------------------------------------------------------------------
def test_the_worker_loop_survives_a_database_error_and_goes_on(db, monkeypatch):
    job_id = jobs.enqueue("test.noop").id
    db.session.commit()
    real = jobs.run_pending
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        return real(**kwargs)

    monkeypatch.setattr(jobs, "run_pending", flaky)
    stop = threading.Event()
    pauses: list[float] = []

    def ran(count):
        stop.set()

    stats = worker.work(stop=stop, poll=0.05, on_batch=ran, sleep=pauses.append)
    assert stats.errors == 2 and stats.ran == 1
    assert pauses == [0.5, 1.0]  # backed off, doubling
    finished = db.session.get(Job, job_id)
    assert finished is not None and finished.status == JobStatus.DONE


def test_the_back_off_is_capped(db, monkeypatch):
    def broken(**kwargs):
        raise OperationalError("SELECT 1", {}, Exception("could not connect"))

    monkeypatch.setattr(jobs, "run_pending", broken)
    stop = threading.Event()
    pauses: list[float] = []

    def pause(seconds):
        pauses.append(seconds)
        if len(pauses) == 8:
            stop.set()

    worker.work(stop=stop, sleep=pause, max_backoff=4.0)
    assert pauses == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]


def test_once_runs_what_is_queued_then_stops(db):
    for _ in range(3):
        jobs.enqueue("test.noop")
    db.session.commit()
    stats = worker.work(stop=threading.Event(), once=True)
    assert stats.ran == 3 and stats.errors == 0


# --- the scheduler ------------------------------------------------------------------------------
def test_next_slots_of_an_interval_and_a_daily_time():
    at = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert scheduler.next_slot(
        interval_seconds=600, daily_at=None, after=at, previous=at - timedelta(minutes=25)
    ) == at + timedelta(minutes=5)
    assert scheduler.next_slot(interval_seconds=None, daily_at="09:30", after=at) == at.replace(
        minute=30
    )
    assert scheduler.next_slot(interval_seconds=None, daily_at="02:00", after=at) == datetime(
        2026, 12, 6, 18, 0, tzinfo=UTC
    )


def test_the_scheduler_enqueues_each_due_slot_once(db):
    now = utcnow()
    assert scheduler.ensure_schedules(now=now) == len(scheduler.DEFAULTS)
    assert scheduler.ensure_schedules(now=now) == 0
    db.session.commit()
    first = scheduler.run_due(now=now)
    names = sorted(job.name for job in first)
    assert names == sorted(e.job_name for e in scheduler.DEFAULTS if e.interval is not None)
    assert scheduler.run_due(now=now) == []  # the same slot again: nothing
    tick = db.session.get(JobSchedule, "challenges.tick")
    assert tick is not None and tick.next_run_at == now + timedelta(minutes=10)
    # the next slot, while the last job still waits: skipped, not piled up
    assert scheduler.run_due(now=now + timedelta(minutes=10)) == []
    db.session.execute(sa.update(Job).values(status=JobStatus.DONE))
    db.session.commit()
    again = scheduler.run_due(now=now + timedelta(minutes=20, seconds=1))
    assert {job.name for job in again} >= {"challenges.tick", "alerts.send"}


def test_two_racing_schedulers_enqueue_each_slot_once(app, db):
    now = utcnow()
    scheduler.ensure_schedules(now=now)
    db.session.commit()
    barrier = threading.Barrier(2)
    queued: list[int] = []

    def run():
        with app.app_context():
            barrier.wait()
            for _ in range(3):
                queued.extend(job.id for job in scheduler.run_due(now=now))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    due = sum(1 for e in scheduler.DEFAULTS if e.interval is not None)
    assert len(queued) == due
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == due


def test_the_periodic_handlers_run(db, fields):
    import matchmaker.jobs  # noqa: F401 - registers the handlers

    for name in (
        "listings.expire",
        "challenges.tick",
        "alerts.send",
        "connect.remind",
        "finance.remind",
        "finance.rescore",
        "recommender.rebuild_if_stale",
    ):
        jobs.enqueue(name)
    db.session.commit()
    jobs.run_pending(names=[e.job_name for e in scheduler.DEFAULTS])
    outcomes = [(j.name, j.status, j.message) for j in db.session.scalars(sa.select(Job))]
    assert len(outcomes) >= 7
    assert all(status == JobStatus.DONE for _name, status, _message in outcomes), outcomes


def test_the_schedule_command_shows_every_schedule(runner, db):
    result = runner.invoke(args=["jobs", "schedule"])
    assert result.exit_code == 0, result.output
    for every in scheduler.DEFAULTS:
        assert every.name in result.output


# --- the dead-letter list -----------------------------------------------------------------------
def test_an_admin_retries_every_failed_job(client, db, login_as):
    for _ in range(2):
        job = jobs.enqueue("test.noop")
        job.status = JobStatus.FAILED
        job.message = "RuntimeError: boom"
        job.result = {"traceback": "Traceback ... RuntimeError: boom"}
    db.session.commit()
    login_as("admin")
    page = client.get("/admin/jobs")
    assert page.status_code == 200 and "RuntimeError: boom" in page.text
    response = client.post("/admin/jobs/retry-failed", data={})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).where(Job.status == JobStatus.QUEUED)) == 2


# --- the supervisor -----------------------------------------------------------------------------
def _read_until(process, needle, deadline):
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return line, seen
    raise AssertionError(f"{needle!r} not seen: {''.join(seen)}")


def test_the_supervisor_restarts_a_killed_worker_and_stops_cleanly(tmp_path):
    database = tmp_path / "sup.sqlite3"
    env = {
        **os.environ,
        "MATCHMAKER_ENV": "testing",
        "MATCHMAKER_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "PYTHONUNBUFFERED": "1",
    }
    create = (
        "from matchmaker import create_app; from matchmaker.extensions import db; "
        "app = create_app(); app.app_context().push(); db.create_all()"
    )
    subprocess.run([sys.executable, "-c", create], env=env, cwd=ROOT, check=True, timeout=60)
    process = subprocess.Popen(
        [*worker.child_command("jobs", "supervise", "--workers", "1", "--grace", "5")],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line, _ = _read_until(process, "Supervising", deadline)
        first = int(line.rsplit("pids ", 1)[1].rstrip(").\n"))
        time.sleep(0.5)
        os.kill(first, signal.SIGKILL)
        line, _ = _read_until(process, "Restarted worker-1", deadline)
        second = int(line.rsplit("pid ", 1)[1].rstrip(".\n"))
        assert second != first
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        rest = process.stdout.read()
        assert "Stopped 1 process(es)." in rest
        with pytest.raises(ProcessLookupError):
            os.kill(second, 0)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
