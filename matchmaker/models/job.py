"""The job queue: background work stored in the database, run by `matchmaker jobs work`."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, created_at, enum_column, intpk, utcnow


class JobStatus(enum.StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """One unit of background work; enqueued in the same transaction as the change causing it."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.Index("ix_jobs_status_run_after", "status", "run_after"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
    )

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(sa.String(64), info={"pii": "none"})
    args: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, info={"pii": "contact"})
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "job_status"),
        default=JobStatus.QUEUED,
        info={"pii": "none"},
    )
    attempts: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    max_attempts: Mapped[int] = mapped_column(default=3, info={"pii": "none"})
    run_after: Mapped[datetime] = mapped_column(default=utcnow, info={"pii": "none"})
    progress: Mapped[float] = mapped_column(default=0.0, info={"pii": "none"})
    message: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, info={"pii": "internal"})
    worker: Mapped[str | None] = mapped_column(sa.String(64), info={"pii": "none"})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]
    started_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    #: Written every few seconds by the worker running it: a running job whose heartbeat is
    #: old (and, on PostgreSQL, whose row no live transaction locks) is queued again.
    heartbeat_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    finished_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name} {self.status}>"


class JobSchedule(Base):
    """A periodic job (the scheduler's table): each due slot is claimed by one conditional
    UPDATE of `next_run_at`, so two schedulers on two hosts enqueue it once."""

    __tablename__ = "job_schedules"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True, info={"pii": "none"})
    job_name: Mapped[str] = mapped_column(sa.String(64), info={"pii": "none"})
    args: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, info={"pii": "internal"})
    #: Every `interval_seconds`, or once a day at `daily_at` ("HH:MM", Asia/Shanghai).
    interval_seconds: Mapped[int | None] = mapped_column(info={"pii": "none"})
    daily_at: Mapped[str | None] = mapped_column(sa.String(5), info={"pii": "none"})
    enabled: Mapped[bool] = mapped_column(default=True, info={"pii": "none"})
    next_run_at: Mapped[datetime] = mapped_column(info={"pii": "none"})
    last_run_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    last_job_id: Mapped[int | None] = mapped_column(info={"pii": "none"})

    def __repr__(self) -> str:
        return f"<JobSchedule {self.name} next={self.next_run_at}>"
