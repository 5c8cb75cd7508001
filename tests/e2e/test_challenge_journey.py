"""The 揭榜挂帅 journey in a real browser (issue 5), from publishing a challenge to the showcase.

Set up through the services (a browser step adds nothing there, and issue 3's journey already
drives listing review in the browser): the users and their organisations, the enterprise's need
(created, submitted and approved by an admin — a need must be approved before it can become a
challenge), university A's listed result (likewise approved), and the two panel members' accounts.

Driven through the browser, in order: the enterprise publishes the challenge from its need page;
university A applies with 用我的成果揭榜 (pre-filled from its result) and university B with 我要揭榜
(保存草稿, then 提交); the owner closes applications early on the manage page, shortlists both,
moves both to the final round and puts a colleague and an outside expert on the panel; both
panel members score both finalists; the owner sees the combined scores, declines B with a reason
and selects A; B sees the reason on /my/applications; the owner records the deal and adds two
milestones; A uploads a PDF as evidence for each; the owner accepts both; a logged-out visitor
finds the challenge in the public showcase (已揭榜 / 已解决) with the status 已解决.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from typing import TYPE_CHECKING

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, User
from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.e2e.journey import alert, log_in, navbar, open_menu_item, watch_errors
from tests.e2e.support import Credentials, sync_api
from tests.factories import PASSWORD, make_user, publish_need, publish_result

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Locator, Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

NEED_TITLE = "风电叶片用大丝束碳纤维预浸料国产化"
NEED_TEXT = "现有进口预浸料成本高、交期长，需要国产大丝束碳纤维预浸料替代方案，满足叶片主梁要求。"
RESULT_TITLE = "大丝束碳纤维快速固化预浸料技术"
RESULT_SUMMARY = "快速固化树脂体系配合国产大丝束碳纤维，预浸料成本降低三成，已完成中试验证。"
CRITERIA = "0° 拉伸强度不低于 2400 MPa，树脂含量偏差不超过 ±2%。"
DELIVERABLES = "中试工艺包、第三方检测报告、200 米样品。"
DECLINE_REASON = "报价高于预算 40%，且中试线尚未建成"
MILESTONES = (("中试线改造", "2027-03-01"), ("批量验证", "2027-06-30"))
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def card(page: Page, org: str) -> Locator:
    """An application's card on the owner's pipeline board."""
    return page.locator("article").filter(has=page.get_by_role("heading", name=org))


def test_challenge_from_publishing_to_the_solved_showcase(
    browser: Browser,
    page: Page,
    live_server: LiveServer,
    browser_errors: BrowserErrors,
    tmp_path: Path,
) -> None:
    people = {
        "owner": (Role.ENTERPRISE, "zhao.min@faw-e2e.example.com", "赵敏"),
        "colleague": (Role.ENTERPRISE, "qian.hao@faw-e2e.example.com", "钱浩"),
        "uni_a": (Role.UNIVERSITY, "sun.li@jlu-e2e-c.example.edu.cn", "孙莉"),
        "uni_b": (Role.UNIVERSITY, "zhou.jie@ccut-e2e.example.edu.cn", "周杰"),
        "expert": (Role.UNIVERSITY, "wu.fang@nenu-e2e.example.edu.cn", "吴芳"),
    }
    with live_server.app_context():
        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        reviewer = make_user(Role.ADMIN, email="review@e2e-c.example.com", name="审核员")
        users: dict[str, User] = {}
        for key, (role, email, name) in people.items():
            extra = {"organisation": users["owner"].organisation} if key == "colleague" else {}
            users[key] = make_user(role, email=email, name=name, **extra)
        db.session.flush()
        orgs = {key: user.organisation.name for key, user in users.items()}
        need = publish_need(users["owner"], reviewer, fields, NEED_TITLE, NEED_TEXT)
        publish_result(users["uni_a"], reviewer, fields, RESULT_TITLE, RESULT_SUMMARY)
        need_id = need.id
        db.session.commit()
    creds = {key: Credentials(email, PASSWORD, name) for key, (_, email, name) in people.items()}

    with ExitStack() as stack:

        def session_of(key: str) -> Page:
            """A fresh browser context, logged in as one of the people."""
            context = browser.new_context(base_url=live_server.url, locale="zh-CN")
            context.set_default_timeout(20_000)
            stack.callback(context.close)
            other = context.new_page()
            watch_errors(other, browser_errors)
            other.goto("/")
            log_in(other, creds[key])
            return other

        # --- the enterprise publishes its approved need as a challenge, with a panel ----------
        owner = page
        owner.goto("/")
        log_in(owner, creds["owner"])
        navbar(owner).get_by_role("link", name="我的需求").click()
        owner.get_by_role("link", name=NEED_TITLE).first.click()
        expect(owner).to_have_url(re.compile(rf"/my/needs/{need_id}$"))
        owner.get_by_role("link", name="发榜 / 管理榜单").click()
        expect(owner.get_by_role("heading", name="发布揭榜挂帅榜单")).to_be_visible()
        form = owner.locator("main form")
        form.get_by_label("榜额（万元）").fill("120")
        form.get_by_label("成功标准").fill(CRITERIA)
        form.get_by_label("预期交付成果").fill(DELIVERABLES)
        form.get_by_label("组织评审专家组打分").check()
        form.get_by_role("button", name="预览并确认").click()
        # 确认发布: exactly what will be public, nothing stored yet; back once, then confirm
        expect(owner.get_by_role("heading", name="确认发布")).to_be_visible()
        preview = owner.locator("#confirm-preview")
        expect(preview).to_contain_text(CRITERIA)
        expect(preview.locator("[data-key=bounty]")).to_have_text("120 万元")
        owner.get_by_role("button", name="返回修改").click()
        expect(owner.get_by_label("成功标准")).to_have_value(CRITERIA)
        owner.locator("main form").get_by_role("button", name="预览并确认").click()
        owner.get_by_role("button", name="确认发布").click()
        expect(alert(owner, "已发榜")).to_be_visible()
        expect(owner).to_have_url(re.compile(r"/my/challenges/\d+$"))
        challenge_id = int(owner.url.rsplit("/", 1)[1])
        expect(owner.locator("#application-count")).to_have_text("0")

        # --- university A applies with its result (用我的成果揭榜) --------------------------------
        uni_a = session_of("uni_a")
        open_menu_item(uni_a, "揭榜挂帅", "全部榜单")
        uni_a.get_by_role("link", name=NEED_TITLE).first.click()
        expect(uni_a.get_by_role("heading", name=NEED_TITLE, level=1)).to_be_visible()
        expect(uni_a.locator("main")).to_contain_text(CRITERIA)
        expect(uni_a.get_by_role("link", name="我要揭榜")).to_be_visible()
        uni_a.get_by_label("用我的成果揭榜").select_option(label=RESULT_TITLE)
        uni_a.get_by_role("button", name="用我的成果揭榜").click()
        expect(uni_a.get_by_role("heading", name="揭榜申请")).to_be_visible()
        expect(uni_a.locator("main")).to_contain_text("已用本机构的成果预填")
        form = uni_a.locator("#application-form")
        expect(form.get_by_label("技术方案")).to_have_value(re.compile(RESULT_SUMMARY))
        expect(form.get_by_label("技术成熟度")).to_have_value("6")
        form.get_by_label("预期指标与成功标准的对应").fill(
            "拉伸强度 2600 MPa，对应成功标准第 1 条。"
        )
        for i, (title, due) in enumerate(MILESTONES):
            form.locator(f"#plan-{i}-title").fill(title)
            form.locator(f"#plan-{i}-month").fill(due[:7])
        form.get_by_label("团队").fill("教授 2 名，博士 4 名，中试工程师 3 名。")
        form.get_by_role("button", name="提交", exact=True).click()
        expect(alert(uni_a, "揭榜申请已提交")).to_be_visible()
        expect(uni_a).to_have_url(re.compile(r"/my/applications$"))
        expect(uni_a.locator("article").filter(has_text=NEED_TITLE)).to_contain_text("已提交")

        # --- university B applies from scratch (我要揭榜): draft first, then submit ------------
        uni_b = session_of("uni_b")
        uni_b.goto(f"/challenges/{challenge_id}")
        uni_b.get_by_role("link", name="我要揭榜").click()
        form = uni_b.locator("#application-form")
        form.get_by_label("技术方案").fill("采用湿法预浸工艺结合在线张力控制，提高树脂含量一致性。")
        form.get_by_label("预期指标与成功标准的对应").fill("树脂含量偏差 ±1.5%。")
        form.get_by_label("技术成熟度").select_option("5")
        form.locator("#plan-0-title").fill("工艺验证")
        form.locator("#plan-0-month").fill("2027-05")
        form.get_by_label("团队").fill("教授 1 名，博士 2 名。")
        form.get_by_label("报价（万元）").fill("168")
        form.get_by_role("button", name="保存草稿").click()
        expect(alert(uni_b, "草稿已保存")).to_be_visible()
        expect(uni_b.locator("#application-form").get_by_label("报价（万元）")).to_have_value(
            re.compile(r"^168")
        )
        uni_b.locator("#application-form").get_by_role("button", name="提交", exact=True).click()
        expect(alert(uni_b, "揭榜申请已提交")).to_be_visible()

        # --- the owner closes applications early, then screens both -------------------------
        owner.reload()
        expect(owner.locator("#application-count")).to_have_text("2")
        owner.get_by_role("button", name="提前截止揭榜").click()
        expect(alert(owner, "已截止揭榜")).to_be_visible()
        owner.get_by_role("link", name="评审申请").click()
        expect(owner).to_have_url(re.compile(rf"/my/challenges/{challenge_id}/pipeline$"))
        for step, stage in (("列入初筛", "shortlisted"), ("进入终审", "finalist")):
            for key in ("uni_a", "uni_b"):
                card(owner, orgs[key]).get_by_role("button", name=step).click()
                expect(owner.locator(f"#stage-{stage}")).to_contain_text(orgs[key])
        expect(owner.locator("#stage-finalist h2 .badge")).to_have_text("2")

        # --- the panel: a colleague from the owner's organisation and an outside expert ------
        panel = owner.locator("#panel")
        colleague = creds["colleague"]
        panel.get_by_label("本机构成员").select_option(
            label=f"{colleague.name} · {colleague.email}"
        )
        panel.get_by_role("button", name="加入专家组").click()
        expect(alert(owner, "已加入评审专家组")).to_be_visible()
        # an outside expert by e-mail: an invitation (the same answer for any address), mailed
        # with a link the expert opens, logged in, and confirms
        owner.locator("#panel").get_by_label("或按邮箱邀请专家").fill(creds["expert"].email)
        owner.locator("#panel").get_by_role("button", name="加入专家组").click()
        expect(alert(owner, "已向该邮箱发送评审邀请")).to_be_visible()
        expect(owner.locator("#panel li")).to_have_count(1)
        with live_server.app_context():
            mails = db.session.scalars(sa.select(Job).where(Job.name == "mail.send")).all()
            body = next(m.args["body"] for m in mails if m.args["to"] == [creds["expert"].email])
        link = re.search(r"https?://\S+(/my/panel-invitations/\S+)", body)
        assert link, body
        expert = session_of("expert")
        expert.goto(link.group(1))
        expect(expert.locator("main")).to_contain_text(creds["owner"].name)
        expert.get_by_role("button", name="接受邀请，加入评审专家组").click()
        expect(alert(expert, "你已加入评审专家组")).to_be_visible()
        expert.context.close()
        owner.reload()
        members = owner.locator("#panel li")
        expect(members).to_have_count(2)
        expect(members.filter(has_text=creds["expert"].email)).to_contain_text("外部专家")

        # --- both panel members score both finalists ----------------------------------------
        scores = {
            "colleague": {"uni_a": (9, 8, 7, 8), "uni_b": (6, 6, 5, 6)},
            "expert": {"uni_a": (8, 9, 7, 9), "uni_b": (7, 5, 4, 6)},
        }
        for member, by_org in scores.items():
            reviewer_page = session_of(member)
            reviewer_page.goto(f"/my/challenges/{challenge_id}/scores")
            expect(reviewer_page.get_by_role("heading", name="我的评分")).to_be_visible()
            for key, values in by_org.items():
                form = reviewer_page.locator("main form").filter(
                    has=reviewer_page.get_by_role("heading", name=orgs[key])
                )
                for label, value in zip(("可行性", "成熟度", "报价", "团队"), values, strict=True):
                    form.get_by_label(label, exact=True).fill(str(value))
                form.get_by_role("button", name="保存评分").click()
                expect(alert(reviewer_page, "评分已保存")).to_be_visible()
            reviewer_page.context.close()
        owner.get_by_role("link", name="专家评分").click()
        rows = owner.locator("#combined-scores tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text(orgs["uni_a"])  # the better one first
        expect(rows.first.locator("td").last).to_have_text("2")
        owner.get_by_role("link", name="返回评审看板").click()

        # --- the owner declines B with a reason and selects A -------------------------------
        loser = card(owner, orgs["uni_b"])
        loser.locator("summary", has_text="婉拒").click()
        decline = loser.locator("form").filter(has=owner.get_by_role("button", name="确认婉拒"))
        decline.get_by_label("报价过高").check()
        decline.get_by_label("具体说明").fill(DECLINE_REASON)
        decline.get_by_role("button", name="确认婉拒").click()
        expect(alert(owner, "已婉拒")).to_be_visible()
        expect(owner.locator("#stage-declined")).to_contain_text(DECLINE_REASON)
        winner = card(owner, orgs["uni_a"])
        winner.locator("summary", has_text="选定为揭榜方").click()
        select = winner.locator("form").filter(has=owner.get_by_role("button", name="确认选定"))
        select.get_by_label("其他", exact=True).check()
        select.get_by_label("给其他申请方的说明").fill("感谢参与。")
        select.get_by_role("button", name="确认选定").click()
        expect(alert(owner, "已选定揭榜方")).to_be_visible()
        expect(owner.locator("#stage-selected")).to_contain_text(orgs["uni_a"])

        # --- the loser sees why ---------------------------------------------------------------
        uni_b.goto("/my/applications")
        mine = uni_b.locator("article").filter(has_text=NEED_TITLE)
        expect(mine).to_contain_text("未入选")
        expect(mine.locator(".alert-danger")).to_contain_text("未入选原因：报价过高")
        expect(mine.locator(".alert-danger")).to_contain_text(DECLINE_REASON)

        # --- the deal, with two milestones ----------------------------------------------------
        card(owner, orgs["uni_a"]).get_by_role("link", name="登记技术合同").click()
        expect(owner.get_by_role("heading", name="登记技术合同")).to_be_visible()
        form = owner.locator("main form")
        form.get_by_label("合作方式").select_option(label="合作开发")
        form.get_by_label("合同金额（万元）").fill("110")
        form.get_by_label("技术合同登记号").fill("2201012027000123")
        form.get_by_role("button", name="登记合同").click()
        expect(alert(owner, "技术合同已登记")).to_be_visible()
        expect(owner).to_have_url(re.compile(r"/my/deals/\d+$"))
        deal_url = owner.url
        expect(owner.locator("#deal-status")).to_have_text("履行中")
        for title, due in MILESTONES:
            owner.get_by_label("里程碑名称").fill(title)
            owner.get_by_label("计划完成日期").fill(due)
            owner.get_by_role("button", name="添加", exact=True).click()
            expect(alert(owner, "里程碑已添加")).to_be_visible()
        expect(owner.locator("#milestones tbody tr")).to_have_count(2)

        # --- the solver uploads a PDF as evidence for each milestone --------------------------
        pdf = tmp_path / "中试检测报告.pdf"
        pdf.write_bytes(PDF)
        uni_a.goto(deal_url)
        for title, _ in MILESTONES:
            row = uni_a.locator("#milestones tbody tr").filter(has_text=title)
            row.locator("summary", has_text="提交交付材料").click()
            row.get_by_label("交付证明材料").set_input_files(pdf)
            row.get_by_label("交付说明").fill(f"{title}已完成，附检测报告。")
            row.get_by_role("button", name="提交验收").click()
            expect(alert(uni_a, "交付材料已提交")).to_be_visible()
            row = uni_a.locator("#milestones tbody tr").filter(has_text=title)
            expect(row.get_by_role("link", name=pdf.name)).to_be_visible()

        # --- the owner accepts both -------------------------------------------------------------
        owner.reload()
        for title, _ in MILESTONES:
            row = owner.locator("#milestones tbody tr").filter(has_text=title)
            expect(row.get_by_role("link", name=pdf.name)).to_be_visible()
            row.get_by_role("button", name="验收通过").click()
            expect(alert(owner, "已验收通过")).to_be_visible()
        expect(owner.locator("#deal-status")).to_have_text("已完成")

        # --- a logged-out visitor sees it solved in the public showcase -----------------------
        visitor_context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        stack.callback(visitor_context.close)
        visitor = visitor_context.new_page()
        watch_errors(visitor, browser_errors)
        visitor.goto("/")
        open_menu_item(visitor, "揭榜挂帅", "全部榜单")
        showcase = visitor.get_by_role("region", name="已揭榜 / 已解决")
        solved = showcase.locator("article").filter(has_text=NEED_TITLE)
        expect(solved).to_have_count(1)
        expect(solved).to_contain_text(orgs["owner"])
        expect(solved.locator(".badge")).to_have_text("已解决")

    assert browser_errors == []
