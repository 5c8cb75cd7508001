"""`matchmaker jobs`: the background job queue's worker and listing."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from matchmaker.extensions import db


@click.group("jobs")
def jobs_group() -> None:
    """The background job queue."""


@jobs_group.command("work")
@click.option("--once", is_flag=True, help="Run what is queued now, then exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@with_appcontext
def jobs_work(once: bool, interval: float) -> None:
    """Run queued jobs (start one or more of these next to the web workers)."""
    import time

    import matchmaker.jobs  # noqa: F401 - registers the handlers
    from matchmaker.services.platform import jobs

    click.echo(f"Worker {jobs.worker_name()} waiting for jobs (Ctrl-C to stop).")
    while True:
        ran = jobs.run_pending()
        if ran:
            click.echo(f"Ran {ran} job(s).")
        db.session.remove()
        if once:
            return
        time.sleep(interval)


@jobs_group.command("list")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def jobs_list(limit: int) -> None:
    """The latest jobs and their state."""
    from matchmaker.services.platform import jobs

    for job in jobs.recent(limit=limit):
        click.echo(
            f"{job.id:>6} {job.name:<24} {job.status:<8} {job.progress:>4.0%} "
            f"attempts={job.attempts} {job.message or ''}"
        )
