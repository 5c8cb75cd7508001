"""The `matchmaker` console script: a FlaskGroup over create_app with the project's groups."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from matchmaker import ROOT, create_app
from matchmaker.extensions import db
from matchmaker.services.errors import ValidationFailed

if TYPE_CHECKING:
    from matchmaker.services.market.alerts import AlertLinks

P = ParamSpec("P")
R = TypeVar("R")


def transactional(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command in the app context as one unit of work: commit at its end, or roll back."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        from matchmaker.services.platform import uow

        with uow.scope():
            return command(*args, **kwargs)

    return with_appcontext(run)


@click.group(cls=FlaskGroup, create_app=lambda: create_app())
def cli() -> None:
    """matchmaker: Jilin technology market platform."""


# --- seed -------------------------------------------------------------------------------------
@click.group("seed")
def seed_group() -> None:
    """Demo data."""


@seed_group.command("demo")
@click.option("--reset", is_flag=True, help="Delete all data first, then load the demo data.")
@click.option("--if-empty", is_flag=True, help="Load only when the database has no data yet.")
@click.option("--force", is_flag=True, help="Allow loading demo data in production.")
@transactional
def seed_demo(reset: bool, if_empty: bool, force: bool) -> None:
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
    counts = seed.load_demo(echo=click.echo)
    from matchmaker.services import matching

    state = matching.rebuild_index()
    click.echo(
        f"Loaded {counts['organisations']} organisations and {counts['users']} users; "
        f"recommender index generation {state.generation} with {state.documents} listings."
    )


# --- users ------------------------------------------------------------------------------------
@click.group("users")
def users_group() -> None:
    """Accounts."""


@users_group.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name (defaults to the e-mail address).")
@transactional
def create_admin_command(email: str, name: str) -> None:
    """Create an administrator; the password comes from MATCHMAKER_ADMIN_PASSWORD or a prompt."""
    from matchmaker.services.accounts.users import create_admin

    password = os.environ.get("MATCHMAKER_ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = create_admin(email=email, password=password, name=name)
    except ValidationFailed as error:
        raise click.ClickException("; ".join(" ".join(m) for m in error.errors.values())) from error
    click.echo(f"Created administrator {user.email} (id {user.id}).")


# --- listings ---------------------------------------------------------------------------------
@click.group("listings")
def listings_group() -> None:
    """Results and needs: bulk import, expiry."""


@listings_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_id", type=int, required=True, help="Owner organisation id.")
@click.option(
    "--kind",
    type=click.Choice(["results", "needs"]),
    default=None,
    help="Listing type (default: results for universities and institutes, needs otherwise).",
)
@click.option("--as", "as_email", default=None, help="E-mail of the acting member.")
@transactional
def listings_import(file: Path, org_id: int, kind: str | None, as_email: str | None) -> None:
    """Create drafts from a filled template (.xlsx) or CSV: all rows or none."""
    from matchmaker.models import Organisation
    from matchmaker.services.errors import NotFound
    from matchmaker.services.market import excel

    org = db.session.get(Organisation, org_id)
    if org is None:
        raise click.ClickException(f"No organisation with id {org_id}.")
    if kind is None:
        kind = "results" if org.kind in ("university", "institute") else "needs"
    singular = kind[:-1]
    limit = current_app.config["IMPORT_MAX_BYTES"]
    with file.open("rb") as handle:
        content = handle.read(limit + 1)
    try:
        actor = excel.importing_member(organisation_id=org_id, kind=singular, email=as_email)
        table = excel.read_table(kind=singular, filename=file.name, content=content)
    except (NotFound, excel.ImportRefused) as error:
        raise click.ClickException(str(error) or "No member may import this kind.") from error
    with click.progressbar(table.rows, label=f"Checking {len(table.rows)} rows") as rows:
        checker = excel.RowChecker(singular)
        checked = [checker.check(row) for row in rows]
    report = excel.ImportReport(singular, table.columns, checked)
    click.echo(f"Checked {report.checked} rows.")
    if not report.ok:
        for problem in report.problems():
            click.echo(f"  row {problem.row} · {problem.column}: {problem.message}", err=True)
        raise click.ClickException(
            f"{len(report.bad_rows)} of {report.checked} rows have errors; nothing was imported."
        )
    created = excel.create_drafts(actor=actor, report=report)
    click.echo(f"Created {len(created)} draft {kind} for {org.name} (as {actor.email}).")


@listings_group.command("expire")
@transactional
def listings_expire() -> None:
    """Remind owners 14 days ahead and expire unconfirmed listings (safe to run from cron)."""
    from matchmaker.services.market.listings import expire_listings

    counts = expire_listings()
    click.echo(f"Reminded {counts['reminded']}, expired {counts['expired']}.")


# --- translate --------------------------------------------------------------------------------
@click.group("translate")
def translate_group() -> None:
    """Translation catalogs (Babel)."""


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    status = CommandLineInterface().run(["pybabel", "-q", *args])
    if status:
        raise click.ClickException(f"pybabel {args[0]} failed")


TRANSLATIONS = ROOT / "matchmaker" / "translations"
POT = ROOT / "messages.pot"


@translate_group.command("extract")
def translate_extract() -> None:
    """Collect the marked strings into messages.pot."""
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        # Babel skips folders starting with "_" by default; templates/_partials must be read.
        "--ignore-dirs",
        ".* __pycache__",
        "-o",
        str(POT),
        str(ROOT / "matchmaker"),
        str(ROOT / "templates"),
    )


@translate_group.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every catalog."""
    translate_extract.callback()  # type: ignore[misc]
    _pybabel(
        "update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--width", "100"
    )


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile the catalogs (.po → .mo)."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


