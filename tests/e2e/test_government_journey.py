"""The bureau's view in a real browser, on the demo data (issue 16's done-when test).

A live server of its own has the demo data loaded (`matchmaker seed demo`, through
`seed.load_demo`); the demo admin 王静 (长春市科学技术局) drives the pages, with demo enterprise
and university users where the other side acts.

1. The dashboard (/bureau/): every figure card has its chart drawn (ECharts SVG) from non-empty
   data and its table with rows; the listings per month, live deals and their amount per month,
   and enquiries per month equal counts this test makes from the database itself
   (tests/e2e/government_support.py, not the figures service); a drill-down from a month's deals
   and from a month's results lists exactly the ids the database gives.
2. The monthly report for this month: the .xlsx downloaded from the report page opens in
   openpyxl with one sheet per area and the listings' and deals' totals rows equal to the
   database; the page printed to PDF by Chromium has the Chinese title as text (pypdf).
3. 场景: the admin publishes a scenario through /scenarios/new (form, 确认发布) and approves it in
   the review queue; a demo university applies to it with one of its results; the admin closes
   applications, shortlists and selects the application, and the pipeline shows it selected.
4. An event: the admin creates a 人才活动 and publishes it; a demo enterprise and a demo
   university register on its page; the admin checks both in and records a 达成交易 outcome
   linking the demo deal between them; once the event has begun it is finished; a logged-out
   visitor finds it under 往期回顾 on /events with the outcome.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Application, Challenge, Deal, Event, Need, Result, User
from tests.e2e.government_support import (
    CHINA,
    DEMO_ADMIN,
    DEMO_UNIVERSITY,
    Person,
    china_today,
    deals_by_month,
    enquiries_by_month,
    flat,
    listings_by_month,
    months_of,
    person,
    serve_demo,
    sign_in,
    this_year,
)
from tests.e2e.journey import alert, watch_errors
from tests.e2e.support import sync_api

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

REPORT_TITLE = "长春市科技成果转化月度报告"
#: The report's areas, one sheet each (services/bureau/reports.py AREAS; 其他 only when used).
REPORT_SHEETS = ["概览", "成果与需求", "对接漏斗", "合同与转化", "科技金融", "活动", "人才与经纪人"]

SCENARIO_TITLE = "长春市第一医院智慧药房配送机器人应用场景"
SCENARIO_TEXT = (
    "医院门诊药房日均发药三千余单，现开放门诊药房与两个病区作为试点场地，"
    "征集药品自动配送与院内物流机器人方案，试点周期六个月。"
)
EVENT_TITLE = "2026 长春高校毕业生与高新技术企业人才对接会"

# Cells of every row of a figure's table: data-key → (text, data-value, drill-down link).
ROWS_JS = """t => Array.from(t.querySelectorAll('tbody tr')).map(tr => Object.fromEntries(
  Array.from(tr.querySelectorAll('[data-key]')).map(c => [c.dataset.key, {
    text: c.textContent.trim(),
    value: c.dataset.value === undefined ? null : Number(c.dataset.value),
    href: c.querySelector('a') ? c.querySelector('a').getAttribute('href') : null}])))"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's server: the demo data on a database of its own (overrides conftest's)."""
    yield from serve_demo(tmp_path_factory)


def table_rows(page: Page, name: str) -> dict[str, dict[str, Any]]:
    """A figure's table on the page, by its first column's text (a month, a field, …)."""
    rows: list[dict[str, Any]] = page.locator(f"#table-{name}").evaluate(ROWS_JS)
    out = {}
    for row in rows:
        if row:
            first = next(iter(row.values()))
            out[first["text"]] = row
    return out


def record_ids(page: Page, kind: str) -> list[int]:
    ids = page.locator(f"#records tbody tr[data-kind={kind}]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.id))"
    )
    return sorted(ids)


# --- 1. the dashboard ---------------------------------------------------------------------------


