"""On a phone: the navbar collapses, nothing scrolls sideways, and pages load cleanly (no console
errors, no Content-Security-Policy violations)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.support import sync_api

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def test_phone_navbar_collapses_into_the_toggler(
    phone_page: Page, browser_errors: BrowserErrors
) -> None:
    page = phone_page
    page.goto("/")
    navbar = page.get_by_role("navigation", name="主导航")
    toggler = navbar.get_by_role("button", name="展开菜单")
    login = navbar.get_by_role("link", name="登录")

    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(login).to_be_hidden()

    toggler.tap()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(login).to_be_visible()
    expect(navbar.get_by_role("link", name="注册", exact=True)).to_be_visible()
    expect(navbar.get_by_role("button", name="English")).to_be_visible()
    # The menu slides open: tap once it stands still, or the tap lands where the link was.
    expect(navbar.locator(".collapsing")).to_have_count(0)

    login.tap()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    assert browser_errors == []


def test_phone_pages_fit_the_screen_and_load_cleanly(
    phone_page: Page, browser_errors: BrowserErrors, tmp_path: Path
) -> None:
    page = phone_page
    for path in ("/", "/auth/register", "/auth/register/sent", "/auth/login"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        # Bootstrap's JavaScript ran: without it the collapse plugin never binds.
        assert page.evaluate("typeof window.bootstrap") == "object", path
        assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0, f"{path} scrolls sideways on a phone"

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot = tmp_path / "home-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert browser_errors == []
