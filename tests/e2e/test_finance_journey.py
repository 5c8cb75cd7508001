"""科技金融 from profile to credit and back to no access, in a real browser (issue 6).

Set up through the services: the key industries, an admin, a verified enterprise and a verified
bank.

Driven through the browser, in order: the enterprise fills its 企业画像 (industry,
size, 高新技术企业 with its certificate, patents, key products, contact, three years
of revenue and R&D spend) and sees its 创新积分; it consents to 基本信息 and 创新指标
only, for 180 days, and posts a 融资需求. The bank creates and publishes a loan
product, filters 企业画像浏览 down to the firm and opens it: it sees the basic
information and the score breakdown, but not the revenue (财务数据 was not consented).
It sends a contact request with its product and the firm's need; the enterprise
accepts it; the bank marks the lead 对接中 and records 300 万元 of credit. The admin
sees the 300 counted on 科技金融统计. Finally the enterprise withdraws its consent,
and the bank's reload of the firm page it had open answers 404 at once.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import date
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

INDUSTRY = "碳纤维/新材料"
KEY_PRODUCTS = "T700 级碳纤维原丝；碳纤维复合材料风电叶片梁帽"
CERT_NO = "GR202322000417"
CONTACT = "赵敏"
# Revenue figures no other page element could produce, so their absence is meaningful.
REVENUE = ("13579", "24681", "35791")
RD_SPEND = ("1200", "1800", "2600")
NEED_TITLE = "碳纤维原丝二期产线设备购置"
NEED_PURPOSE = "购置两条 T800 级碳纤维原丝纺丝线及配套碳化炉，扩大高性能原丝产能。"
PRODUCT = "吉科贷·碳纤维专项"


def open_menu_item(page: Page, item: str) -> None:
    """科技金融 ▸ item, from the navbar dropdown."""
    toggle = navbar(page).get_by_role("button", name="科技金融")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    navbar(page).get_by_role("link", name=item, exact=True).click()


def new_page(
    stack: ExitStack, browser: Browser, live_server: LiveServer, errors: BrowserErrors
) -> Page:
    """A second (third) person's browser: its own context, cookies and error watching."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(20_000)
    stack.callback(context.close)
    page = context.new_page()
    watch_errors(page, errors)
    page.goto("/")
    return page


