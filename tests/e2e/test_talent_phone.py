"""人才 pages on a 390 px phone: the public list and profile and the keepers' pages fit the
screen and load cleanly (the autouse axe check runs on every page visited)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from matchmaker.extensions import db
from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from matchmaker.services.talent import expert_review, experts
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import sync_api
from tests.factories import PASSWORD, make_user, publish_result

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect
HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def test_talent_pages_fit_a_phone(
    phone_page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        reviewer = make_user(Role.ADMIN, email="review@e2e-talent-phone.example.com")
        uni = make_user(Role.UNIVERSITY, email="uni@e2e-talent-phone.example.edu.cn")
        result = publish_result(
            uni, reviewer, fields, "手机端人才页面测试成果", "用于检查专家页面在手机上的布局"
        )
        expert = experts.create_expert(
            actor=uni,
            data=experts.ExpertData(
                name="手机测试专家",
                title="教授",
                unit="材料科学与工程学院（很长的院系名称用于检查换行）",
                field_id=fields["materials"].id,
                directions="碳纤维复合材料界面设计" * 10,
                keywords="碳纤维,复合材料,界面改性",
                offers=15,
                contact_phone="0431-85166888",
                result_ids=[result.id],
            ),
        )
        experts.submit_expert(actor=uni, expert=expert)
        expert_review.approve_expert(actor=reviewer, expert=expert)
        db.session.commit()
        email, expert_id = uni.email, expert.id

    page = phone_page
    for path in ("/experts", f"/experts/{expert_id}"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0, f"{path} scrolls sideways on a phone"
    expect(page.locator("#expert-results")).to_contain_text("手机端人才页面测试成果")

    page.goto("/auth/login")
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(email)
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    pass_second_step(page, email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    for path in ("/my/experts", "/my/experts/new", f"/my/experts/{expert_id}"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0, f"{path} scrolls sideways on a phone"
    assert browser_errors == []
