"""The processes that run the job queue: the worker loop, its heartbeat, and the supervisor.

- `work()` runs jobs until told to stop. It survives the database: any error outside a handler
  (a lost connection, `database is locked`, a lock timeout) is logged, rolled back and retried
  after a back-off doubling from 0.5 s up to `max_backoff`. Between batches it waits for a
  `NOTIFY matchmaker_jobs` on a dedicated psycopg connection (PostgreSQL) or simply sleeps
  (SQLite), never longer than `poll` seconds.
- `Heartbeat` is a thread writing `jobs.heartbeat_at` of this worker's running jobs every
  jobs.HEARTBEAT on a connection of its own (jobs.requeue_stale queues a job again when it stops).
- `supervise()` starts N `matchmaker jobs work` processes and optionally one
  `matchmaker jobs scheduler`, restarts any that dies (logged, with a back-off when one keeps
  dying), and on SIGTERM/SIGINT stops them all (SIGTERM, then SIGKILL after `grace` seconds).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.services.platform import jobs

log = logging.getLogger("matchmaker.jobs.worker")
BATCH = 100  # jobs run between two looks at the stop flag and the listener


class Waiter(Protocol):
    def wait(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


class PollWaiter:
    """SQLite (or no listener): sleep, waking early only when stopped."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def wait(self, timeout: float) -> bool:
        self.stop.wait(timeout)
        return False

    def close(self) -> None:
        pass


class ListenWaiter:
    """PostgreSQL: LISTEN on a dedicated autocommit connection; `wait` returns on a NOTIFY."""

    def __init__(self, engine: sa.Engine) -> None:
        import psycopg  # noqa: PLC0415 - only with PostgreSQL

        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
        self.connection.execute(f"LISTEN {jobs.CHANNEL}")

    def wait(self, timeout: float) -> bool:
        woken = False
        for _notice in self.connection.notifies(timeout=timeout, stop_after=1):
            woken = True
        if woken:  # several commits may have notified: one batch serves them all
            for _notice in self.connection.notifies(timeout=0.001):
                pass
        return woken

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - a broken connection is being dropped anyway
            log.debug("worker.listener_close_failed", exc_info=True)


def make_waiter(engine: sa.Engine, stop: threading.Event) -> Waiter:
    if engine.dialect.name == "postgresql":
        return ListenWaiter(engine)
    return PollWaiter(stop)


class Heartbeat(threading.Thread):
    """Writes this worker's heartbeat every `every` seconds until `stop` is set."""

    def __init__(self, engine: sa.Engine, worker: str, stop: threading.Event, every: float):
        super().__init__(name="job-heartbeat", daemon=True)
        self.engine, self.worker, self.stop, self.every = engine, worker, stop, every

    def run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                with self.engine.begin() as connection:
                    jobs.heartbeat(worker=self.worker, connection=connection)
            except Exception:  # noqa: BLE001 - the next beat tries again; staleness is 30 s
                log.warning("worker.heartbeat_failed", exc_info=True)


@dataclass
class WorkStats:
    ran: int = 0
    errors: int = 0


def work(
    *,
    stop: threading.Event,
    poll: float = 1.0,
    names: Iterable[str] = (),
    once: bool = False,
    max_backoff: float = 30.0,
    heartbeat_every: float | None = None,
    on_batch: Callable[[int], None] | None = None,
    sleep: Callable[[float], Any] | None = None,
) -> WorkStats:
    """Run jobs until `stop` is set (or, with `once`, until nothing is runnable).

    Needs the application context. Never raises for a database error: it backs off and goes on.
    """
    names = list(names)
    worker = jobs.worker_name()
    stats = WorkStats()
    beat = Heartbeat(db.engine, worker, stop, heartbeat_every or jobs.HEARTBEAT.total_seconds())
    beat.start()
    pause = sleep or stop.wait
    waiter: Waiter | None = None
    failures = 0
    try:
        while not stop.is_set():
            try:
                if waiter is None and not once:
                    waiter = make_waiter(db.engine, stop)
                ran = jobs.run_pending(limit=BATCH, names=names, worker=worker)
            except Exception:
                failures += 1
                stats.errors += 1
                delay = min(max_backoff, 0.5 * 2 ** (failures - 1))
                log.exception(
                    "worker.error", extra={"worker": worker, "failures": failures, "delay": delay}
                )
                _reset_session()
                if waiter is not None:
                    waiter.close()
                    waiter = None
                if once:
                    break
                pause(delay)
                continue
            finally:
                db.session.remove()
            failures = 0
            stats.ran += ran
            if ran and on_batch is not None:
                on_batch(ran)
            if once and ran < BATCH:
                break
            if ran < BATCH and waiter is not None:
                try:
                    waiter.wait(poll)
                except Exception:
                    log.warning("worker.listener_lost", exc_info=True)
                    waiter.close()
                    waiter = None
                    pause(min(poll, 1.0))
    finally:
        if once:
            stop.set()  # ends the heartbeat thread
        if waiter is not None:
            waiter.close()
    return stats