def fill_profile(page: Page) -> None:
    """企业画像 ▸ 填写画像: every declared part, three financial years, saved."""
    open_menu_item(page, "企业画像")
    expect(page.locator("#no-profile")).to_be_visible()
    page.get_by_role("link", name="填写画像").click()
    form = page.locator("#profile-form")
    form.get_by_label("所属行业").select_option(label=INDUSTRY)
    form.get_by_label("企业规模").select_option(label="中型企业")
    form.get_by_label("职工人数").fill("260")
    form.get_by_label("成立年份").fill("2012")
    form.get_by_label("主要产品").fill(KEY_PRODUCTS)
    form.get_by_label("高新技术企业", exact=True).check()
    form.get_by_label("高新技术企业证书编号").fill(CERT_NO)
    expires = date(date.today().year + 2, 12, 31)
    form.get_by_label("高新技术企业证书有效期至").fill(expires.isoformat())
    form.get_by_label("发明专利（件）").fill("12")
    form.get_by_label("实用新型专利（件）").fill("30")
    form.get_by_label("软件著作权（件）").fill("4")
    form.get_by_label("融资联系人").fill(CONTACT)
    form.get_by_label("联系电话").fill("0431-85550123")
    for row, (revenue, rd) in enumerate(zip(REVENUE, RD_SPEND, strict=True)):
        form.get_by_label("营业收入（万元）").nth(row).fill(revenue)
        form.get_by_label("研发投入（万元）").nth(row).fill(rd)
    form.get_by_role("button", name="保存并计算创新积分").click()
    expect(alert(page, "企业画像已保存，创新积分已更新为")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/profile$"))


def consent_to(page: Page, scopes: tuple[str, ...], days: int) -> None:
    """画像授权: tick exactly these scopes, choose the duration, 授权."""
    open_menu_item(page, "画像授权")
    form = page.locator("#consent-form")
    for scope in ("基本信息", "创新指标", "财务数据", "平台活动"):
        box = form.get_by_label(scope, exact=True)
        box.check() if scope in scopes else box.uncheck()
    form.get_by_label(f"{days} 天", exact=True).check()
    form.get_by_role("button", name="授权", exact=True).click()
    expect(alert(page, "已授权银行查看：" + "、".join(scopes))).to_be_visible()


def open_lead(page: Page, menu_item: str, counterpart: str) -> None:
    """科技金融 ▸ the leads list, then the lead with the other side's name."""
    open_menu_item(page, menu_item)
    page.locator("#leads").get_by_role("link", name=counterpart).click()
    expect(page).to_have_url(re.compile(r"/leads/\d+$"))


def test_firm_profile_consent_lead_credit_and_revocation(
    browser: Browser,
    page: Page,
    live_server: LiveServer,
    browser_errors: BrowserErrors,
) -> None:
    people = {
        "admin": (Role.ADMIN, "stats@e2e-finance.example.com", "统计员"),
        "firm": (Role.ENTERPRISE, "zhao.min@carbon-e2e.example.com", "赵敏"),
        "bank": (Role.BANK, "liu.yang@bank-e2e.example.com", "刘洋"),
    }
    with live_server.app_context():
        ensure_key_industries()
        users = {
            key: make_user(role, email=email, name=name)
            for key, (role, email, name) in people.items()
        }
        db.session.flush()
        firm_name = users["firm"].organisation.name
        bank_name = users["bank"].organisation.name
        db.session.commit()
    creds = {key: Credentials(email, PASSWORD, name) for key, (_, email, name) in people.items()}

    with ExitStack() as stack:
        # --- 1. the enterprise fills its profile and sees its 创新积分 -------------------------
        firm = page
        firm.goto("/")
        log_in(firm, creds["firm"])
        fill_profile(firm)
        score = firm.locator("#score")
        expect(score.get_by_role("heading", name="创新积分")).to_be_visible()
        expect(score.locator(".badge")).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
        expect(score.get_by_role("img", name="创新积分雷达图")).to_be_visible()
        expect(firm.locator("main")).to_contain_text(KEY_PRODUCTS)
        expect(firm.locator("#certifications")).to_contain_text(CERT_NO)
        expect(firm.locator("#years")).to_contain_text(
            f"{REVENUE[0][:2]},{REVENUE[0][2:]}"
        )  # the figure the bank won't see

        # --- 2. it consents to 基本信息 and 创新指标 for 180 days --------------------------------
        consent_to(firm, ("基本信息", "创新指标"), 180)
        current = firm.locator("#current-grant")
        expect(current).to_contain_text("授权范围：基本信息、创新指标")
        expect(firm.locator("#consent-history")).to_contain_text("生效中")

        # --- 3. it posts a 融资需求 ------------------------------------------------------------
        open_menu_item(firm, "我的融资需求")
        firm.get_by_role("link", name="发布融资需求").click()
        form = firm.locator("main form")
        form.get_by_label("标题").fill(NEED_TITLE)
        form.get_by_label("融资金额（万元）").fill("500")
        form.get_by_label("期限（月）").fill("24")
        form.get_by_label("资金用途").fill(NEED_PURPOSE)
        form.get_by_label("知识产权质押").check()
        form.get_by_role("button", name="发布", exact=True).click()
        expect(alert(firm, "融资需求已发布")).to_be_visible()
        expect(firm.get_by_role("heading", name=NEED_TITLE)).to_be_visible()
        log_out(firm, creds["firm"])

        # --- 4. the bank creates a loan product and publishes it ----------------------------
        bank = new_page(stack, browser, live_server, browser_errors)
        log_in(bank, creds["bank"])
        open_menu_item(bank, "我的贷款产品")
        bank.get_by_role("link", name="新建产品").click()
        form = bank.locator("main form")
        form.get_by_label("产品名称").fill(PRODUCT)
        form.get_by_label("产品类型").select_option(label="科创贷")
        form.get_by_label("产品介绍").fill("面向新材料高新技术企业的设备购置和研发贷款。")
        form.get_by_label("最低额度（万元）").fill("100")
        form.get_by_label("最高额度（万元）").fill("1000")
        form.get_by_label("最短期限（月）").fill("6")
        form.get_by_label("最长期限（月）").fill("36")
        form.get_by_label("最低年利率（%）").fill("3.45")
        form.get_by_label("最高年利率（%）").fill("5.2")
        form.get_by_label(INDUSTRY).check()
        form.get_by_label("创新积分门槛").fill("10")
        form.get_by_label("要求高新技术企业").check()
        form.get_by_label("知识产权质押").check()
        form.get_by_role("button", name="保存草稿").click()
        expect(alert(bank, "产品已保存为草稿")).to_be_visible()
        bank.locator("#product-actions").get_by_role("button", name="发布", exact=True).click()
        expect(alert(bank, "产品已发布")).to_be_visible()
        expect(bank.locator("#product-status")).to_have_text("已发布")
        expect(bank.locator("#product-rules")).to_contain_text("须为高新技术企业")

        # --- 5. it finds the firm in 企业画像浏览 and sees only what was consented ------------
        open_menu_item(bank, "企业画像浏览")
        filters = bank.locator("#firm-filter")
        filters.get_by_label("行业", exact=True).select_option(label=INDUSTRY)
        filters.get_by_label("高新技术企业").check()
        filters.get_by_role("button", name="筛选").click()
        expect(bank).to_have_url(re.compile(r"high_tech=y"))
        bank.locator("#firms").get_by_role("link", name=firm_name).click()
        expect(bank.get_by_role("heading", name=firm_name, level=1)).to_be_visible()
        firm_url = bank.url
        expect(bank.locator("#consent-scope")).to_contain_text("企业授权查看：基本信息、创新指标；")
        expect(bank.locator("#basic")).to_contain_text(INDUSTRY)
        expect(bank.locator("#basic")).to_contain_text(KEY_PRODUCTS)
        expect(bank.locator("#basic")).to_contain_text(CONTACT)
        expect(bank.locator("#innovation")).to_contain_text(CERT_NO)
        breakdown = bank.locator("#score")
        expect(breakdown.get_by_role("img", name="创新积分雷达图")).to_be_visible()
        expect(breakdown.get_by_role("rowheader", name="研发投入强度")).to_be_visible()
        expect(breakdown).to_contain_text("创新积分合计")
        expect(bank.locator("#financials")).to_contain_text("未授权")
        expect(bank.locator("#activity")).to_contain_text("未授权")
        expect(bank.locator("#financing-needs")).to_contain_text(NEED_TITLE)
        text = bank.locator("body").inner_text()
        for revenue in REVENUE:
            assert revenue not in text and f"{revenue[:2]},{revenue[2:]}" not in text

        # --- 6. it sends a contact request with its product and the firm's need ------------
        bank.get_by_role("link", name="发起对接", exact=True).click()
        expect(bank.get_by_role("heading", name=f"发起对接：{firm_name}")).to_be_visible()
        form = bank.locator("main form")
        form.get_by_label("推荐产品").select_option(label=PRODUCT)
        need_option = form.get_by_label("对应的融资需求").locator("option", has_text=NEED_TITLE)
        form.get_by_label("对应的融资需求").select_option(label=need_option.inner_text())
        form.get_by_label("给企业的留言").fill("我行可提供 300 万元以内的科创贷，欢迎沟通。")
        form.get_by_role("button", name="发送对接请求").click()
        expect(alert(bank, "对接请求已发送")).to_be_visible()
        expect(bank.locator("#lead-status")).to_have_text("待企业回复")
        expect(bank.locator("#lead-details")).to_contain_text(NEED_TITLE)

        # --- 7. the enterprise accepts it ---------------------------------------------------
        log_in(firm, creds["firm"])
        open_lead(firm, "银行对接请求", bank_name)
        expect(firm.locator("#lead-details")).to_contain_text(PRODUCT)
        firm.get_by_label("同意对接").check()
        firm.get_by_label("回复（可选）").fill("工作日下午均可联系赵敏。")
        firm.get_by_role("button", name="提交答复").click()
        expect(alert(firm, "已答复银行")).to_be_visible()
        expect(firm.locator("#lead-status")).to_have_text("企业已同意")

        # --- 8. the bank marks it 对接中 and records 300 万元 of credit -------------------------
        open_lead(bank, "对接线索", firm_name)
        expect(bank.locator("#lead-status")).to_have_text("企业已同意")
        bank.get_by_role("button", name="标记为对接中").click()
        expect(alert(bank, "已标记为对接中")).to_be_visible()
        expect(bank.locator("#lead-status")).to_have_text("对接中")
        actions = bank.locator("#lead-actions")
        actions.get_by_label("授信金额（万元）").fill("300")
        actions.get_by_label("授信产品").select_option(label=PRODUCT)
        actions.get_by_role("button", name="记录授信").click()
        expect(alert(bank, "授信已记录")).to_be_visible()
        expect(bank.locator("#lead-status")).to_have_text("已授信")
        expect(bank.locator("#approved-amount")).to_have_text(f"300 万元 · {PRODUCT}")

        # --- 9. the admin sees the credit counted on 科技金融统计 -------------------------------
        admin = new_page(stack, browser, live_server, browser_errors)
        log_in(admin, creds["admin"])
        open_menu_item(admin, "科技金融统计")
        expect(admin.get_by_role("heading", name="科技金融统计")).to_be_visible()
        expect(admin.locator("#stat-approved")).to_have_text("300 万元")
        bank_row = admin.locator("#per-bank tr").filter(has_text=bank_name)
        expect(bank_row.locator("td").nth(5)).to_have_text("300 万元")

        # --- 10. the enterprise withdraws consent; the bank's firm page is gone at once -----
        bank.locator("#lead-details").get_by_role("link", name="查看企业画像").click()
        expect(bank).to_have_url(firm_url)
        expect(bank.locator("#basic")).to_contain_text(KEY_PRODUCTS)
        open_menu_item(firm, "画像授权")
        firm.locator("#current-grant").get_by_role("button", name="立即撤回授权").click()
        expect(alert(firm, "授权已撤回")).to_be_visible()
        expect(firm.locator("#current-grant")).to_contain_text("目前没有生效的授权")
        expect(firm.locator("#consent-history")).to_contain_text("已撤回")

        assert browser_errors == []  # before the one error this step provokes on purpose
        response = bank.reload()
        assert response is not None and response.status == 404
        expect(bank.get_by_role("heading", name="页面不存在")).to_be_visible()
        expect(bank.locator("main")).not_to_contain_text(KEY_PRODUCTS)

    # Chromium logs the refused document itself ("Failed to load resource: ... 404"); nothing else.
    assert [e for e in browser_errors if "status of 404 (NOT FOUND)" not in e] == []
