"""人才库 and 技术经纪人 from a spreadsheet to a brokered contract, in a real browser (issue 14).

Set up through the services: a university (the TTO) with a public result, two enterprises each
with a published need (one on carbon-fibre composites, one on the result's subject), a verified
broker following the second need; all organisations verified.

Driven through the browser, in order: the admin notes the broker's row on the dashboard's
技术经纪人活动; the TTO downloads the expert template, fills three rows with openpyxl and imports
them (the excel.import job is run by the test, as the worker would), then submits one profile;
the admin approves it from the review queue; the first enterprise's need page shows that expert
under 推荐专家 with the shared words, and the enterprise sends an enquiry from the expert's page;
the university finds it in its 对接 inbox. The broker introduces the university's result to the
second need; the need owner, on a 390 px phone, sees the introduction with the broker's note and
consents; the university sees it with the broker's name and note and accepts; the need owner
records the contract from the conversation with a 经纪服务费, and the deal page names the broker;
the admin's 技术经纪人活动 row shows one introduction, one acceptance, one deal and the fee, equal
to the database's figures.
"""

from __future__ import annotations

import io
import re
from contextlib import ExitStack
from decimal import Decimal
from typing import TYPE_CHECKING

import openpyxl
import sqlalchemy as sa

import matchmaker.jobs  # noqa: F401 - registers the job handlers the test runs
from matchmaker.extensions import db
from matchmaker.models import Deal, Enquiry, EnquirySource, ExpertProfile, Job
from matchmaker.permissions import Role
from matchmaker.services import matching
from matchmaker.services.platform import jobs
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from matchmaker.services.talent import broker_assignments
from tests.e2e.journey import alert, log_in, navbar, watch_errors
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import Credentials, sync_api
from tests.factories import PASSWORD, make_broker, make_user, publish_need, publish_result

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect
HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"

# --- the three imported experts: only the first shares words with the carbon-fibre need -------
CARBON_EXPERT = "王海涛"
OTHER_EXPERTS = ("刘芳菲", "陈思远")
EXPERT_ROWS = (
    {
        "姓名": CARBON_EXPERT,
        "职称": "教授",
        "院系": "材料科学与工程学院",
        "技术领域": "碳纤维/新材料",
        "研究方向": "碳纤维复合材料热压成型\n轻量化结构设计",
        "关键词": "碳纤维，复合材料，热压成型",
        "简介": "长期从事碳纤维复合材料低成本热压成型研究，服务汽车轻量化零部件企业。",
        "技术咨询": "是",
        "合作开发": "是",
        "联系电话": "0431-85160001",
        "联系邮箱": "wang.haitao@jlu-e2e-talent.example.edu.cn",
    },
    {
        "姓名": OTHER_EXPERTS[0],
        "职称": "副教授",
        "院系": "生命科学学院",
        "技术领域": "人参/农业食品",
        "研究方向": "人参皂苷提取与纯化",
        "关键词": "人参皂苷，提取",
        "简介": "研究人参皂苷的分离纯化与功能食品开发。",
        "技术咨询": "是",
        "联系电话": "0431-85160002",
    },
    {
        "姓名": OTHER_EXPERTS[1],
        "职称": "研究员",
        "院系": "电子科学与工程学院",
        "技术领域": "电子信息/光电",
        "研究方向": "半导体激光器芯片封装",
        "关键词": "半导体激光器，封装",
        "简介": "研究大功率半导体激光器的芯片封装与散热。",
        "培训": "是",
        "联系邮箱": "chen.siyuan@jlu-e2e-talent.example.edu.cn",
    },
)