def test_dashboard_charts_tables_and_drill_downs_match_the_database(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    start, end = this_year()
    with live_server.app_context():
        admin = person(DEMO_ADMIN)
        results = listings_by_month(Result, start, end)
        needs = listings_by_month(Need, start, end)
        deals = deals_by_month(start, end)
        enquiries = enquiries_by_month(start, end)
    assert sum(map(len, results.values())) > 0, "the demo data has no results this year"
    assert deals, "the demo data has no live deals this year"

    sign_in(page, admin)
    page.goto("/bureau/")
    expect(page.get_by_role("heading", name="科技局数据看板", level=1)).to_be_visible()

    # every figure: a chart drawn from data, and its table with rows
    cards = page.locator("section.bureau-figure")
    expect(cards.first).to_be_visible()
    names = [str(n).removeprefix("figure-") for n in cards.evaluate_all("s => s.map(e => e.id)")]
    for expected in ("listings_by_month", "contract_turnover", "response_times", "targets"):
        assert expected in names, f"figure {expected} is not on the dashboard: {names}"
    problems: list[str] = []
    for name in names:
        card = page.locator(f"#figure-{name}")
        chart = card.locator(".bureau-chart")
        if chart.count() != 1:
            problems.append(f"{name}: no chart container")
        else:
            chart.scroll_into_view_if_needed()
            marks = chart.locator("svg").locator("path, rect")
            try:
                expect(marks.first).to_be_attached(timeout=10_000)
            except AssertionError:
                problems.append(f"{name}: the chart has no SVG drawn")
            spec = json.loads(chart.get_attribute("data-chart") or "{}")
            values = [v for s in spec.get("series", []) for v in s.get("data", []) if v]
            if not spec.get("categories") or not values:
                problems.append(f"{name}: the chart's data is empty ({spec.get('series')})")
        table = card.locator(f"table#table-{name}")
        if table.count() != 1:
            problems.append(f"{name}: no table under the chart")
            continue
        cells = table.locator("tbody tr td[data-key], tbody tr th[data-key]")
        if cells.count() == 0:
            problems.append(f"{name}: the table has no rows")
    assert not problems, "dashboard figures without a drawn chart or table:\n" + "\n".join(problems)

    # the figures equal the database's counts, month by month
    shown = {
        name: table_rows(page, name)
        for name in ("listings_by_month", "contract_turnover", "response_times")
    }
    mismatches: list[str] = []
    for month in months_of(start, end):
        want = {
            ("listings_by_month", "result"): len(results.get(month, [])),
            ("listings_by_month", "need"): len(needs.get(month, [])),
            ("contract_turnover", "deals"): len(deals[month].ids) if month in deals else 0,
            ("contract_turnover", "amount_wan"): float(deals[month].amount_wan)
            if month in deals
            else 0.0,
            ("response_times", "enquiries"): enquiries.get(month, 0),
        }
        for (figure, key), count in want.items():
            row = shown[figure].get(month)
            value = row[key]["value"] if row and key in row else None
            if value is None or float(value) != float(count):
                mismatches.append(f"{figure} {month} {key}: page {value}, database {count}")
    assert not mismatches, "figures differ from the database:\n" + "\n".join(mismatches)

    # a drill-down from the month with the most deals lists exactly those deals
    month = max(deals, key=lambda m: len(deals[m].ids))
    link = (
        page.locator("#table-contract_turnover tbody tr")
        .filter(has=page.locator("th", has_text=month))
        .locator("td[data-key=deals] a")
    )
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("技术合同成交额")
    expect(page.locator("#record-count")).to_have_attribute(
        "data-count", str(len(deals[month].ids))
    )
    assert record_ids(page, "deal") == deals[month].ids

    # and one from this month's results lists exactly the results created this month
    this_month = china_today().strftime("%Y-%m")
    page.get_by_role("link", name="科技局数据看板").click()
    page.locator("#table-listings_by_month tbody tr").filter(
        has=page.locator("th", has_text=this_month)
    ).locator("td[data-key=result] a").click()
    expect(page.locator("#record-count")).to_have_attribute(
        "data-count", str(len(results[this_month]))
    )
    assert record_ids(page, "result") == sorted(results[this_month])
    assert browser_errors == []


# --- 2. the monthly report ---------------------------------------------------------------------


def _block_totals(sheet: Any, title: str) -> list[Any]:
    """The 合计 row of the block whose title row is `title` in one of the report's sheets (a
    block ends at a blank row)."""
    rows = list(sheet.iter_rows(values_only=True))
    starts = [i for i, row in enumerate(rows) if row and row[0] == title]
    assert starts, f"sheet {sheet.title} has no block {title!r}"
    for row in rows[starts[0] + 1 :]:
        if not any(cell not in (None, "") for cell in row):
            break
        if "合计" in row:
            return list(row)
    raise AssertionError(f"block {title!r} in sheet {sheet.title} has no 合计 row")


def test_monthly_report_xlsx_and_pdf(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    pypdf = pytest.importorskip("pypdf")
    today = china_today()
    month = today.strftime("%Y-%m")  # the demo's listings were all created today
    first = today.replace(day=1)
    with live_server.app_context():
        admin = person(DEMO_ADMIN)
        results = len(listings_by_month(Result, first, today).get(month, []))
        needs = len(listings_by_month(Need, first, today).get(month, []))
        deals = deals_by_month(first, today).get(month)
    assert results > 0

    sign_in(page, admin)
    page.goto("/bureau/")
    page.get_by_role("link", name="月度报告").click()
    expect(page).to_have_url(re.compile(r"/bureau/reports/monthly"))
    page.goto(f"/bureau/reports/monthly?month={month}")
    expect(page.get_by_role("heading", level=1)).to_have_text(REPORT_TITLE)

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert workbook.sheetnames[: len(REPORT_SHEETS)] == REPORT_SHEETS, workbook.sheetnames
    assert set(workbook.sheetnames) <= {*REPORT_SHEETS, "其他"}, workbook.sheetnames
    listed = _block_totals(workbook["成果与需求"], "每月发布的成果与需求")
    assert listed[:3] == ["合计", results, needs], listed
    signed = _block_totals(workbook["合同与转化"], "技术合同成交额（按月）")
    want_deals = len(deals.ids) if deals else 0
    want_amount = float(deals.amount_wan) if deals else 0.0
    assert signed[0] == "合计" and signed[1] == want_deals, signed
    assert float(signed[2]) == want_amount, signed

    page.evaluate("document.fonts.ready")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert REPORT_TITLE in flat(text), text[:500]
    assert f"{today.year}年{today.month}月" in flat(text), text[:500]
    assert browser_errors == []


# --- 3. a 场景: published, applied to, selected ------------------------------------------------


def card(page: Page, org: str) -> Locator:
    """An application's card on the pipeline board."""
    return page.locator("article").filter(has=page.get_by_role("heading", name=org))


def test_scenario_published_applied_to_and_selected(
    browser: Browser, page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    with live_server.app_context():
        admin = person(DEMO_ADMIN)
        uni = person(DEMO_UNIVERSITY)

    with ExitStack() as stack:
        # --- the admin publishes the scenario: the form, then 确认发布 --------------------------
        sign_in(page, admin)
        page.goto("/scenarios")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.goto("/scenarios/new")
        form = page.locator("#scenario-form")
        form.get_by_label("场景名称").fill(SCENARIO_TITLE)
        form.get_by_label("场景介绍").fill(SCENARIO_TEXT)
        form.get_by_label("场景方").fill("长春市第一医院")
        form.get_by_label("场景地点").fill("长春市南关区长春市第一医院门诊楼")
        form.get_by_label("所在地区").select_option(index=1)
        form.get_by_label("技术领域").select_option(index=1)
        form.get_by_label("榜额（万元）").fill("80")
        form.get_by_label("成功标准").fill("连续运行 30 天配送差错率低于千分之一。")
        form.get_by_label("预期交付成果").fill("两台配送机器人、调度软件与试点报告。")
        form.get_by_role("button", name="预览并确认").click()
        expect(page.get_by_role("heading", name="确认发布场景")).to_be_visible()
        expect(page.locator("#confirm-preview")).to_contain_text(SCENARIO_TITLE)
        page.get_by_role("button", name="确认发布").click()
        expect(alert(page, "场景已提交平台审核")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/my/challenges/\d+$"))
        scenario_id = int(page.url.rsplit("/", 1)[1])

        # --- scenarios are 政府榜: the review queue approves it -------------------------------
        page.goto(f"/admin/review/challenges/{scenario_id}")
        page.get_by_role("button", name="审核通过，公开榜单").click()
        expect(alert(page, "已通过")).to_be_visible()

        # --- a demo university applies with one of its results ---------------------------------
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(20_000)
        stack.callback(context.close)
        applicant = context.new_page()
        watch_errors(applicant, browser_errors)
        sign_in(applicant, uni)
        applicant.goto("/scenarios")
        applicant.get_by_role("link", name=SCENARIO_TITLE).first.click()
        expect(applicant.get_by_role("heading", name=SCENARIO_TITLE, level=1)).to_be_visible()
        chooser = applicant.get_by_label("用我的成果揭榜")
        options = chooser.locator("option").evaluate_all(
            "os => os.filter(o => o.value).map(o => o.textContent.trim())"
        )
        assert options, "the university has no result to apply with"
        chooser.select_option(label=options[0])
        applicant.get_by_role("button", name="用我的成果揭榜").click()
        expect(applicant.get_by_role("heading", name="揭榜申请")).to_be_visible()
        form = applicant.locator("#application-form")
        form.get_by_label("预期指标与成功标准的对应").fill("配送差错率低于万分之五。")
        form.locator("#plan-0-title").fill("病区试点")
        form.locator("#plan-0-month").fill("2027-03")
        form.get_by_label("团队").fill("教授 1 名，工程师 4 名。")
        form.get_by_role("button", name="提交", exact=True).click()
        expect(alert(applicant, "揭榜申请已提交")).to_be_visible()

        # --- the admin closes applications, shortlists and selects -------------------------------
        page.goto(f"/my/challenges/{scenario_id}")
        expect(page.locator("#application-count")).to_have_text("1")
        page.get_by_role("button", name="提前截止揭榜").click()
        expect(alert(page, "已截止揭榜")).to_be_visible()
        page.get_by_role("link", name="评审申请").click()
        card(page, uni.organisation).get_by_role("button", name="列入初筛").click()
        expect(page.locator("#stage-shortlisted")).to_contain_text(uni.organisation)
        chosen = card(page, uni.organisation)
        chosen.locator("summary", has_text="选定为揭榜方").click()
        select = chosen.locator("form").filter(has=page.get_by_role("button", name="确认选定"))
        select.get_by_label("其他", exact=True).check()
        select.get_by_label("给其他申请方的说明").fill("感谢参与。")
        select.get_by_role("button", name="确认选定").click()
        expect(alert(page, "已选定揭榜方")).to_be_visible()
        expect(page.locator("#stage-selected")).to_contain_text(uni.organisation)

    with live_server.app_context():
        challenge = db.session.get(Challenge, scenario_id)
        assert challenge is not None and str(challenge.kind) == "scenario"
        states = [
            str(a.status)
            for a in db.session.scalars(
                sa.select(Application).where(Application.challenge_id == scenario_id)
            )
        ]
    assert states == ["selected"], states
    assert browser_errors == []


# --- 4. an event: registration, check-in, an outcome linking a deal, the public page --------------


def test_event_registration_check_in_outcome_and_public_page(
    browser: Browser, page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    with live_server.app_context():
        admin = person(DEMO_ADMIN)
        # The demo data has deals between universities and firms (deal 1: 吉林大学 → 通化康元);
        # the outcome links the first live one, and its two organisations register.
        deal = db.session.scalar(
            sa.select(Deal)
            .where(Deal.status.in_(("active", "completed")))
            .order_by(Deal.id)
            .limit(1)
        )
        assert deal is not None, "the demo data has no live deal"
        provider, client = deal.provider, deal.client
        people: dict[str, Person] = {}
        for party in (provider, client):
            email = db.session.scalar(
                sa.select(User.email).where(User.organisation_id == party.id).order_by(User.id)
            )
            assert email is not None, f"no demo user of {party.name}"
            people[party.name] = person(email)
        deal_id = deal.id
        deal_label = f"合同 {deal.id}：{provider.name} → {client.name}"
        orgs = (provider.name, client.name)

    starts = datetime.now(CHINA).replace(second=0, microsecond=0) + timedelta(days=10)
    with ExitStack() as stack:
        # --- the admin creates a 人才活动 and publishes it ----------------------------------------
        sign_in(page, admin)
        page.goto("/events")
        page.get_by_role("link", name="创建活动").click()
        form = page.locator("main form")
        form.get_by_label("活动类型").select_option(label="人才活动")
        form.get_by_label("活动名称").fill(EVENT_TITLE)
        form.get_by_label("介绍").fill("高校毕业生、科研团队与高新技术企业面对面交流，现场签约。")
        form.get_by_label("地点").fill("长春国际会展中心 2 号馆")
        form.get_by_label("开始时间").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        form.get_by_label("结束时间").fill((starts + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"))
        form.get_by_label("报名截止时间").fill(
            (starts - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        )
        form.get_by_role("button", name="保存").click()
        expect(alert(page, "已保存为草稿")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/events/\d+/manage$"))
        event_id = int(page.url.rsplit("/", 2)[1])
        page.get_by_role("button", name="发布并开放报名").click()
        expect(alert(page, "已发布")).to_be_visible()

        # --- both organisations register on the event's page -------------------------------------
        for org in orgs:
            context = browser.new_context(base_url=live_server.url, locale="zh-CN")
            context.set_default_timeout(20_000)
            stack.callback(context.close)
            member = context.new_page()
            watch_errors(member, browser_errors)
            sign_in(member, people[org])
            member.goto("/events")
            member.get_by_role("link", name=EVENT_TITLE).click()
            member.get_by_role("button", name="报名参加").click()
            expect(alert(member, "报名成功")).to_be_visible()

        # --- the admin checks both in and records the deal ---------------------------------------
        page.reload()
        rows = page.locator("#registrants tbody tr")
        expect(rows).to_have_count(2)
        for org in orgs:
            page.locator("#registrants tbody tr").filter(has_text=org).get_by_role(
                "button", name="签到"
            ).click()
            expect(alert(page, "已签到")).to_be_visible()
        expect(page.locator("#registrants .badge", has_text="已签到")).to_have_count(2)
        record = page.locator("form[action$='/outcomes']")
        record.get_by_label("成果类型").select_option(label="达成交易")
        record.get_by_label("机构一").select_option(label=orgs[0])
        record.get_by_label("机构二").select_option(label=orgs[1])
        record.get_by_label("关联技术合同").select_option(label=deal_label)
        record.get_by_role("button", name="记录成果").click()
        expect(alert(page, "已记录活动成果")).to_be_visible()
        outcome = page.locator("#outcomes li").filter(has_text="达成交易")
        expect(outcome).to_contain_text(orgs[0])
        expect(outcome.get_by_role("link", name=f"技术合同 {deal_id}")).to_be_visible()

        # --- the day comes: the event began an hour ago, so the organiser can finish it -----------
        with live_server.app_context():
            event = db.session.get(Event, event_id)
            assert event is not None
            now = datetime.now(UTC)
            event.registration_closes_at = now - timedelta(hours=2)
            event.starts_at = now - timedelta(hours=1)
            event.ends_at = now - timedelta(minutes=5)
            db.session.commit()
        page.reload()
        page.get_by_role("button", name="结束活动").click()
        expect(alert(page, "活动已结束")).to_be_visible()

        # --- a visitor sees it among past events, with its outcome -------------------------------
        visitor_context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        stack.callback(visitor_context.close)
        visitor = visitor_context.new_page()
        watch_errors(visitor, browser_errors)
        visitor.goto("/events")
        visitor.get_by_role("link", name="往期回顾").click()
        past = visitor.locator("article").filter(has_text=EVENT_TITLE)
        expect(past).to_have_count(1)
        expect(past).to_contain_text("达成交易 1 项")
        past.locator("summary", has_text="查看成果").click()
        for org in orgs:
            expect(past).to_contain_text(org)

    with live_server.app_context():
        event = db.session.get(Event, event_id)
        assert event is not None and str(event.status) == "finished"
        assert sum(r.checked_in_at is not None for r in event.registrations) == 2
        assert [o.deal_id for o in event.outcomes] == [deal_id]
    assert browser_errors == []
