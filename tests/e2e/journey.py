"""Steps every browser journey takes: the navbar, alerts, logging in and out, error watching."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import BrowserErrors, Credentials, sync_api

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Locator, Page

expect = sync_api().expect


def navbar(page: Page) -> Locator:
    """The top navigation bar, once the page's scripts have run.

    A page's text can be visible while the scripts at the end of its body are still loading;
    a dropdown toggle clicked then does nothing (Bootstrap has not bound it yet), and the
    menu's links stay hidden. Waiting for the load event closes that race.
    """
    page.wait_for_load_state("load")
    return page.get_by_role("navigation", name="主导航")


def open_menu_item(page: Page, menu: str, item: str) -> None:
    """Open one of the navbar's dropdowns (揭榜挂帅, 科技金融, ...) and follow one of its links."""
    toggle = navbar(page).get_by_role("button", name=menu)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    navbar(page).get_by_role("link", name=item).click()


def alert(page: Page, text: str) -> Locator:
    return page.get_by_role("alert").filter(has_text=text)


def watch_errors(page: Page, errors: BrowserErrors) -> None:
    """Collect console errors and uncaught page errors, as the harness does for its own pages."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))


def log_in(page: Page, who: Credentials) -> None:
    """From any page with the navbar (logged out): 登录, fill the form, land on the dashboard."""
    navbar(page).get_by_role("link", name="登录").click()
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(who.email)
    form.get_by_label("密码").fill(who.password)
    form.get_by_role("button", name="登录").click()
    pass_second_step(page, who.email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(navbar(page).get_by_role("button", name=who.name)).to_be_visible()


def log_out(page: Page, who: Credentials) -> None:
    """From the user menu: 退出登录, and the navbar offers 登录 again."""
    navbar(page).get_by_role("button", name=who.name).click()
    navbar(page).get_by_role("button", name="退出登录").click()
    expect(alert(page, "你已退出登录")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="登录")).to_be_visible()