# --- the listings -----------------------------------------------------------------------------
CARBON_NEED = "碳纤维复合材料汽车轻量化部件热压成型"
CARBON_NEED_TEXT = (
    "需要碳纤维复合材料的低成本热压成型工艺，用于汽车轻量化零部件批量生产，"
    "希望与熟悉碳纤维复合材料热压成型的专家合作。"
)
RESULT_TITLE = "玉米秸秆生物质颗粒燃料成型技术"
RESULT_SUMMARY = (
    "玉米秸秆经粉碎、调质后压制成生物质颗粒燃料，颗粒燃料热值高、灰分低，"
    "玉米秸秆颗粒燃料生产线已在县域供热企业连续运行两个采暖季。"
)
STRAW_NEED = "玉米秸秆颗粒燃料生产线"
STRAW_NEED_TEXT = (
    "我司在县域集中供热，计划用玉米秸秆生物质颗粒燃料替代燃煤，需要引进玉米秸秆颗粒燃料"
    "成型技术，建设年产三万吨的颗粒燃料生产线。"
)
ENQUIRY_TEXT = "我司批量生产碳纤维复合材料汽车零部件，希望请王教授就热压成型工艺提供技术咨询。"
BROKER_NOTE = (
    "需求方计划建设玉米秸秆颗粒燃料生产线，这项成果的颗粒燃料成型技术已在县域供热中运行，"
    "产能和燃料指标都与需求吻合，建议双方先就技术许可洽谈。"
)
CONTRACT_WAN = "120"
FEE_WAN = Decimal("6.5")


def _people() -> dict[str, tuple[Role, str, str, str]]:
    return {
        "uni": (Role.UNIVERSITY, "qian.wei@jlu-e2e-talent.example.edu.cn", "钱伟", "13804310021"),
        "carbon": (Role.ENTERPRISE, "li.qiang@fibre-e2e-talent.example.com", "李强", "13904310022"),
        "straw": (Role.ENTERPRISE, "zhou.min@heat-e2e-talent.example.com", "周敏", "13904310023"),
        "broker": (Role.BROKER, "wu.tong@broker-e2e-talent.example.com", "吴桐", "13604310024"),
    }


def _filled_template(path: str) -> bytes:
    """The downloaded template with the three experts typed under its own headers."""
    with open(path, "rb") as downloaded:  # Playwright stores it without a suffix
        book = openpyxl.load_workbook(io.BytesIO(downloaded.read()))
    sheet = book.worksheets[0]
    columns = {str(cell.value).rstrip("*"): cell.column for cell in sheet[1] if cell.value}
    for row, values in enumerate(EXPERT_ROWS, start=2):
        for label, value in values.items():
            assert label in columns, f"the template has no column {label!r}: {sorted(columns)}"
            sheet.cell(row=row, column=columns[label], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _leading_int(cell: Locator) -> int:
    match = re.match(r"\s*(\d+)", cell.inner_text())
    assert match, cell.inner_text()
    return int(match.group(1))


def _panel_row(page: Page, broker_id: int) -> dict[str, object]:
    """The broker's row of the admin dashboard's 技术经纪人活动."""
    panel = page.get_by_role("region", name="技术经纪人活动")
    expect(panel).to_be_visible()
    cells = panel.locator(f'tr[data-broker="{broker_id}"] td')
    expect(cells).to_have_count(6)
    return {
        "name": cells.nth(0).inner_text().strip(),
        "followed": _leading_int(cells.nth(1)),
        "introductions": _leading_int(cells.nth(2)),
        "accepted": _leading_int(cells.nth(3)),
        "deals": _leading_int(cells.nth(4)),
        "fee": cells.nth(5).inner_text().strip(),
    }


def _db_row(broker_id: int) -> dict[str, object]:
    """The same figures counted in the database."""
    from matchmaker.models import BrokerAssignment

    introductions = sa.select(sa.func.count()).where(
        Enquiry.broker_id == broker_id, Enquiry.source == EnquirySource.INTRODUCTION
    )
    live_deals = (Deal.broker_id == broker_id) & Deal.status.in_(("active", "completed"))
    return {
        "followed": db.session.scalar(
            sa.select(sa.func.count()).where(
                BrokerAssignment.broker_id == broker_id, BrokerAssignment.ended_at.is_(None)
            )
        ),
        "introductions": db.session.scalar(introductions),
        "accepted": db.session.scalar(
            introductions.where(Enquiry.status.in_(("accepted", "closed")))
        ),
        "deals": db.session.scalar(sa.select(sa.func.count()).where(live_deals)),
        "fee": db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Deal.broker_fee_wan), 0)).where(live_deals)
        ),
    }


