"""`matchmaker listings`: bulk import of drafts (results, needs, `--kind experts` for expert
profiles), and expiry."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from matchmaker.cli.transaction import transactional
from matchmaker.extensions import db


@click.group("listings")
def listings_group() -> None:
    """Results and needs: bulk import, expiry."""


@listings_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_id", type=int, required=True, help="Owner organisation id.")
@click.option(
    "--kind",
    type=click.Choice(["results", "needs", "experts"]),
    default=None,
    help="Listing type, or expert profiles (default: results for universities and institutes, "
    "needs otherwise).",
)
@click.option("--as", "as_email", default=None, help="E-mail of the acting member.")
@transactional
def listings_import(file: Path, org_id: int, kind: str | None, as_email: str | None) -> None:
    """Create drafts (results, needs or expert profiles) from a filled template (.xlsx) or CSV:
    all rows or none."""
    from matchmaker.models import Organisation
    from matchmaker.services.errors import NotFound, PermissionDenied
    from matchmaker.services.market import excel
    from matchmaker.services.talent.experts import require_keeper as expert_keeper

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
    try:
        checker = excel.checker_for(singular, organisation_id=org_id)
        if singular == "expert":
            expert_keeper(actor)
    except PermissionDenied as error:
        raise click.ClickException(str(error)) from error
    with click.progressbar(table.rows, label=f"Checking {len(table.rows)} rows") as rows:
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
    """Remind owners 14 days ahead and expire unconfirmed listings, and expire expert profiles
    past their validity (safe to run from cron)."""
    from matchmaker.services.market.listings import expire_listings
    from matchmaker.services.talent.expert_review import expire_experts

    counts = expire_listings()
    experts = expire_experts()
    click.echo(
        f"Reminded {counts['reminded']}, expired {counts['expired']}; "
        f"expired {experts} expert profiles."
    )


@listings_group.command("review-digest")
@transactional
def listings_review_digest() -> None:
    """Send each admin one daily digest of the review queue (safe to run from cron, any time)."""
    from matchmaker.services.market.listings import send_review_digest

    sent = send_review_digest()
    click.echo(f"Review digest sent to {sent} admin(s).")
