"""Adopting a result from the conversion list under 先使用后付费, in a real browser (issue 5).

Set up through the services: a university and an enterprise (verified organisations), and the
university's listed result (created, submitted and approved by an admin).

Driven through the browser, in order: the university puts the result on the conversion list with
先使用后付费 and trial terms; the enterprise finds it on 成果转化榜 and applies to adopt it, wanting
the trial; the university opens the request from the list on its offer page and accepts it, then
records the deal with payment form 先使用后付费 and the trial dates; the enterprise (the client)
ends the trial with 付费 and the deal shows as 已完成.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from matchmaker.extensions import db
from matchmaker.models.base import CHINA
from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.e2e.journey import alert, log_in, open_menu_item, watch_errors
from tests.e2e.support import Credentials, sync_api
from tests.factories import PASSWORD, make_user, publish_result

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

RESULT_TITLE = "玉米芯木糖醇连续结晶技术"
RESULT_SUMMARY = "连续冷却结晶替代间歇结晶，木糖醇收率提高 8%，能耗降低两成，已完成中试。"
TRIAL_TERMS = "试用期内提供工艺包和驻厂指导，试用满意后按合同价付费，不满意可退回。"
INTENDED_USE = "在现有木糖生产线上增加木糖醇连续结晶工段。"
SCALE = "年产木糖醇 3000 吨"


def test_enterprise_adopts_a_result_with_use_first_pay_later_through_to_payment(
    browser: Browser,
    page: Page,
    live_server: LiveServer,
    browser_errors: BrowserErrors,
) -> None:
    people = {
        "uni": (Role.UNIVERSITY, "li.na@jlu-e2e-adopt.example.edu.cn", "李娜"),
        "firm": (Role.ENTERPRISE, "wang.qiang@xylitol-e2e.example.com", "王强"),
    }
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        reviewer = make_user(Role.ADMIN, email="review@e2e-adopt.example.com", name="审核员")
        users = {
            key: make_user(role, email=email, name=name)
            for key, (role, email, name) in people.items()
        }
        db.session.flush()
        orgs = {key: user.organisation.name for key, user in users.items()}
        result = publish_result(users["uni"], reviewer, fields, RESULT_TITLE, RESULT_SUMMARY)
        result_id = result.id
        db.session.commit()
    creds = {key: Credentials(email, PASSWORD, name) for key, (_, email, name) in people.items()}

    with ExitStack() as stack:
        # --- the university puts its listed result on the conversion list -------------------
        uni = page
        uni.goto("/")
        log_in(uni, creds["uni"])
        uni.goto(f"/my/results/{result_id}")
        uni.get_by_role("link", name="发布 / 管理").click()
        expect(uni).to_have_url(re.compile(rf"/my/results/{result_id}/offer$"))
        expect(uni.get_by_role("heading", name="发布到成果转化榜单")).to_be_visible()
        form = uni.locator("main form")
        form.get_by_label("普通许可", exact=True).check()
        form.get_by_label("先使用后付费", exact=True).check()
        form.get_by_label("价格（万元）").fill("45")
        form.get_by_label("试用期（月）").fill("3")
        form.get_by_label("试用条件").fill(TRIAL_TERMS)
        form.get_by_role("button", name="发布").click()
        expect(alert(uni, "已发布到成果转化榜单")).to_be_visible()
        offer_page = uni.url
        expect(uni.locator("#adoption-requests")).to_contain_text("还没有企业申请采用")

        # --- the enterprise finds it on 成果转化榜 and applies, wanting the trial ------------
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(20_000)
        stack.callback(context.close)
        firm = context.new_page()
        watch_errors(firm, browser_errors)
        firm.goto("/")
        log_in(firm, creds["firm"])
        open_menu_item(firm, "揭榜挂帅", "成果转化榜")
        offer_card = firm.locator("article").filter(has_text=RESULT_TITLE)
        expect(offer_card).to_contain_text("试用 3 个月")
        offer_card.get_by_role("link", name=RESULT_TITLE).click()
        expect(firm.get_by_role("heading", name=RESULT_TITLE, level=1)).to_be_visible()
        expect(firm.locator("main")).to_contain_text(TRIAL_TERMS)
        firm.get_by_role("link", name="申请采用").click()
        form = firm.locator("main form")
        form.get_by_label("用途").fill(INTENDED_USE)
        form.get_by_label("应用规模").fill(SCALE)
        form.get_by_label("希望先使用后付费").check()
        form.get_by_role("button", name="提交申请").click()
        expect(alert(firm, "采用申请已提交")).to_be_visible()
        expect(firm).to_have_url(re.compile(r"/my/adoptions$"))
        expect(firm.locator("main")).to_contain_text(RESULT_TITLE)

        # --- the university opens the request from its offer page and accepts it -------------
        uni.goto(offer_page)
        row = uni.locator("#adoption-requests tbody tr").filter(has_text=orgs["firm"])
        expect(row).to_contain_text(INTENDED_USE)
        expect(row).to_contain_text(SCALE)
        expect(row).to_contain_text("希望试用")
        expect(row).to_contain_text("待答复")
        row.get_by_role("link", name="查看并答复").click()
        expect(uni).to_have_url(re.compile(r"/my/adoptions/\d+/decide$"))
        expect(uni.locator("main")).to_contain_text(orgs["firm"])
        uni.get_by_label("同意承接").check()
        uni.get_by_role("button", name="提交决定").click()
        expect(alert(uni, "已同意承接申请")).to_be_visible()

        # --- the university records the deal: 先使用后付费 with the trial dates ---------------
        expect(uni).to_have_url(re.compile(r"/my/deals/new\?adoption=\d+$"))
        expect(uni.get_by_role("heading", name="登记技术合同")).to_be_visible()
        form = uni.locator("main form")
        expect(form.get_by_label("支付方式")).to_have_value("use_first_pay_later")
        form.get_by_label("合作方式").select_option(label="普通许可")
        form.get_by_label("支付方式").select_option(label="先使用后付费")
        form.get_by_label("合同金额（万元）").fill("45")
        start = datetime.now(CHINA).date()  # the deal page counts days in China
        form.get_by_label("试用开始日期").fill(start.isoformat())
        form.get_by_label("试用结束日期").fill((start + timedelta(days=90)).isoformat())
        form.get_by_role("button", name="登记合同").click()
        expect(alert(uni, "技术合同已登记")).to_be_visible()
        expect(uni).to_have_url(re.compile(r"/my/deals/\d+$"))
        deal_url = uni.url
        expect(uni.locator("#deal-status")).to_have_text("履行中")
        expect(uni.locator("#trial")).to_contain_text("距试用结束还有 90 天")
        expect(uni.locator("#trial form")).to_have_count(0)  # only the client ends the trial

        # --- the enterprise ends the trial with 付费: the deal is completed ---------------------
        firm.goto(deal_url)
        expect(firm.get_by_role("heading", name=RESULT_TITLE)).to_be_visible()
        trial = firm.locator("#trial")
        trial.get_by_label("付费", exact=True).check()
        trial.get_by_role("button", name="确认").click()
        expect(alert(firm, "试用期结果已记录")).to_be_visible()
        expect(firm.locator("#deal-status")).to_have_text("已完成")
        expect(firm.locator("#trial")).to_contain_text("试用结果：付费")

        uni.reload()
        expect(uni.locator("#deal-status")).to_have_text("已完成")

    assert browser_errors == []