# --- recommender ------------------------------------------------------------------------------
@click.group("recommender")
def recommender_group() -> None:
    """The matching engine: quality and speed."""


@recommender_group.command("evaluate")
@click.argument("items", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--k", default=10, show_default=True, help="Cut-off of the headline metrics.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def recommender_evaluate(items: Path, qrels: Path, k: int, as_json: bool) -> None:
    """Rank every judged need's results and report nDCG, recall and MRR against baselines."""
    from matchmaker.recommender import evaluate

    result = evaluate.evaluate(evaluate.load_items(items), evaluate.load_qrels(qrels), k=k)
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else evaluate.format_table(result))


@recommender_group.command("rebuild")
@transactional
def recommender_rebuild() -> None:
    """Fit the index on every public listing, write a new artifact, bump the generation."""
    from matchmaker.services import matching

    with click.progressbar(length=1, label="Reading listings") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        state = matching.rebuild_index(progress=progress)
    click.echo(
        f"Index generation {state.generation}: {state.documents} documents "
        f"in {state.build_seconds:.1f} s ({state.artifact})."
    )


@recommender_group.command("bench")
@click.option("--docs", default=100_000, show_default=True, help="Synthetic corpus size.")
@click.option("--queries", default=200, show_default=True, help="Queries to time.")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def recommender_bench(docs: int, queries: int, seed: int, as_json: bool) -> None:
    """Build and query a synthetic corpus; report build time, memory and latency vs bm25s."""
    from matchmaker.recommender import bench

    result = bench.run(docs=docs, queries=queries, seed=seed)
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else json.dumps(result, indent=2))


# --- alerts -----------------------------------------------------------------------------------
@click.group("alerts")
def alerts_group() -> None:
    """Saved searches and followed listings: the digests of new matches."""


def alert_links() -> AlertLinks:
    """Absolute links for digests sent outside a request (host from MATCHMAKER_SERVER_NAME)."""
    from flask import url_for

    from matchmaker.services.market.alerts import AlertLinks

    def search(kind: str, criteria: dict[str, object]) -> str:
        endpoint = "market.results" if kind == "result" else "market.needs"
        return url_for(endpoint, **criteria, sort="newest", _external=True)

    return AlertLinks(
        listing=lambda kind, listing_id: url_for(
            "market.result" if kind == "result" else "market.need",
            listing_id=listing_id,
            _external=True,
        ),
        search=search,
        unsubscribe=lambda token: url_for("alerts.unsubscribe_page", token=token, _external=True),
        manage=url_for("alerts.index", _external=True),
    )


@alerts_group.command("send")
@click.option(
    "--frequency",
    type=click.Choice(["instant", "daily", "weekly", "all"]),
    default="all",
    show_default=True,
    help="Only this frequency (daily and weekly still wait their period).",
)
@with_appcontext
def alerts_send(frequency: str) -> None:
    """Send every due digest of new matches, each match once (safe to run from cron)."""
    from matchmaker.services.market.alerts import send_due

    if not current_app.config.get("SERVER_NAME") and current_app.config["ENV_NAME"] == "production":
        raise click.ClickException(
            "Set MATCHMAKER_SERVER_NAME (the public host name): digests carry absolute links."
        )
    from matchmaker.services.platform import uow

    # url_for with SERVER_NAME and the URL scheme; the exit code comes after the commit
    with current_app.test_request_context(), uow.scope():
        counts = send_due(links=alert_links(), frequency=frequency)
    click.echo(
        f"Sent {counts['subscriptions']} digests with {counts['matches']} matches; "
        f"{counts['failed']} failed (retried next run)."
    )
    if counts["failed"]:
        sys.exit(1)


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


# --- challenges -----------------------------------------------------------------------------
@click.group("challenges")
def challenges_group() -> None:
    """揭榜挂帅 challenges and deals."""


@challenges_group.command("tick")
@transactional
def challenges_tick() -> None:
    """Close due application windows, remind and flag trials (safe to run from cron)."""
    from matchmaker.services.challenges.challenges import tick

    counts = tick()
    click.echo(
        f"Closed {counts['closed']} challenges; reminded {counts['trial_reminded']} trials, "
        f"flagged {counts['trial_overdue']} overdue."
    )


# --- 科技金融 --------------------------------------------------------------------------------
@click.group("finance")
def finance_group() -> None:
    """科技金融: firm profiles, the 创新积分, consent reminders."""


@finance_group.command("rescore")
@click.option("--all", "all_profiles", is_flag=True, help="Recompute every score, not only stale.")
@transactional
def finance_rescore(all_profiles: bool) -> None:
    """Recompute the stale 创新积分 (stale inputs, a new formula, an expired certificate)."""
    from matchmaker.services.finance import innovation_score

    count = innovation_score.rescore(all_profiles=all_profiles)
    click.echo(f"Rescored {count} firm profiles.")


@finance_group.command("remind")
@transactional
def finance_remind() -> None:
    """Remind firms whose consent to banks expires within 7 days (once per grant; cron)."""
    from matchmaker.services.finance import firm_profiles

    count = firm_profiles.remind_expiring_consents()
    click.echo(f"Reminded {count} firms of expiring consent.")


GROUPS = (
    seed_group,
    users_group,
    listings_group,
    translate_group,
    recommender_group,
    alerts_group,
    jobs_group,
    challenges_group,
    finance_group,
)
for _group in GROUPS:
    # On the console script itself, so commands that need no app (recommender, translate)
    # run even where the app cannot start (no secret key yet).
    cli.add_command(_group)


def register(app: Flask) -> None:
    """Attach the groups to the app too (so `flask --app wsgi ...` has them)."""
    for group in GROUPS:
        app.cli.add_command(group)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
