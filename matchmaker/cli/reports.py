"""`matchmaker reports`: the bureau's monthly report as .xlsx (and as a PDF)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import current_app

from matchmaker.cli.transaction import transactional

if TYPE_CHECKING:
    from matchmaker.services.bureau.reports import Report

CHROMIUM = Path("/usr/bin/chromium")
CSS = Path("css") / "report-print.css"


@click.group("reports")
def reports_group() -> None:
    """Reports for the 科技局: the monthly report."""


@reports_group.command("monthly")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month, e.g. 2026-11.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the .xlsx (default ./matchmaker-report-YYYY-MM.xlsx).",
)
@click.option(
    "--pdf",
    "pdf_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also print the report to this PDF (Playwright and Chromium at /usr/bin/chromium).",
)
@transactional
def reports_monthly(month: str, out: Path | None, pdf_path: Path | None) -> None:
    """Write the monthly report (one sheet per area) and print its path."""
    from matchmaker.services.bureau import reports
    from matchmaker.services.errors import ValidationFailed

    try:
        report = reports.monthly_report(month)
    except ValidationFailed as error:
        message = " ".join(error.errors.get("month", [])) or "invalid month"
        raise click.BadParameter(f"{month!r}: {message}", param_hint="'--month'") from None
    out = out or Path(f"matchmaker-report-{report.month}.xlsx")
    out.write_bytes(reports.write_xlsx(report))
    click.echo(str(out))
    if pdf_path is not None:
        write_pdf(report, pdf_path)
        click.echo(str(pdf_path))


def write_pdf(report: Report, path: Path) -> None:
    """Print the report's page to a PDF with headless Chromium, as the browser test does."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise click.ClickException(
            "--pdf needs Playwright (pip install playwright; the test extras have it) and "
            f"Chromium at {CHROMIUM}; the .xlsx was written."
        ) from None
    if not CHROMIUM.exists():
        raise click.ClickException(f"--pdf needs Chromium at {CHROMIUM}; the .xlsx was written.")
    from flask import render_template

    from matchmaker.services.bureau import figures

    with current_app.test_request_context():
        html = render_template(
            "bureau/report_document.html", report=report, display=figures.display
        )
    css = Path(current_app.static_folder or "static") / CSS

    def print_pdf() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
            )
            try:
                page = browser.new_page()
                page.set_content(html, wait_until="load")
                page.add_style_tag(path=str(css))
                page.evaluate("document.fonts.ready")
                page.emulate_media(media="print")
                page.pdf(
                    path=str(path), format="A4", print_background=True, prefer_css_page_size=True
                )
            finally:
                browser.close()

    # Playwright's sync API refuses to run in a thread with a running asyncio loop (a caller
    # may have one, as the test process does): print in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(print_pdf).result()
