"""Throughput of the job queue on PostgreSQL: N no-op jobs run by 1, 2 and 4 worker processes.

    .venv/bin/python benchmarks/jobs_bench.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h_jobs_bench \
        --jobs 5000 --workers 1,2,4

The database is emptied and its tables created from the models (use a database of its own).
For each worker count: the jobs are enqueued in one transaction (each with its NOTIFY, as the
application does), then N forked processes run `worker.work(once=True)` (claim with SKIP
LOCKED, run, commit DONE: two commits per job) until the queue is empty; jobs/s is the count
over the wall time from the start of the workers to the last one's exit.
Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import threading
import time
from typing import Any

import sqlalchemy as sa

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus
from matchmaker.services.platform import jobs, worker


@jobs.handler("bench.noop")
def _noop(job: Job) -> None:
    return None


def _work(url: str, instance: str, ready: Any) -> None:
    app = create_app(TestConfig, instance_path=instance, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.session.execute(sa.select(1))  # connected and imported before the clock starts
        db.session.remove()
        ready.wait()
        worker.work(stop=threading.Event(), once=True)
        db.session.remove()
        db.engine.dispose()


def run(url: str, count: int, workers: list[int]) -> list[dict[str, object]]:
    instance = tempfile.mkdtemp(prefix="jobs-bench-")
    app = create_app(TestConfig, instance_path=instance, SQLALCHEMY_DATABASE_URI=url)
    results = []
    with app.app_context():
        assert db.engine.dialect.name == "postgresql", "the benchmark is for PostgreSQL"
        db.drop_all()
        db.create_all()
        for n in workers:
            db.session.execute(sa.delete(Job))
            db.session.commit()
            started = time.perf_counter()
            for _ in range(count):
                jobs.enqueue("bench.noop")
            db.session.commit()
            enqueue_seconds = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
            context = multiprocessing.get_context("spawn")
            ready = context.Barrier(n + 1)
            processes = [
                context.Process(target=_work, args=(url, instance, ready)) for _ in range(n)
            ]
            for process in processes:
                process.start()
            ready.wait()  # every worker has started: time the work alone
            started = time.perf_counter()
            for process in processes:
                process.join()
            seconds = time.perf_counter() - started
            done = db.session.scalar(sa.select(sa.func.count()).where(Job.status == JobStatus.DONE))
            duplicates = db.session.scalar(sa.select(sa.func.count()).where(Job.attempts > 1))
            result = {
                "queue": "matchmaker",
                "workers": n,
                "jobs": count,
                "done": done,
                "run_more_than_once": duplicates,
                "seconds": round(seconds, 2),
                "jobs_per_s": round(count / seconds, 1),
                "enqueue_jobs_per_s": round(count / enqueue_seconds, 1),
            }
            print(json.dumps(result), flush=True)
            results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/h_jobs_bench"
    )
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    run(args.database_url, args.jobs, [int(n) for n in args.workers.split(",")])


if __name__ == "__main__":
    main()
