"""What `/healthz` reports: the database, Redis, the job backlog and the index generation.

The answer is 200 while the app can serve (the database answers); Redis down or a job backlog
is reported as "degraded" detail but does not take the host out of the load balancer, since
every use of Redis falls back (docs/deploy.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from matchmaker import __version__
from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, RecommenderState
from matchmaker.models.base import utcnow
from matchmaker.services import matching
from matchmaker.services.platform import kv, stats


def report() -> tuple[dict[str, Any], bool]:
    """The health document and whether this host can serve (the database answers)."""
    database = stats.database_ok()
    body: dict[str, Any] = {
        "status": "ok" if database else "error",
        "database": "ok" if database else "error",
        "redis": kv.status(),
        "version": __version__,
    }
    if database:
        body["jobs"] = job_backlog()
        body["index"] = index_generation()
    if database and (body["redis"] == "error" or body["index"]["unusable_artifact"]):
        body["status"] = "degraded"
    return body, database


def job_backlog() -> dict[str, Any]:
    """Queued jobs that are due, failed ones (the dead letters), and the oldest due one's age."""
    now = utcnow()
    due = sa.and_(Job.status == JobStatus.QUEUED, Job.run_after <= now)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(due),
            sa.func.count().filter(Job.status == JobStatus.RUNNING),
            sa.func.count().filter(Job.status == JobStatus.FAILED),
            sa.func.min(Job.run_after).filter(due),
        )
    ).one()
    oldest = row[3]
    return {
        "queued": row[0],
        "running": row[1],
        "failed": row[2],
        "oldest_seconds": _seconds(now - oldest) if oldest is not None else 0,
    }


def index_generation() -> dict[str, Any]:
    """The index generation published in the database and when it was built, and what this
    worker has loaded (an artifact it could not load makes the host "degraded": it serves the
    last good generation while the rebuild it queued runs)."""
    state = db.session.get(RecommenderState, 1)
    built = state.built_at if state is not None else None
    return {
        "generation": state.generation if state is not None else 0,
        "documents": state.documents if state is not None else 0,
        "age_seconds": _seconds(utcnow() - built) if built is not None else None,
        **matching.loaded_index(),
    }


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))
