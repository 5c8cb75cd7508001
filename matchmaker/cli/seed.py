"""`matchmaker seed`: deterministic demo data."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app

from matchmaker.cli.recommender import rebuild_with_progress
from matchmaker.cli.transaction import transactional


class _Progress:
    """One line that the seed's steps overwrite on a terminal (nothing in a log), then a summary."""

    def __init__(self, *, verbose: bool = False) -> None:
        self.steps = 0
        self.verbose = verbose
        self.tty = sys.stdout.isatty() and not verbose

    def __call__(self, message: str) -> None:
        self.steps += 1
        if self.verbose:
            click.echo(message)
        elif self.tty:
            text = f"Loading demo data ({self.steps}): {message.strip()}"
            click.echo("\r" + click.style(text[:76].ljust(76)), nl=False)

    def done(self) -> None:
        if self.tty:
            click.echo("\r" + " " * 90 + "\r", nl=False)


@click.group("seed")
def seed_group() -> None:
    """Demo data."""


@seed_group.command("demo")
@click.option("--reset", is_flag=True, help="Delete all data first, then load the demo data.")
@click.option("--if-empty", is_flag=True, help="Load only when the database has no data yet.")
@click.option("--force", is_flag=True, help="Allow loading demo data in production.")
@click.option("-v", "--verbose", is_flag=True, help="Print a line per step instead of one.")
@transactional
def seed_demo(reset: bool, if_empty: bool, force: bool, verbose: bool) -> None:
    """Load deterministic demo organisations and users (development only)."""
    from matchmaker import seed

    if not current_app.config.get("SEED_ALLOWED") and not force:
        raise click.ClickException(
            "Refusing to load demo data in production (MATCHMAKER_ENV=production). "
            "Use --force if you really mean it."
        )
    if reset:
        seed.wipe()
    elif not seed.is_empty():
        if if_empty:
            click.echo("Database already has data; demo data not loaded.")
            return
        raise click.ClickException("The database is not empty: use --reset to replace its data.")
    progress = _Progress(verbose=verbose)
    index_log = logging.getLogger("matchmaker.matching")
    level = index_log.level
    if not verbose:
        index_log.setLevel(logging.WARNING)  # the index's queue/rebuild lines: one summary below
    try:
        counts = seed.load_demo(echo=progress)
        from matchmaker.services import matching

        progress("recommender index")
        state = matching.rebuild_index()
    finally:
        index_log.setLevel(level)
    progress.done()
    click.echo(
        f"Loaded {counts['organisations']} organisations and {counts['users']} users; "
        f"recommender index generation {state.generation} with {state.documents} listings."
    )


@seed_group.command("synthetic")
@click.option("--listings", type=click.IntRange(1, 2_000_000), default=100_000, show_default=True)
@click.option(
    "--seed", "seed_value", type=int, default=2026, show_default=True, help="Random seed."
)
@click.option("--add-more", is_flag=True, help="Add to the synthetic data already loaded.")
@click.option("--no-index", is_flag=True, help="Queue the index rebuild instead of running it.")
@click.option("--force", is_flag=True, help="Allow loading synthetic data in production.")
@transactional
def seed_synthetic(
    listings: int, seed_value: int, add_more: bool, no_index: bool, force: bool
) -> None:
    """Load published synthetic results and needs for load tests (docs/performance.md).

    Refuses when synthetic data is already loaded, unless --add-more (new organisations and
    listings, numbered after the earlier ones). One transaction: an interrupted run leaves
    nothing behind.
    """
    from matchmaker.seed import synthetic
    from matchmaker.services import matching
    from matchmaker.services.platform import jobs

    if not current_app.config.get("SEED_ALLOWED") and not force:
        raise click.ClickException(
            "Refusing to load synthetic data in production (MATCHMAKER_ENV=production). "
            "Use --force if you really mean it."
        )
    existing = synthetic.synthetic_counts()
    if existing["organisations"] and not add_more:
        raise click.ClickException(
            f"Synthetic data is already loaded ({existing['results']} results, "
            f"{existing['needs']} needs): use --add-more to add to it."
        )
    with click.progressbar(length=listings, label="Synthetic listings") as bar:
        counts = synthetic.load_synthetic(listings=listings, seed=seed_value, progress=bar.update)
    summary = (
        f"Loaded {counts['results']} results and {counts['needs']} needs of "
        f"{counts['organisations']} synthetic organisations"
    )
    if no_index:
        job = jobs.enqueue(matching.REBUILD_JOB)
        click.echo(f"{summary}; index rebuild queued (job {job.id}).")
        return
    state = rebuild_with_progress("Recommender index")
    click.echo(
        f"{summary}; recommender index generation {state.generation} with "
        f"{state.documents} documents ({state.build_seconds:.1f} s)."
    )
