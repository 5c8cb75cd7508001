"""A 政府榜 on a phone (issue 13, point 3): the admin fills in the terms, reads the 确认发布 page,
confirms, then reviews it from the queue and sends it back; every page fits 390 px."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from matchmaker.extensions import db
from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.e2e.journey import alert
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import sync_api
from tests.factories import PASSWORD, make_user, publish_need

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

NEED_TITLE = "汽车轻量化铝合金压铸件缺陷检测"
NEED_TEXT = (
    "需要对大型一体化压铸件的内部气孔和裂纹进行在线检测，检出率不低于 98%，节拍不超过 60 秒。"
)
CRITERIA = "气孔与裂纹检出率不低于 98%，误报率不高于 2%，单件检测不超过 60 秒。"
DELIVERABLES = "在线检测系统一套、算法模型与检测报告。"
SHOTS = os.environ.get("MATCHMAKER_E2E_SHOTS", "")  # a folder: save screenshots to look at


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)  # type: ignore[index]


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_a_government_challenge_is_confirmed_and_reviewed_on_a_phone(
    phone_page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        admin = make_user(Role.ADMIN, email="gov@e2e-review-c.example.com", name="科技局审核员")
        owner = make_user(Role.ENTERPRISE, email="li.na@e2e-review-c.example.com", name="李娜")
        need = publish_need(owner, admin, fields, NEED_TITLE, NEED_TEXT)
        need_id = need.id
        db.session.commit()
    page = phone_page
    page.goto("/auth/login")
    form = page.locator("main form")
    form.get_by_label("邮箱").fill("gov@e2e-review-c.example.com")
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    pass_second_step(page, "gov@e2e-review-c.example.com")
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.goto(f"/my/needs/{need_id}/challenge")
    expect(page.get_by_role("heading", name="发布揭榜挂帅榜单")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label("榜额（万元）").fill("300")
    form.get_by_label("成功标准").fill(CRITERIA)
    form.get_by_label("预期交付成果").fill(DELIVERABLES)
    form.get_by_role("button", name="预览并确认").click()
    expect(page.get_by_role("heading", name="确认发布")).to_be_visible()
    expect(page.locator("#confirm-review")).to_contain_text("先提交平台审核")
    expect(page.locator("#confirm-preview [data-key=bounty]")).to_have_text("300 万元")
    _fits(page)
    _shot(page, "confirm-phone")
    page.get_by_role("button", name="确认发布").click()
    expect(alert(page, "榜单已提交平台审核")).to_be_visible()
    challenge_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#challenge-review-state")).to_contain_text("等待平台审核")
    _fits(page)

    page.goto("/admin/review/")
    page.get_by_role("link", name=NEED_TITLE).click()
    expect(page.locator("#review-grounds")).to_contain_text("政府榜")
    _fits(page)
    _shot(page, "review-phone")
    page.get_by_label("信息不全").check()
    page.get_by_label("修改意见").fill("请写明检测样本数量和验收方法。")
    page.get_by_role("button", name="退回修改").click()
    expect(alert(page, "已退回")).to_be_visible()

    page.goto(f"/my/challenges/{challenge_id}")
    expect(page.locator("#challenge-review-state")).to_contain_text("审核未通过：信息不全")
    _fits(page)
    _shot(page, "returned-phone")
