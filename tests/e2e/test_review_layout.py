"""Issue 13 re-review, layout points 15-18 and 20, in a real browser.

15 English at 390 px: the brand wraps, the home page does not scroll sideways.
16 English at 390 px: the firm page's activity badge wraps inside its card.
17 English at 1280 px: the bank's firm table fits without an inner scroll or clipped text.
18 Chinese at 390 px: the admin funnel table keeps readable columns (it scrolls in its box),
   and the funnel chart's labels are drawn at 12 px or more.
20 A search highlight has no horizontal padding (it would split the word).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from matchmaker.extensions import db
from matchmaker.models import Organisation, TechField
from matchmaker.models.firm import ConsentScope
from matchmaker.services.finance import firm_scope
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import Credentials, sync_api
from tests.factories import PASSWORD, make_user
from tests.finance_factories import make_financing_need, make_firm

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> dict[str, object]:
    """A bank, an admin and three consenting firms with long English-ish content."""
    with live_server.app_context():
        bank = make_user("bank", email="bank@e2e-review.example.com", name="审阅银行")
        admin = make_user("admin", email="admin@e2e-review.example.com", name="审阅管理员")
        field = TechField(
            code="review-cf", name="碳纤维及新材料", name_en="Carbon fibre & new materials"
        )
        db.session.add(field)
        db.session.flush()
        consented = (
            ConsentScope.BASIC
            | ConsentScope.INNOVATION
            | ConsentScope.FINANCIALS
            | ConsentScope.ACTIVITY
        )
        firms = [
            make_firm(scopes=int(consented), field_id=field.id, specialised=level)
            for level in ("sme", "little_giant", "sme")
        ]
        names = (
            "吉林市宏达碳纤维材料有限公司",
            "长春锐光光电科技有限公司",
            "通化康元生物医药股份有限公司",
        )
        for firm, name in zip(firms, names, strict=True):
            db.session.get(Organisation, firm.organisation_id).name = name
            make_financing_need(firm, amount_wan=Decimal(2000))
        db.session.commit()
        return {
            "bank": Credentials(bank.email, PASSWORD, bank.name),
            "admin": Credentials(admin.email, PASSWORD, admin.name),
            "firms": [f.organisation_id for f in firms],
        }


@pytest.fixture(autouse=True)
def _firms_recently_active(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every firm counts as recently active, so the long badge is on the pages."""
    monkeypatch.setattr(firm_scope, "recently_active", lambda ids, now=None: set(ids))


