"""对接 pages on a phone: they fit the screen, load cleanly (no CSP violations) and the message
counter (static/js/connect.js) counts as one types."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from matchmaker.extensions import db
from matchmaker.permissions import Role
from matchmaker.services.connect import conversations, enquiries
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import sync_api
from tests.factories import PASSWORD, make_user, publish_result

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect
HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def test_connect_pages_fit_a_phone(
    phone_page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        reviewer = make_user(Role.ADMIN, email="review@e2e-connect-phone.example.com")
        uni = make_user(Role.UNIVERSITY, email="uni@e2e-connect-phone.example.edu.cn")
        firm = make_user(Role.ENTERPRISE, email="firm@e2e-connect-phone.example.com")
        other = publish_result(
            uni, reviewer, fields, "手机端显示测试成果甲", "用于检查手机端页面布局"
        )
        asked = publish_result(
            uni, reviewer, fields, "手机端显示测试成果乙", "用于检查手机端对接会话"
        )
        enquiry = enquiries.create_enquiry(
            actor=firm,
            kind="result",
            listing_id=asked.id,
            data=enquiries.EnquiryData(intent="license", message="希望获得许可。" * 20),
        )
        enquiries.accept_enquiry(actor=uni, enquiry=enquiry)
        conversations.post_message(actor=uni, enquiry=enquiry, body="欢迎，" + "很长的消息" * 60)
        db.session.commit()
        email, other_id, enquiry_id = firm.email, other.id, enquiry.id

    page = phone_page
    page.goto("/auth/login")
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(email)
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    pass_second_step(page, email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    for path in (
        f"/connect/new?kind=result&id={other_id}",
        "/connect/inbox?box=sent",
        f"/connect/{enquiry_id}",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0, f"{path} scrolls sideways on a phone"

    page.goto(f"/connect/new?kind=result&id={other_id}")
    page.get_by_label("留言").fill("你好")
    expect(page.locator("#message-count")).to_have_text(re.compile(r"^2 / 5000"))
    assert browser_errors == []
