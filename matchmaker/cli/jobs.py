"""`matchmaker jobs`: the background job queue's workers, scheduler, supervisor and listings.

In production run one supervisor per host: `matchmaker jobs supervise --workers N --scheduler`
(the scheduler may run on several hosts: each slot is enqueued once).
"""

from __future__ import annotations

import threading

import click
from flask.cli import with_appcontext

from matchmaker.cli.transaction import transactional
from matchmaker.extensions import db


@click.group("jobs")
def jobs_group() -> None:
    """The background job queue."""


@jobs_group.command("work")
@click.option("--once", is_flag=True, help="Run what is queued now, then exit.")
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    help="Longest wait between two looks at the queue (PostgreSQL wakes at once on NOTIFY).",
)
@click.option("--name", "names", multiple=True, help="Only jobs of this name (repeatable).")
@with_appcontext
def jobs_work(once: bool, interval: float, names: tuple[str, ...]) -> None:
    """Run queued jobs until SIGTERM/SIGINT (start it with `jobs supervise`)."""
    import matchmaker.jobs  # noqa: F401 - registers the handlers
    from matchmaker.services.platform import jobs, worker

    stop = threading.Event()
    if not once:
        worker.stop_on_signals(stop)
        click.echo(f"Worker {jobs.worker_name()} waiting for jobs (Ctrl-C to stop).")

    def report(ran: int) -> None:
        click.echo(f"Ran {ran} job(s).")

    stats = worker.work(stop=stop, poll=interval, names=names, once=once, on_batch=report)
    db.session.remove()
    if once and stats.errors:
        raise click.ClickException("The queue could not be read; see the log.")


@jobs_group.command("scheduler")
@click.option("--every", default=10.0, show_default=True, help="Seconds between two looks.")
@with_appcontext
def jobs_scheduler(every: float) -> None:
    """Enqueue the periodic jobs when due, until SIGTERM/SIGINT (replaces cron)."""
    from matchmaker.services.platform import scheduler, worker

    stop = threading.Event()
    worker.stop_on_signals(stop)
    click.echo("Scheduler running (Ctrl-C to stop).")
    scheduler.run_forever(stop=stop, every=every)


@jobs_group.command("schedule")
@click.option("--run-due", is_flag=True, help="Enqueue the due slots now, then show.")
@transactional
def jobs_schedule(run_due: bool) -> None:
    """The periodic jobs: when each runs next (the default ones are added if missing)."""
    from matchmaker.services.platform import scheduler

    scheduler.ensure_schedules()
    if run_due:
        for job in scheduler.run_due():
            click.echo(f"Queued job {job.id} ({job.name}).")
    for row in scheduler.schedules():
        when = (
            f"every {row.interval_seconds // 60} min"
            if row.interval_seconds
            else f"daily {row.daily_at}"
        )
        state = "" if row.enabled else " (disabled)"
        last = row.last_run_at.isoformat(timespec="seconds") if row.last_run_at else "never"
        click.echo(
            f"{row.name:<30} {when:<14} next {row.next_run_at.isoformat(timespec='seconds')} "
            f"last {last}{state}"
        )


@jobs_group.command("supervise")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(0, 64))
@click.option("--scheduler/--no-scheduler", default=False, help="Also run the scheduler.")
@click.option("--grace", default=30.0, show_default=True, help="Seconds a stopping job gets.")
@with_appcontext
def jobs_supervise(workers: int, scheduler: bool, grace: float) -> None:
    """Run N workers (and the scheduler), restarting any that dies, until SIGTERM/SIGINT."""
    from matchmaker.services.platform import worker

    if workers == 0 and not scheduler:
        raise click.BadParameter("nothing to run: give --workers 1 or more, or --scheduler")
    stop = threading.Event()
    worker.stop_on_signals(stop)
    worker.supervise(workers=workers, scheduler=scheduler, stop=stop, grace=grace, echo=click.echo)


@jobs_group.command("retry-failed")
@transactional
def jobs_retry_failed() -> None:
    """Queue every failed job again (the dead-letter list) with a fresh set of attempts."""
    from matchmaker.services.platform import jobs

    click.echo(f"Queued {jobs.retry_all_failed()} failed job(s) again.")


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