def _log_in(page: Page, who: Credentials, locale: str = "zh") -> None:
    page.goto("/auth/login")
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(who.email)
    form.get_by_label("密码").fill(who.password)
    form.get_by_role("button", name="登录").click()
    pass_second_step(page, who.email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    if locale == "en":
        _english(page)


def _english(page: Page) -> None:
    """The navbar's language switch (behind the menu button where the bar is collapsed)."""
    if page.locator("html").get_attribute("lang") == "en":
        return  # the account remembers an earlier switch
    nav = page.locator("nav.navbar")
    toggler = nav.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(nav.locator(".collapsing")).to_have_count(0)
    nav.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_english_home_fits_a_phone(phone_page: Page, browser_errors: BrowserErrors) -> None:
    page = phone_page
    page.goto("/")
    _english(page)
    page.goto("/")
    assert page.evaluate(OVERFLOW) <= 0, "the English home page scrolls sideways at 390 px"
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand is not None and brand["x"] + brand["width"] <= 390
    assert browser_errors == []


def test_english_firm_page_fits_a_phone(
    phone_page: Page, world: dict, browser_errors: BrowserErrors
) -> None:
    page = phone_page
    _log_in(page, world["bank"], "en")
    page.goto(f"/finance/firms/{world['firms'][0]}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    badge = page.locator("#activity .badge")
    expect(badge).to_be_visible()
    card = page.locator("#activity").bounding_box()
    box = badge.bounding_box()
    assert card is not None and box is not None
    assert box["x"] + box["width"] <= card["x"] + card["width"] + 0.5
    assert page.evaluate(OVERFLOW) <= 0, "the firm page scrolls sideways at 390 px"
    assert browser_errors == []


def test_english_firm_table_fits_1280(
    page: Page, world: dict, browser_errors: BrowserErrors
) -> None:
    _log_in(page, world["bank"], "en")
    page.goto("/finance/firms")
    table = page.locator("#firms")
    expect(table).to_be_visible()
    sizes = page.evaluate(
        """() => {
          const box = document.querySelector('#firms').closest('.table-responsive');
          const clipped = [...document.querySelectorAll('#firms th, #firms td, #firms .badge')]
            .filter(el => el.scrollWidth > el.clientWidth + 1
                     && getComputedStyle(el).overflow !== 'visible')
            .map(el => el.innerText);
          return {scroll: box.scrollWidth, client: box.clientWidth, clipped};
        }"""
    )
    assert sizes["scroll"] <= sizes["client"], sizes
    assert sizes["clipped"] == [], sizes
    assert browser_errors == []


def test_admin_funnel_is_readable_on_a_phone(
    phone_page: Page, world: dict, browser_errors: BrowserErrors
) -> None:
    page = phone_page
    _log_in(page, world["admin"])
    page.goto("/dashboard")
    headers = page.evaluate(
        """() => [...document.querySelectorAll('#platform-funnel-table thead th')].map(th => {
          const s = getComputedStyle(th);
          const content = th.getBoundingClientRect().height
            - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
          return {text: th.innerText, lines: content / parseFloat(s.lineHeight)};
        })"""
    )
    assert headers
    for header in headers:
        assert header["lines"] < 1.5, header  # not one character per line
    chart = page.locator("svg.funnel-chart-phone")
    expect(chart).to_be_visible()
    sizes = chart.evaluate(
        """svg => [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height)"""
    )
    assert sizes and min(sizes) >= 12, sizes  # drawn text height in CSS px
    expect(page.locator("#platform-funnel svg.funnel-chart")).to_be_hidden()
    assert page.evaluate(OVERFLOW) <= 0
    assert browser_errors == []


def test_search_highlight_has_no_side_padding(page: Page, browser_errors: BrowserErrors) -> None:
    page.goto("/")
    padding = page.evaluate(
        """() => {
          const mark = document.createElement('mark');
          mark.textContent = '碳纤';
          document.querySelector('main').appendChild(mark);
          const s = getComputedStyle(mark);
          return [s.paddingLeft, s.paddingRight];
        }"""
    )
    assert padding == ["0px", "0px"]
    assert browser_errors == []


# Re-review 2, items 1 and 2: the admin's finance figures and funnel charts in English.


@pytest.fixture
def _big_finance_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight-digit amounts and full funnel bars, as on the demo data."""
    import dataclasses

    from matchmaker.services.finance import finance_stats

    real = finance_stats.overview

    def big() -> finance_stats.Overview:
        o = real()
        funnel = [dataclasses.replace(s, count=1234, share=1.0) for s in o.funnel] or [
            finance_stats.FunnelStage("requested", 1234, 1.0)
        ]
        return dataclasses.replace(
            o,
            approved_wan=Decimal(2550),
            disbursed_wan=Decimal(1450),
            open_needs_wan=Decimal(6750),
            funnel=funnel,
        )

    monkeypatch.setattr(finance_stats, "overview", big)


@pytest.mark.usefixtures("_big_finance_figures")
@pytest.mark.parametrize("path", ["/dashboard", "/finance/stats"])
def test_admin_money_figures_fit_an_english_phone(
    phone_page: Page, world: dict, browser_errors: BrowserErrors, path: str
) -> None:
    page = phone_page
    _log_in(page, world["admin"], "en")
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    figures = page.locator(".stat-money")
    expect(figures.first).to_contain_text("25,500,000")
    assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at 390 px in English"
    for i in range(figures.count()):
        fits = figures.nth(i).evaluate(
            "el => el.scrollWidth <= el.clientWidth + 1"
            " && el.getBoundingClientRect().right <= el.parentElement.getBoundingClientRect().right"
        )
        assert fits, figures.nth(i).inner_text()
        # the digits themselves never break across lines
        assert "25,500,000" in figures.first.inner_text().replace("\n", " ")
    assert browser_errors == []


def _overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.usefixtures("_big_finance_figures")
def test_admin_funnel_labels_clear_of_bars_in_english(
    page: Page, world: dict, browser_errors: BrowserErrors
) -> None:
    _log_in(page, world["admin"], "en")
    page.goto("/dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    charts = page.locator("svg.funnel-chart")
    assert charts.count() >= 2  # the matchmaking funnel and the lead funnel
    for c in range(charts.count()):
        chart = charts.nth(c)
        expect(chart).to_be_visible()
        boxes = chart.evaluate(
            """svg => ({
              svg: svg.getBoundingClientRect().toJSON(),
              labels: [...svg.querySelectorAll('text.funnel-label')].map(
                t => ({text: t.textContent, ...t.getBoundingClientRect().toJSON()})),
              bars: [...svg.querySelectorAll('rect')].map(r => r.getBoundingClientRect().toJSON()),
            })"""
        )
        assert boxes["labels"] and len(boxes["labels"]) == len(boxes["bars"])
        for label in boxes["labels"]:
            for bar in boxes["bars"]:
                assert not _overlaps(label, bar), (label["text"], label, bar)
            # never cut by the chart's edge
            assert label["x"] >= boxes["svg"]["x"] - 0.5
            assert label["x"] + label["width"] <= boxes["svg"]["x"] + boxes["svg"]["width"] + 0.5
    amount = page.locator("#panel-needs-amount")
    expect(amount).to_contain_text("67,500,000")
    lines = amount.evaluate(
        "el => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)"
    )
    assert lines < 1.5, "the amount breaks across lines"
    card = amount.locator("xpath=ancestor::div[contains(@class,'card-body')]").bounding_box()
    box = amount.bounding_box()
    assert card is not None and box is not None
    assert box["x"] + box["width"] <= card["x"] + card["width"] + 0.5
    assert browser_errors == []


# Re-review 2, item 12: the enterprise's "我的技术需求" card is as tall as its content.


@pytest.fixture(scope="module")
def enterprise_with_matches(live_server: LiveServer, world: dict) -> Credentials:
    from tests.factories import publish_need, publish_result

    with live_server.app_context():
        admin = make_user("admin", email="admin2@e2e-review.example.com")
        firm = make_user("enterprise", email="firm@e2e-review.example.com", name="审阅企业")
        uni = make_user("university", email="uni@e2e-review.example.com")
        fields = {f.code: f for f in db.session.scalars(sa_select_fields())}
        text = "光纤激光熔覆修复技术，熔覆层无裂纹，适用于轴类零件表面修复与再制造。"
        need_text = "需要大功率光纤激光熔覆头，用于轴类零件表面激光熔覆修复。"
        publish_need(firm, admin, fields, "激光熔覆头", need_text, field="review-cf")
        for i in range(4):
            title = f"光纤激光熔覆修复{i}"
            publish_result(uni, admin, fields, title, text + "方案" * i, field="review-cf")
        db.session.commit()
        return Credentials(firm.email, PASSWORD, firm.name)


def sa_select_fields():  # noqa: ANN201
    import sqlalchemy as sa

    return sa.select(TechField)


def test_owner_card_is_not_stretched(
    page: Page, enterprise_with_matches: Credentials, browser_errors: BrowserErrors
) -> None:
    _log_in(page, enterprise_with_matches)
    card = page.locator(".owner-panel")
    expect(card).to_be_visible()
    gap = card.evaluate(
        """card => {
          const body = card.querySelector('.card-body');
          const last = [...body.children].filter(el => el.offsetParent !== null).pop();
          return card.getBoundingClientRect().bottom - last.getBoundingClientRect().bottom;
        }"""
    )
    assert gap < 48, f"{gap}px of blank card under the last line"
    assert browser_errors == []
