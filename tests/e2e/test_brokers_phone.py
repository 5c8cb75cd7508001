"""技术经纪人 pages on a 390 px phone: registration, the public list and page, the broker's
dashboard and 认领需求, and the admin's queue, broker page and dashboard panel in English fit
the screen and load cleanly (the autouse axe check runs on every page visited)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from matchmaker.extensions import db
from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from matchmaker.services.talent import broker_assignments
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import sync_api
from tests.factories import PASSWORD, make_broker, make_user, publish_need

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect
HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
#: a broker table that scrolls inside its box hides columns off-screen too
SCROLLING_TABLES = (
    "[...document.querySelectorAll('#broker-list, #broker-queue, #broker-activity table')]"
    ".filter(t => t.parentElement.scrollWidth > t.parentElement.clientWidth + 1).length"
)


def _fits(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0, f"{path} scrolls sideways on a phone"
    assert page.evaluate(SCROLLING_TABLES) == 0, f"{path} has a table scrolling sideways"


def test_broker_pages_fit_a_phone(
    phone_page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        admin = make_user(Role.ADMIN, email="admin@e2e-broker-phone.example.com")
        owner = make_user(Role.ENTERPRISE, email="ent@e2e-broker-phone.example.com")
        need = publish_need(
            owner,
            admin,
            fields,
            "手机端经纪人页面测试需求",
            "用于检查技术经纪人页面在手机上的布局" * 2,
        )
        broker = make_broker(email="broker@e2e-broker-phone.example.com")
        broker_assignments.assign_need(actor=admin, broker=broker, need_id=need.id)
        make_broker(verified=False, email="pending@e2e-broker-phone.example.com")
        db.session.commit()
        broker_id, email = broker.id, broker.user.email
        admin_email = admin.email

    page = phone_page
    for path in ("/brokers/register", "/brokers", f"/brokers/{broker_id}"):
        _fits(page, path)

    page.goto("/auth/login")
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(email)
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    pass_second_step(page, email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("#followed-needs")).to_contain_text("手机端经纪人页面测试需求")
    for path in ("/dashboard", "/brokers/needs", f"/brokers/{broker_id}"):
        _fits(page, path)

    # the admin in English: the longer words must stack, not scroll sideways
    page.context.clear_cookies()
    page.goto("/")
    page.get_by_role("button", name="展开菜单").click()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/auth/login")
    form = page.locator("main form")
    form.get_by_label("E-mail").fill(admin_email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    pass_second_step(page, admin_email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("#broker-activity")).to_be_visible()
    for path in ("/dashboard", "/admin/brokers", f"/admin/brokers/{broker_id}", "/brokers"):
        _fits(page, path)
    assert browser_errors == []
