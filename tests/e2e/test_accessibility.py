"""Accessibility in the browser (issue 19: WCAG 2.1 AA / GB/T 37668 and 适老化).

Every page a browser test is sent is scanned by axe-core at 1280 and 390 px (the autouse
fixture in conftest.py); the journeys mostly run in Chinese, so the tour here visits the main
pages of each role in English as well. Then the points axe cannot judge: text at 150 % and
200 % keeps the navigation whole, tags are at least 14 px, 大字模式 is remembered, and the
session-timeout warning appears before the session ends and extends it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from matchmaker.extensions import db
from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.e2e.journey import log_in, navbar
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import Credentials, axe_violations, sync_api
from tests.factories import PASSWORD, make_user, publish_need, publish_result

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

RESULT_TITLE = "人参皂苷 Rg3 酶法转化制备技术"
RESULT_SUMMARY = "以人参茎叶总皂苷为原料，酶法定向转化制备稀有人参皂苷 Rg3，转化率超过 60%。"
NEED_TITLE = "大豆蛋白肽低苦味酶解工艺"
NEED_SUMMARY = "我司年加工大豆 10 万吨，希望引进低苦味大豆肽酶解工艺，产品苦味值降低一半以上。"

PEOPLE = {
    "university": (Role.UNIVERSITY, "a11y.tto@e2e-a11y.example.edu.cn", "长春中医药大学技术转移"),
    "enterprise": (Role.ENTERPRISE, "a11y.firm@e2e-a11y.example.com", "吉林大豆食品科技有限公司"),
    "bank": (Role.BANK, "a11y.bank@e2e-a11y.example.com", "吉林银行科技支行"),
    # One account per test below, so no test sees another's language or text size.
    "admin": (Role.ADMIN, "a11y.admin@e2e-a11y.example.com", "科技局平台管理员"),
    "large": (Role.ENTERPRISE, "a11y.large@e2e-a11y.example.com", "长春老工业技术有限公司"),
    "session": (Role.BANK, "a11y.session@e2e-a11y.example.com", "吉林农商银行科技金融部"),
}
PUBLIC_PAGES = ["/", "/results", "/needs", "/challenges", "/auth/login", "/auth/register"]
MEMBER_PAGES = ["/dashboard", "/notifications/", "/account/notifications"]
ADMIN_PAGES = ["/dashboard", "/admin/review/", "/admin/users", "/admin/audit"]

ROOT_FONT_SIZE = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# Every visible navigation item's box: inside the viewport, not overlapping its neighbours.
NAV_BOXES = """nav => [...nav.querySelectorAll(
    '.navbar-brand, .navbar-nav > .nav-item > .nav-link, .nav-language .btn')]
  .filter(el => el.offsetParent !== null)
  .map(el => { const r = el.getBoundingClientRect();
    return {text: el.innerText.trim(),
            left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })"""


@pytest.fixture(scope="module")
def people(live_server: LiveServer) -> dict[str, Credentials]:
    """A verified university, enterprise and bank, with one published result and need."""
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        reviewer = make_user(Role.ADMIN, email="review@e2e-a11y.example.com", name="审核员")
        users = {key: make_user(role, email=e, name=n) for key, (role, e, n) in PEOPLE.items()}
        db.session.flush()
        publish_result(users["university"], reviewer, fields, RESULT_TITLE, RESULT_SUMMARY)
        publish_need(users["enterprise"], reviewer, fields, NEED_TITLE, NEED_SUMMARY)
        db.session.commit()
    return {key: Credentials(e, PASSWORD, n) for key, (_, e, n) in PEOPLE.items()}


def _english(page: Page, who: Credentials | None = None) -> None:
    """Switch to English, then log in (if `who`): the choice stays in the session, not on the
    account, so the other tests still see these people in Chinese."""
    page.goto("/")
    navbar(page).get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    if who is not None:
        page.goto("/auth/login")
        form = page.locator("main form")
        form.get_by_label("E-mail").fill(who.email)
        form.get_by_label("Password").fill(who.password)
        form.get_by_role("button", name="Log in").click()
        pass_second_step(page, who.email)
        expect(page).to_have_url(re.compile(r"/dashboard$"))


def test_axe_reports_what_it_finds(page: Page) -> None:
    """The harness itself: an image without a text alternative is reported by rule and target."""
    page.goto("/")
    assert axe_violations(page) == []
    page.evaluate(
        "() => { const img = document.createElement('img'); img.id = 'no-alt';"
        " img.src = '/static/favicon.svg'; document.querySelector('main').append(img); }"
    )
    found = {v["id"]: v["targets"] for v in axe_violations(page)}
    assert "image-alt" in found
    assert any("#no-alt" in target for target in found["image-alt"])


@pytest.mark.parametrize("role", ["visitor", "university", "enterprise", "bank"])
def test_english_tour_of_each_role_passes_axe(
    page: Page, people: dict[str, Credentials], role: str, browser_errors: BrowserErrors
) -> None:
    """The main pages of each role in English (the autouse fixture scans them: 1280 + 390 px),
    and Chinese user content on them is marked lang="zh-CN"."""
    pages = list(PUBLIC_PAGES)
    if role == "visitor":
        _english(page)
    else:
        _english(page, people[role])
        pages = [p for p in pages if not p.startswith("/auth/")] + MEMBER_PAGES
    for path in pages:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/results")
    title = page.get_by_role("link", name=RESULT_TITLE)
    expect(title.locator("span[lang='zh-CN']")).to_have_count(1)
    title.click()
    expect(page.get_by_role("heading", name=RESULT_TITLE, level=1)).to_be_visible()
    expect(page.locator("h1 > span[lang='zh-CN']")).to_have_text(RESULT_TITLE)
    assert browser_errors == []


def test_admin_pages_in_english_pass_axe(page: Page, people: dict[str, Credentials]) -> None:
    _english(page, people["admin"])
    for path in ADMIN_PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("scale", ["150%", "200%"])
def test_enlarged_text_keeps_the_admin_navigation_whole(
    page: Page, people: dict[str, Credentials], locale: str, scale: str
) -> None:
    """Browser text zoom, emulated by the root font size: at 1280 px the admin's navigation does
    not scroll sideways, and every item is on screen and overlaps no other (WCAG 1.4.4)."""
    if locale == "en":
        _english(page, people["admin"])
    else:
        page.goto("/")
        log_in(page, people["admin"])
    page.evaluate(f"document.documentElement.style.fontSize = '{scale}'")
    bar = page.locator("nav.app-navbar")  # 主导航 / its English name
    toggler = bar.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(bar.locator(".collapsing")).to_have_count(0)
    assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0, f"{scale} {locale}: the page scrolls sideways"
    boxes = bar.evaluate(NAV_BOXES)
    assert len(boxes) >= 8
    width = page.viewport_size["width"] if page.viewport_size else 1280
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= width, f"{scale} {locale}: {box} is cut off"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["right"] <= b["left"] + 1
                or b["right"] <= a["left"] + 1
                or a["bottom"] <= b["top"] + 1
                or b["bottom"] <= a["top"] + 1
            )
            assert apart, f"{scale} {locale}: {a['text']!r} overlaps {b['text']!r}"


def test_tags_are_at_least_14px(page: Page, people: dict[str, Credentials]) -> None:
    page.goto("/results")
    sizes = page.locator("main .badge").evaluate_all(
        "els => els.map(el => parseFloat(getComputedStyle(el).fontSize))"
    )
    assert sizes, "no tags on /results"
    assert min(sizes) >= 14, sizes


def test_large_text_mode_is_remembered_for_visitors_and_on_the_account(
    page: Page, people: dict[str, Credentials]
) -> None:
    def root_size() -> float:
        return float(
            page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        )

    page.goto("/results")
    normal = root_size()
    switch = page.get_by_role("contentinfo").get_by_role("button", name="大字模式")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.click()
    expect(page).to_have_url(re.compile(r"/results"))
    expect(switch).to_have_attribute("aria-pressed", "true")
    assert root_size() >= normal * 1.2
    page.goto("/needs")  # the visitor's cookie
    assert root_size() >= normal * 1.2

    # Signed in, the account's own choice counts: off until switched on, then kept on the account.
    log_in(page, people["large"])
    assert root_size() == normal
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "true")
    page.context.clear_cookies()
    page.goto("/")
    log_in(page, people["large"])
    assert root_size() >= normal * 1.2
    switch.click()  # and off again, for the other tests
    expect(switch).to_have_attribute("aria-pressed", "false")


def test_session_timeout_is_announced_and_can_be_extended(
    page: Page, live_server: LiveServer, people: dict[str, Credentials]
) -> None:
    """With a 122-second idle limit the warning comes 2 minutes before: at once. 继续使用
    calls the keep-alive endpoint and hides it; the user is still signed in."""
    page.goto("/")
    log_in(page, people["session"])
    config = live_server.app.config
    saved = config["SESSION_IDLE_TIMEOUT"]
    config["SESSION_IDLE_TIMEOUT"] = 122
    try:
        page.goto("/dashboard")
        warning = page.get_by_role("alertdialog")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("2 分钟后自动退出登录")
        extend = warning.get_by_role("button", name="继续使用")
        expect(extend).to_be_focused()
        with page.expect_response(re.compile(r"/account/keep-alive$")) as answer:
            page.keyboard.press("Enter")
        assert answer.value.status == 204
        expect(warning).to_be_hidden()
    finally:
        config["SESSION_IDLE_TIMEOUT"] = saved
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
