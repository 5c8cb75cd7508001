"""技术经纪人 pages on a 390 px phone: registration, the public list and page, the broker's
dashboard and 认领需求 fit the screen and load cleanly (the autouse axe check runs on every
page visited)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from matchmaker.extensions import db
from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from matchmaker.services.talent import broker_assignments
from tests.e2e.support import sync_api
from tests.factories import PASSWORD, make_broker, make_user, publish_need

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect
HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _fits(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0, f"{path} scrolls sideways on a phone"


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
        db.session.commit()
        broker_id, email = broker.id, broker.user.email

    page = phone_page
    for path in ("/brokers/register", "/brokers", f"/brokers/{broker_id}"):
        _fits(page, path)

    page.goto("/auth/login")
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(email)
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("#followed-needs")).to_contain_text("手机端经纪人页面测试需求")
    for path in ("/dashboard", "/brokers/needs", f"/brokers/{broker_id}"):
        _fits(page, path)
    assert browser_errors == []
