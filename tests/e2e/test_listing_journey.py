"""The listing journey in a real browser (issue 3): a university lists a result, an admin rejects
it with a reason, the owner fixes and resubmits, the admin approves, and a logged-out visitor finds
it in the supermarket by a 2-character Chinese keyword without seeing the contact phone."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from matchmaker.extensions import db
from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import ensure_key_industries
from tests.e2e.journey import alert, log_in, log_out, navbar, watch_errors
from tests.e2e.support import Credentials, sync_api
from tests.factories import PASSWORD, make_user

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

TITLE = "高强度碳纤维复合材料低成本制备技术"
SUMMARY = "以国产大丝束碳纤维为原料，快速固化树脂体系，制备成本降低三成，适用于汽车轻量化部件。"
NEW_SUMMARY = (
    "国产大丝束碳纤维为原料，拉伸强度达 4900 MPa，成本降低三成，用于汽车轻量化和风电叶片。"
)
PHONE = "0431-85095678"
PATENT = "ZL2023 1 0456789.1"
REASON = "请补充专利号和拉伸强度指标"


def open_for_review(page: Page) -> None:
    """From the navbar to the review page of the result."""
    navbar(page).get_by_role("button", name="管理", exact=True).click()  # grouped
    navbar(page).get_by_role("link", name="审核队列").click()
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("成果")
    row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator("main .badge").first).to_have_text("待审核")


def submit_for_review(page: Page) -> None:
    page.get_by_role("button", name="提交审核").click()
    expect(alert(page, "已提交审核")).to_be_visible()
    expect(page.locator("main [data-lifecycle=listing]")).to_have_text("待审核")
    expect(page.get_by_role("button", name="提交审核")).to_have_count(0)
    expect(page.get_by_role("button", name="撤回审核")).to_be_visible()


def test_result_is_rejected_fixed_approved_and_found_by_a_visitor(
    browser: Browser,
    page: Page,
    live_server: LiveServer,
    admin: Credentials,
    browser_errors: BrowserErrors,
) -> None:
    with live_server.app_context():
        ensure_key_industries()
        user = make_user(Role.UNIVERSITY, email="wang.lei@jlu-e2e.example.edu.cn", name="王磊")
        org_name = user.organisation.name
        db.session.commit()
    owner = Credentials("wang.lei@jlu-e2e.example.edu.cn", PASSWORD, "王磊")

    # The university user writes a draft through 我的成果 → 发布成果.
    page.goto("/")
    log_in(page, owner)
    navbar(page).get_by_role("link", name="我的成果").click()
    expect(page.get_by_role("heading", name="我的成果")).to_be_visible()
    page.get_by_role("link", name="发布成果").click()
    expect(page.get_by_role("heading", name="发布成果")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label("标题").fill(TITLE)
    form.get_by_label("成果简介").fill(SUMMARY)
    form.get_by_label("技术领域").select_option(label="碳纤维/新材料")
    form.get_by_label("所在地区").select_option(label="长春市")
    form.get_by_label("关键词").fill("碳纤维, 复合材料, 轻量化")
    form.get_by_label("技术成熟度").select_option(label="TRL 6 · 中试")
    form.get_by_label("转让", exact=True).check()
    form.get_by_label("普通许可", exact=True).check()
    form.get_by_label("联系人", exact=True).fill("王磊")
    form.get_by_label("联系电话").fill(PHONE)
    form.get_by_role("button", name="保存").click()

    expect(alert(page, "草稿已保存")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/my/results/\d+$"))
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator("main [data-lifecycle=listing]")).to_have_text("草稿")
    submit_for_review(page)
    log_out(page, owner)

    # The admin sends it back: 信息不全, with a concrete reason.
    log_in(page, admin)
    open_for_review(page)
    expect(page.locator("table.diff")).to_contain_text(SUMMARY)
    page.get_by_label("信息不全").check()
    page.get_by_label("修改意见").fill(REASON)
    page.get_by_role("button", name="退回修改").click()
    expect(alert(page, f"已驳回：{TITLE}")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=TITLE)).to_have_count(0)
    log_out(page, admin)

    # The owner sees why in the notification centre (unread badge) and on the result's page.
    log_in(page, owner)
    messages = navbar(page).get_by_role("link", name=re.compile("^消息"))
    expect(messages.locator(".badge")).to_be_visible()
    messages.click()
    note = page.get_by_role("listitem").filter(has_text=f"需要修改：{TITLE}")
    expect(note).to_contain_text("信息不全")
    expect(note).to_contain_text(REASON)
    note.get_by_role("link", name="查看").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator("main [data-lifecycle=listing]")).to_have_text("草稿")
    rejection = page.locator("main .alert-danger")
    expect(rejection).to_contain_text("审核未通过：信息不全")
    expect(rejection).to_contain_text(REASON)

    # ... fixes it (patent and tensile strength) and submits again.
    page.get_by_role("link", name="编辑").click()
    expect(page.get_by_role("heading", name=f"编辑：{TITLE}")).to_be_visible()
    form = page.locator("main form")
    expect(form.get_by_label("联系电话")).to_have_value(PHONE)
    expect(form.get_by_label("转让", exact=True)).to_be_checked()
    form.get_by_label("专利").fill(f"{PATENT} 已授权")
    form.get_by_label("成果简介").fill(NEW_SUMMARY)
    form.get_by_role("button", name="保存").click()
    expect(alert(page, "修改已保存")).to_be_visible()
    expect(page.locator("main .alert-danger")).to_contain_text(REASON)
    submit_for_review(page)
    expect(page.locator("main .alert-danger")).to_have_count(0)
    log_out(page, owner)

    # The admin sees the changed summary and approves.
    log_in(page, admin)
    open_for_review(page)
    expect(page.locator("table.diff")).to_contain_text("4900 MPa")
    expect(page.locator("table.diff")).to_contain_text(PATENT)
    page.get_by_role("button", name="审核通过").click()
    expect(alert(page, f"已通过：{TITLE}")).to_be_visible()
    log_out(page, admin)

    # A visitor in a fresh, logged-out browser finds it by 碳纤 in the supermarket.
    visitor_context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        visitor = visitor_context.new_page()
        watch_errors(visitor, browser_errors)
        visitor.goto("/")
        expect(navbar(visitor).get_by_role("link", name="登录")).to_be_visible()
        navbar(visitor).get_by_role("link", name="科技成果超市").click()
        expect(visitor.get_by_role("heading", name="科技成果超市")).to_be_visible()
        search = visitor.get_by_role("searchbox", name="搜索")
        search.fill("碳纤")
        search.press("Enter")
        expect(visitor).to_have_url(re.compile(r"[?&]q=%E7%A2%B3%E7%BA%A4"))
        card = visitor.locator("article").filter(has_text=TITLE)
        expect(card).to_have_count(1)
        expect(card).to_contain_text(org_name)
        expect(card).to_contain_text("碳纤维/新材料")
        card.get_by_role("link", name=TITLE).click()

        expect(visitor.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
        main = visitor.locator("main")
        expect(main).to_contain_text(NEW_SUMMARY)
        expect(main).to_contain_text(f"{PATENT} · 已授权")
        contact = visitor.get_by_role("region", name="联系方式")
        expect(contact).to_contain_text("登录并通过机构认证后可以查看联系方式")
        expect(main).not_to_contain_text(PHONE)
        assert PHONE not in visitor.content()
    finally:
        visitor_context.close()

    assert browser_errors == []