def test_tto_imports_experts_enterprise_enquires_and_a_broker_introduces_a_deal(
    browser: Browser,
    page: Page,
    phone_page: Page,
    live_server: LiveServer,
    admin: Credentials,
    browser_errors: BrowserErrors,
) -> None:
    people = _people()
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        reviewer = make_user(Role.ADMIN, email="review@e2e-talent.example.com", name="审核员")
        users = {
            key: make_user(role, email=email, name=name, phone=phone)
            for key, (role, email, name, phone) in people.items()
            if role != Role.BROKER
        }
        _r, email, name, phone = people["broker"]
        broker = make_broker(email=email, name=name, phone=phone)
        db.session.flush()
        orgs = {key: user.organisation.name for key, user in users.items()}
        result = publish_result(
            users["uni"], reviewer, fields, RESULT_TITLE, RESULT_SUMMARY, field="energy"
        )
        carbon_need = publish_need(
            users["carbon"], reviewer, fields, CARBON_NEED, CARBON_NEED_TEXT, field="materials"
        )
        straw_need = publish_need(
            users["straw"], reviewer, fields, STRAW_NEED, STRAW_NEED_TEXT, field="energy"
        )
        broker_assignments.claim_need(actor=broker.user, need_id=straw_need.id)
        db.session.commit()
        matching.rebuild_index()
        db.session.commit()
        ids = {
            "broker": broker.id,
            "result": result.id,
            "carbon_need": carbon_need.id,
            "straw_need": straw_need.id,
            "uni_org": users["uni"].organisation_id,
            "straw_org": users["straw"].organisation_id,
        }
        licence = broker.licence_number
    creds = {
        key: Credentials(email, PASSWORD, name) for key, (_, email, name, _p) in people.items()
    }

    with ExitStack() as stack:

        def new_page() -> Page:
            context = browser.new_context(base_url=live_server.url, locale="zh-CN")
            context.set_default_timeout(20_000)
            stack.callback(context.close)
            other = context.new_page()
            watch_errors(other, browser_errors)
            return other

        # --- the admin notes the broker's activity before ---------------------------------------
        boss = page
        boss.goto("/")
        log_in(boss, admin)
        before = _panel_row(boss, ids["broker"])
        assert before["name"] == people["broker"][2]
        assert (before["followed"], before["introductions"], before["deals"]) == (1, 0, 0)

        # --- the TTO imports three experts from the template ------------------------------------
        uni = new_page()
        uni.goto("/")
        log_in(uni, creds["uni"])
        navbar(uni).get_by_role("button", name=creds["uni"].name).click()
        navbar(uni).get_by_role("link", name="我的专家").click()
        expect(uni.get_by_role("heading", name="我的专家", level=1)).to_be_visible()
        uni.get_by_role("link", name="批量导入").click()
        expect(uni.get_by_role("heading", name="批量导入专家档案", level=1)).to_be_visible()
        with uni.expect_download() as download:
            uni.get_by_role("link", name="下载导入模板（.xlsx）").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        workbook = _filled_template(str(download.value.path()))
        uni.locator("main form").get_by_label("文件").set_input_files(
            {
                "name": "专家档案.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": workbook,
            }
        )
        uni.get_by_role("button", name="上传并检查").click()
        expect(uni).to_have_url(re.compile(r"/excel/imports/\d+$"))
        job_id = int(uni.url.rsplit("/", 1)[1])
        with live_server.app_context():
            # What `matchmaker jobs work` does on a deployment.
            assert jobs.run_pending(names=["excel.import"]) >= 1
            job = db.session.get(Job, job_id)
            assert job is not None and str(job.status) == "done", job and job.result
        uni.goto(f"/excel/imports/{job_id}")
        done = uni.get_by_role("status").filter(has_text="已检查")
        expect(done).to_contain_text("已检查 3 行，全部正确。")
        expect(done).to_contain_text("已创建 3 条草稿。")
        done.get_by_role("link", name="我的专家").click()
        for expert_name in (CARBON_EXPERT, *OTHER_EXPERTS):
            row = uni.get_by_role("row").filter(has=uni.get_by_role("link", name=expert_name))
            expect(row).to_contain_text("草稿")
        uni.get_by_role("link", name=CARBON_EXPERT).click()
        expect(uni.get_by_role("heading", name=CARBON_EXPERT, level=1)).to_be_visible()
        uni.get_by_role("button", name="提交审核").click()
        expect(alert(uni, "已提交审核")).to_be_visible()
        expect(uni.locator("h1 [data-status]")).to_have_text("待审核")
        with live_server.app_context():
            imported = {
                e.name: e
                for e in db.session.scalars(
                    sa.select(ExpertProfile).where(ExpertProfile.organisation_id == ids["uni_org"])
                )
            }
            assert sorted(imported) == sorted((CARBON_EXPERT, *OTHER_EXPERTS))
            expert_id = imported[CARBON_EXPERT].id

        # --- the admin approves it from the review queue -----------------------------------------
        navbar(boss).get_by_role("button", name="管理", exact=True).click()
        navbar(boss).get_by_role("link", name="审核队列").click()
        queued = boss.locator('tr[data-kind="expert"]').filter(has_text=CARBON_EXPERT)
        expect(queued).to_contain_text(orgs["uni"])
        queued.get_by_role("link", name=CARBON_EXPERT).click()
        expect(boss).to_have_url(re.compile(rf"/admin/review/experts/{expert_id}$"))
        expect(boss.locator("main")).to_contain_text("碳纤维复合材料热压成型")
        boss.get_by_role("button", name="通过", exact=True).click()
        expect(alert(boss, f"已通过：{CARBON_EXPERT}")).to_be_visible()
        with live_server.app_context():
            # As a deployment does after new content: refit, so the vocabulary knows its words.
            matching.rebuild_index()
            db.session.commit()

        # --- the carbon-fibre need shows the expert with the reason; the enterprise enquires -----
        firm = new_page()
        firm.goto("/")
        log_in(firm, creds["carbon"])
        firm.goto(f"/needs/{ids['carbon_need']}")
        expect(firm.get_by_role("heading", name=CARBON_NEED, level=1)).to_be_visible()
        recs = firm.get_by_role("region", name="推荐专家")
        card = recs.locator(f'article[data-expert="{expert_id}"]')
        expect(card).to_contain_text(CARBON_EXPERT)
        expect(card).to_contain_text(orgs["uni"])
        for other in OTHER_EXPERTS:  # drafts are never recommended
            expect(recs).not_to_contain_text(other)
        card.get_by_text("为什么推荐").click()
        terms = card.locator(".term-chip")
        expect(terms.first).to_be_visible()
        shared = {t.strip() for t in terms.all_inner_texts()}
        assert shared & {"碳纤维", "复合材料", "热压成型", "碳纤维复合材料"}, shared
        card.get_by_role("link", name=CARBON_EXPERT).click()
        expect(firm).to_have_url(re.compile(rf"/experts/{expert_id}$"))
        expect(firm.get_by_role("heading", name=CARBON_EXPERT, level=1)).to_be_visible()
        firm.get_by_role("link", name="发起对接").click()
        expect(firm.get_by_role("heading", name="发起对接", level=1)).to_be_visible()
        expect(firm.locator("main")).to_contain_text(re.compile(rf"专家：\s*{CARBON_EXPERT}"))
        form = firm.locator("main form")
        form.get_by_label("技术咨询").check()
        form.get_by_label("留言").fill(ENQUIRY_TEXT)
        form.get_by_role("button", name="发送对接请求").click()
        expect(alert(firm, "对接请求已发送")).to_be_visible()
        expect(firm).to_have_url(re.compile(r"/connect/\d+$"))

        # --- the university finds it in its inbox ------------------------------------------------
        navbar(uni).get_by_role("link", name=re.compile("^对接")).click()
        row = uni.get_by_role("link").filter(has_text=f"专家：{CARBON_EXPERT}")
        expect(row).to_contain_text(f"来自 {orgs['carbon']}")
        expect(row).to_contain_text("待答复")
        row.click()
        expect(uni.locator("main")).to_contain_text(ENQUIRY_TEXT)

        # --- the broker introduces the university's result to the straw need ---------------------
        agent = new_page()
        agent.goto("/")
        log_in(agent, creds["broker"])
        agent.locator("#followed-needs").get_by_role("link", name=STRAW_NEED, exact=True).click()
        expect(agent.get_by_role("heading", name=STRAW_NEED, level=1)).to_be_visible()
        agent.get_by_role("link", name="引荐成果或专家").click()
        expect(agent.get_by_role("heading", name="引荐成果或专家", level=1)).to_be_visible()
        form = agent.locator("main form")
        target = form.get_by_label("推荐的成果或专家")
        option = target.locator("option").filter(has_text=RESULT_TITLE)
        expect(option).to_have_count(1)
        target.select_option(option.get_attribute("value") or "")
        form.get_by_label("技术许可").check()
        form.get_by_label("引荐说明").fill(BROKER_NOTE)
        form.get_by_role("button", name="提交引荐").click()
        expect(alert(agent, "引荐已提交")).to_be_visible()
        expect(agent).to_have_url(re.compile(r"/connect/my/introductions$"))
        mine = agent.locator('[id^="introduction-"]').filter(has_text=RESULT_TITLE)
        expect(mine).to_contain_text("待确认引荐")
        expect(mine).to_contain_text(STRAW_NEED)

        # --- the need owner consents, on a phone -------------------------------------------------
        owner = phone_page
        owner.goto("/auth/login")
        login = owner.locator("main form")
        login.get_by_label("邮箱").fill(creds["straw"].email)
        login.get_by_label("密码").fill(PASSWORD)
        login.get_by_role("button", name="登录").click()
        pass_second_step(owner, creds["straw"].email)
        expect(owner).to_have_url(re.compile(r"/dashboard$"))
        navbar(owner).get_by_role("button", name="展开菜单").click()
        navbar(owner).get_by_role("link", name=re.compile("^对接")).click()
        owner.get_by_role("link", name="发出的").click()
        proposed = owner.get_by_role("link").filter(has_text=RESULT_TITLE)
        expect(proposed).to_contain_text("经纪人引荐")
        expect(proposed).to_contain_text("待确认引荐")
        expect(proposed).to_contain_text(f"经纪人 {people['broker'][2]}")
        proposed.click()
        introduction = owner.get_by_role("region", name="经纪人引荐", exact=True)
        expect(introduction).to_contain_text(f"技术经纪人 {people['broker'][2]} 引荐")
        expect(introduction).to_contain_text(licence)
        note = owner.get_by_role("region", name="经纪人引荐说明", exact=True)
        expect(note).to_contain_text(BROKER_NOTE)
        assert owner.evaluate(HORIZONTAL_OVERFLOW) <= 0, "the introduction scrolls sideways"
        introduction.get_by_role("button", name="确认并发起对接").click()
        expect(alert(owner, "已确认引荐")).to_be_visible()
        expect(owner.locator("main")).to_contain_text("待答复")
        introduced = owner.url
        assert owner.evaluate(HORIZONTAL_OVERFLOW) <= 0, "the enquiry page scrolls sideways"

        # --- the result's owner sees the broker and the note, and accepts -----------------------
        navbar(uni).get_by_role("link", name=re.compile("^对接")).click()
        received = uni.get_by_role("link").filter(has_text=RESULT_TITLE)
        expect(received).to_contain_text("经纪人引荐")
        expect(received).to_contain_text(f"来自 {orgs['straw']}")
        expect(received).to_contain_text(f"经纪人 {people['broker'][2]}")
        received.click()
        expect(uni.get_by_role("region", name="经纪人引荐", exact=True)).to_contain_text(
            f"技术经纪人 {people['broker'][2]} 引荐"
        )
        expect(uni.get_by_role("region", name="经纪人引荐说明", exact=True)).to_contain_text(
            BROKER_NOTE
        )
        uni.get_by_role("button", name="接受对接").click()
        expect(alert(uni, "已接受对接")).to_be_visible()

        # --- the need owner records the contract from the conversation ---------------------------
        owner.goto(introduced)
        expect(owner.locator("main")).to_contain_text("洽谈中")
        owner.get_by_role("link", name="登记合同").click()
        expect(owner).to_have_url(re.compile(r"/my/deals/new/enquiry/\d+$"))
        expect(owner.get_by_role("heading", name="登记技术合同")).to_be_visible()
        expect(owner.locator("main")).to_contain_text(
            f"这项合作由技术经纪人 {people['broker'][2]}（证书编号 {licence}）引荐"
        )
        form = owner.locator("main form")
        form.get_by_label("合同金额（万元）").fill(CONTRACT_WAN)
        form.get_by_label("经纪服务费（万元）").fill(str(FEE_WAN))
        form.get_by_role("button", name="登记合同").click()
        expect(alert(owner, "技术合同已登记")).to_be_visible()
        expect(owner).to_have_url(re.compile(r"/my/deals/\d+$"))
        expect(owner.get_by_role("heading", name=RESULT_TITLE)).to_be_visible()
        expect(owner.locator("#deal-broker")).to_have_text(
            f"{people['broker'][2]}，证书编号 {licence}，费用 {FEE_WAN} 万元"
        )

        with live_server.app_context():
            enquiry = db.session.scalars(
                sa.select(Enquiry).where(Enquiry.broker_id == ids["broker"])
            ).one()
            assert str(enquiry.source) == "introduction" and str(enquiry.status) == "accepted"
            assert enquiry.for_need_id == ids["straw_need"]
            assert enquiry.sender_org_id == ids["straw_org"]
            assert enquiry.owner_org_id == ids["uni_org"]
            deal = db.session.scalars(sa.select(Deal).where(Deal.enquiry_id == enquiry.id)).one()
            assert owner.url.endswith(f"/my/deals/{deal.id}")
            assert deal.broker_id == ids["broker"] and deal.broker_fee_wan == FEE_WAN
            expert_enquiry = db.session.scalars(
                sa.select(Enquiry).where(Enquiry.expert_id == expert_id)
            ).one()
            assert expert_enquiry.owner_org_id == ids["uni_org"]

        # --- the broker's 我的引荐 follows it: accepted, a contract with its fee ------------------
        agent.reload()
        expect(mine).to_contain_text("洽谈中")
        expect(mine).to_contain_text(f"已登记技术合同 · 经纪服务费：{FEE_WAN} 万元")

        # --- the admin's 技术经纪人活动 counts the introduction and the deal --------------------
        boss.goto("/dashboard")
        after = _panel_row(boss, ids["broker"])
        assert after["name"] == people["broker"][2]
        assert (after["followed"], after["introductions"], after["accepted"], after["deals"]) == (
            1,
            1,
            1,
            1,
        )
        assert after["fee"] == f"{FEE_WAN} 万元"
        with live_server.app_context():
            counted = _db_row(ids["broker"])
        assert {k: after[k] for k in ("followed", "introductions", "accepted", "deals")} == {
            k: counted[k] for k in ("followed", "introductions", "accepted", "deals")
        }
        assert Decimal(str(counted["fee"])) == FEE_WAN

    assert browser_errors == []