def _reset_session() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection itself may be gone
        log.debug("worker.rollback_failed", exc_info=True)
    try:
        db.session.remove()
    except Exception:  # noqa: BLE001
        log.debug("worker.remove_failed", exc_info=True)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT finish the running job, then stop the loop."""

    def handle(signum: int, _frame: object) -> None:
        log.info("worker.stopping", extra={"signal": signum})
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


# --- the supervisor -----------------------------------------------------------------------------
@dataclass
class Child:
    """One supervised process and its restart history."""

    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    backoff: float = 1.0
    restart_at: float = 0.0
    history: list[int] = field(default_factory=list)  # pids, oldest first

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # its lines reach the log as written
        self.process = subprocess.Popen(list(self.argv), env=env)  # noqa: S603 - our own argv
        self.started = time.monotonic()
        self.history.append(self.process.pid)
        log.info("supervisor.started", extra={"child": self.name, "pid": self.process.pid})


def child_command(*args: str) -> list[str]:
    """`matchmaker <args>` run by this interpreter (the console script need not be on PATH)."""
    return [sys.executable, "-m", "matchmaker.cli", *args]


def supervise(
    *,
    workers: int,
    scheduler: bool,
    stop: threading.Event,
    grace: float = 30.0,
    tick: float = 0.5,
    worker_args: Sequence[str] = (),
    echo: Callable[[str], None] = print,
) -> list[Child]:
    """Keep `workers` worker processes (and the scheduler) running until `stop` is set."""
    children = [
        Child(f"worker-{n}", child_command("jobs", "work", *worker_args))
        for n in range(1, workers + 1)
    ]
    if scheduler:
        children.append(Child("scheduler", child_command("jobs", "scheduler")))
    for child in children:
        child.start()
    echo(f"Supervising {', '.join(c.name for c in children)} (pids {_pids(children)}).")
    try:
        while not stop.wait(tick):
            now = time.monotonic()
            for child in children:
                process = child.process
                if process is not None and process.poll() is not None:
                    lived = now - child.started
                    # one that dies at once is restarted after 1, 2, 4 ... 30 s; else at once
                    child.backoff = 1.0 if lived > 60 else min(30.0, child.backoff * 2)
                    child.restart_at = now + (0.0 if lived > 60 else child.backoff / 2)
                    log.error(
                        "supervisor.child_died",
                        extra={
                            "child": child.name,
                            "pid": process.pid,
                            "returncode": process.returncode,
                            "lived": round(lived, 1),
                        },
                    )
                    echo(
                        f"{child.name} (pid {process.pid}) exited with {process.returncode} "
                        f"after {lived:.0f} s; restarting."
                    )
                    child.process = None
                if child.process is None and now >= child.restart_at:
                    child.restarts += 1
                    child.start()
                    echo(f"Restarted {child.name} as pid {child.history[-1]}.")
    finally:
        _stop_children(children, grace=grace, echo=echo)
    return children


def _pids(children: Iterable[Child]) -> str:
    return ", ".join(str(c.process.pid) for c in children if c.process is not None)


def _stop_children(children: list[Child], *, grace: float, echo: Callable[[str], None]) -> None:
    running = [c.process for c in children if c.process is not None and c.process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("supervisor.kill", extra={"pid": process.pid})
            process.kill()
            process.wait()
    echo(f"Stopped {len(running)} process(es).")
