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
