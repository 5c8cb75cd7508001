"""对接 from a recommendation to a contract, in a real browser (issue 12).

Set up through the services: a university with a listed result and an enterprise with an open
need on the same subject (so the result is among the enterprise's 为你推荐), both verified.

Driven through the browser, in order: the admin notes the platform funnel on the dashboard; the
enterprise opens the result from 为你推荐 on its dashboard and sends an enquiry (技术许可); the
university finds it in its 对接 inbox and accepts; both now see each other's contacts; they
exchange two messages, the first with a PDF attachment the university downloads; the
enterprise records the contract from the conversation (登记合同, licence mode filled in); the
admin's funnel shows one more enquiry, acceptance and deal, equal to the database's counts.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Deal, Enquiry, FunnelEvent
from matchmaker.permissions import Role
from matchmaker.seed.deals import EVIDENCE_PDF
from matchmaker.services import matching
from matchmaker.services.connect import funnel
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.e2e.journey import alert, log_in, navbar, watch_errors
from tests.e2e.support import Credentials, sync_api
from tests.factories import PASSWORD, make_user, publish_need, publish_result

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

RESULT_TITLE = "汽车座椅骨架激光拼焊轻量化技术"
RESULT_SUMMARY = (
    "汽车座椅骨架采用激光拼焊与高强钢薄壁结构，座椅骨架减重 18%，激光拼焊焊缝强度满足"
    "整车碰撞要求，已在两家座椅骨架企业完成小批量验证。"
)
NEED_TITLE = "座椅骨架激光拼焊减重"
NEED_DESCRIPTION = (
    "我司为主机厂配套汽车座椅骨架，希望引进激光拼焊轻量化技术，座椅骨架减重 15% 以上，"
    "焊缝强度满足碰撞要求。" * 2
)
ENQUIRY_TEXT = "我司年产座椅骨架 40 万套，希望以许可方式引进激光拼焊轻量化技术，请介绍许可条件。"
FIRST_MESSAGE = "附上我司座椅骨架的结构图和现有焊装线参数，请先评估改造方案。"
SECOND_MESSAGE = "资料已收到，现有焊装线可以改造，我们下周提交改造方案和许可报价。"
ATTACHMENT = "座椅骨架结构图.pdf"
FUNNEL_STEPS = ("enquiry", "accepted", "deal")


def _db_funnel(start: date) -> dict[str, int]:
    """The platform's funnel counts from the database, over the admin panel's default range."""
    rows = db.session.execute(
        sa.select(FunnelEvent.step, sa.func.count())
        .where(FunnelEvent.day >= start, FunnelEvent.step.in_(FUNNEL_STEPS))
        .group_by(FunnelEvent.step)
    )
    counts = dict.fromkeys(FUNNEL_STEPS, 0)
    counts.update({str(step): count for step, count in rows})
    return counts


def _default_start(today: date) -> date:
    """The first day of the admin panel's default range: this month and the five before."""
    index = today.year * 12 + today.month - 1 - 5
    return date(index // 12, index % 12 + 1, 1)


def _panel_funnel(page: Page) -> dict[str, int]:
    """The totals row of the admin dashboard's 对接漏斗."""
    total = page.locator("#platform-funnel-total")
    expect(total).to_be_visible()
    return {
        step: int(total.locator(f'td[data-step="{step}"]').inner_text().strip())
        for step in FUNNEL_STEPS
    }


def test_enterprise_enquires_from_a_recommendation_and_records_the_contract(
    browser: Browser,
    page: Page,
    live_server: LiveServer,
    admin: Credentials,
    browser_errors: BrowserErrors,
) -> None:
    people = {
        "uni": (Role.UNIVERSITY, "zhao.lei@jlu-e2e-connect.example.edu.cn", "赵磊", "13804310001"),
        "firm": (Role.ENTERPRISE, "sun.li@seat-e2e-connect.example.com", "孙丽", "13904310002"),
    }
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        reviewer = make_user(Role.ADMIN, email="review@e2e-connect.example.com", name="审核员")
        users = {
            key: make_user(role, email=email, name=name, phone=phone)
            for key, (role, email, name, phone) in people.items()
        }
        db.session.flush()
        orgs = {key: user.organisation.name for key, user in users.items()}
        firm_id = users["firm"].id
        publish_result(
            users["uni"], reviewer, fields, RESULT_TITLE, RESULT_SUMMARY, field="automotive"
        )
        publish_need(
            users["firm"], reviewer, fields, NEED_TITLE, NEED_DESCRIPTION, field="automotive"
        )
        db.session.commit()
        # As a deployment does after loading listings: refit, so the vocabulary knows their words
        # (between rebuilds new listings are matched with the vocabulary of the last one).
        matching.rebuild_index()
        db.session.commit()
    creds = {
        key: Credentials(email, PASSWORD, name) for key, (_, email, name, _p) in people.items()
    }
    phones = {key: phone for key, (_, _e, _n, phone) in people.items()}

    with ExitStack() as stack:

        def new_page() -> Page:
            context = browser.new_context(base_url=live_server.url, locale="zh-CN")
            context.set_default_timeout(20_000)
            stack.callback(context.close)
            other = context.new_page()
            watch_errors(other, browser_errors)
            return other

        # --- the admin notes the platform's funnel before ------------------------------------
        boss = page
        boss.goto("/")
        log_in(boss, admin)
        before = _panel_funnel(boss)
        with live_server.app_context():
            start = _default_start(funnel.china_day())
            assert before == _db_funnel(start)

        # --- the enterprise opens the result from 为你推荐 and sends an enquiry ---------------
        firm = new_page()
        firm.goto("/")
        log_in(firm, creds["firm"])
        for_you = firm.locator(".card").filter(
            has=firm.get_by_role("heading", name="为你推荐", exact=True)
        )
        expect(for_you).to_contain_text(f"匹配你的“{NEED_TITLE}”")
        for_you.get_by_role("link", name=RESULT_TITLE).click()
        expect(firm.get_by_role("heading", name=RESULT_TITLE, level=1)).to_be_visible()
        firm.get_by_role("region", name="联系方式").get_by_role("link", name="发起对接").click()
        expect(firm.get_by_role("heading", name="发起对接", level=1)).to_be_visible()
        form = firm.locator("main form")
        form.get_by_label("技术许可").check()
        form.get_by_label("留言").fill(ENQUIRY_TEXT)
        form.get_by_label("希望先签署保密协议（NDA）").check()
        form.get_by_role("button", name="发送对接请求").click()
        expect(alert(firm, "对接请求已发送")).to_be_visible()
        expect(firm).to_have_url(re.compile(r"/connect/\d+$"))
        conversation = firm.url
        contacts = firm.get_by_role("region", name="联系方式", exact=True)
        expect(contacts).to_contain_text("对方接受对接后")
        expect(contacts).not_to_contain_text(people["uni"][1])

        # --- the university finds it in its inbox and accepts -------------------------------
        uni = new_page()
        uni.goto("/")
        log_in(uni, creds["uni"])
        navbar(uni).get_by_role("link", name=re.compile("^对接")).click()
        row = uni.get_by_role("link").filter(has_text=RESULT_TITLE)
        expect(row).to_contain_text(f"来自 {orgs['firm']}")
        expect(row).to_contain_text("待答复")
        row.click()
        expect(uni.locator("main")).to_contain_text(ENQUIRY_TEXT)
        expect(uni.locator("main")).to_contain_text("希望先签署保密协议")
        uni.get_by_role("button", name="接受对接").click()
        expect(alert(uni, "已接受对接")).to_be_visible()

        # --- both see each other's contacts --------------------------------------------------
        uni_contacts = uni.get_by_role("region", name="联系方式", exact=True)
        expect(uni_contacts).to_contain_text(people["firm"][1])
        expect(uni_contacts).to_contain_text(phones["firm"])
        firm.goto(conversation)
        expect(contacts).to_contain_text(people["uni"][1])
        expect(contacts).to_contain_text(phones["uni"])
        expect(contacts).to_contain_text(orgs["uni"])

        # --- two messages, the first with an attachment ----------------------------------------
        def send(who: Page, text: str, attachment: bool = False) -> None:
            box = who.get_by_role("region", name="发送消息", exact=True)
            box.get_by_label("消息").fill(text)
            if attachment:
                box.get_by_label("附件").set_input_files(
                    {"name": ATTACHMENT, "mimeType": "application/pdf", "buffer": EVIDENCE_PDF}
                )
            box.get_by_role("button", name="发送", exact=True).click()
            expect(alert(who, "消息已发送")).to_be_visible()
            expect(who.locator("main")).to_contain_text(text)

        send(firm, FIRST_MESSAGE, attachment=True)
        uni.reload()
        expect(uni.locator("main")).to_contain_text(FIRST_MESSAGE)
        link = uni.get_by_role("link", name=re.compile(ATTACHMENT))
        expect(link).to_be_visible()
        download = uni.request.get(link.get_attribute("href") or "")
        assert download.status == 200
        assert download.body() == EVIDENCE_PDF
        send(uni, SECOND_MESSAGE)
        firm.reload()
        thread = firm.locator("article")
        expect(thread).to_have_count(2)
        expect(thread.nth(0)).to_contain_text(FIRST_MESSAGE)
        expect(thread.nth(1)).to_contain_text(SECOND_MESSAGE)

        # --- the enterprise records the contract from the conversation ------------------------
        firm.get_by_role("link", name="登记合同").click()
        expect(firm).to_have_url(re.compile(r"/my/deals/new/enquiry/\d+$"))
        expect(firm.get_by_role("heading", name="登记技术合同")).to_be_visible()
        expect(firm.locator("main")).to_contain_text(RESULT_TITLE)
        expect(firm.locator("main")).to_contain_text(f"技术提供方 {orgs['uni']}")
        expect(firm.locator("main")).to_contain_text(f"技术需求方 {orgs['firm']}")
        form = firm.locator("main form")
        expect(form.get_by_label("合作方式")).to_have_value("license_non_exclusive")
        form.get_by_label("合同金额（万元）").fill("60")
        form.get_by_role("button", name="登记合同").click()
        expect(alert(firm, "技术合同已登记")).to_be_visible()
        expect(firm).to_have_url(re.compile(r"/my/deals/\d+$"))
        expect(firm.get_by_role("heading", name=RESULT_TITLE)).to_be_visible()
        expect(firm.locator("#deal-status")).to_have_text("履行中")

        with live_server.app_context():
            enquiry = db.session.scalars(
                sa.select(Enquiry).where(Enquiry.sender_user_id == firm_id)
            ).one()
            deal = db.session.scalars(sa.select(Deal).where(Deal.enquiry_id == enquiry.id)).one()
            assert firm.url.endswith(f"/my/deals/{deal.id}")
            assert str(enquiry.status) == "accepted" and str(enquiry.source) == "listing"
            assert deal.provider.name == orgs["uni"] and deal.client.name == orgs["firm"]

        # --- the admin's funnel: one more enquiry, acceptance and deal -----------------------
        boss.reload()
        after = _panel_funnel(boss)
        assert after == {step: before[step] + 1 for step in FUNNEL_STEPS}
        with live_server.app_context():
            assert after == _db_funnel(start)

    assert browser_errors == []
