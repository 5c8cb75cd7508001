"""The monthly report printed to PDF by Chromium carries its Chinese title and totals as text
(issue 16): the admin logs in, opens the printable page for a month with known results,
`page.pdf()` prints it (A4, the report's print CSS, WenQuanYi Micro Hei), and pypdf reads the
title and the listings' totals row back out of the PDF."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Need, Result
from matchmaker.services.bureau.figures import Filters
from matchmaker.services.bureau.figures_listings import utc_bounds
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.e2e.journey import log_in
from tests.e2e.support import Credentials, sync_api
from tests.factories import make_user, publish_result

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer

expect = sync_api().expect

TITLE = "长春市科技成果转化月度报告"
MONTH = "2026-10"
OCTOBER = Filters(start=datetime(2026, 10, 1).date(), end=datetime(2026, 10, 31).date())


def _count(model: type[Result] | type[Need]) -> int:
    """Listings created in October 2026 (China time), counted here from the database."""
    start, end = utc_bounds(OCTOBER)
    query = sa.select(sa.func.count()).select_from(model)
    return db.session.scalar(query.where(model.created_at >= start, model.created_at < end)) or 0


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_monthly_report_prints_to_a_pdf_with_chinese_text(
    page: Page, live_server: LiveServer, admin: Credentials
) -> None:
    pypdf = pytest.importorskip("pypdf")
    with live_server.app_context():
        ensure_key_industries()
        boss = make_user("admin", email="report-admin@e2e.example.com")
        uni = make_user("university", email="report-uni@e2e.example.com")
        db.session.commit()
        fields = {f.code: f for f in active_fields()}
        for number, day in enumerate((8, 27)):
            result = publish_result(uni, boss, fields, f"报告用成果{number}", "碳纤维复合材料。")
            result.created_at = datetime(2026, 10, day, 6, tzinfo=UTC)
        db.session.commit()
        results, needs = _count(Result), _count(Need)
    assert results >= 2

    page.goto("/")
    log_in(page, admin)
    page.goto(f"/bureau/reports/monthly?month={MONTH}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    totals = page.locator("#figure-listings_by_month tfoot tr")
    expect(totals).to_have_text(re.compile(rf"合计\s*{results}\s*{needs}"))
    page.evaluate("document.fonts.ready")

    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.pages[0].mediabox.width == pytest.approx(595, abs=2)  # A4 portrait
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    flat = _flat(text)
    assert TITLE in flat, text[:500]
    assert "2026年10月" in flat
    assert f"合计{results}{needs}" in flat, text
    # one area per page: the areas start on pages of their own
    assert len(reader.pages) >= 7
    fonts = {
        str(font.get_object().get("/BaseFont", ""))
        for p in reader.pages
        for font in (p.get("/Resources", {}).get("/Font", {}) or {}).values()
    }
    assert any("WenQuanYi" in name or "CJK" in name for name in fonts), fonts
