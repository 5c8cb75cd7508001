"""The bureau's dashboard (issue 16): every figure's chart and table, filters, drill-downs,
downloads, the targets page, the read-only 科技局 account and how one is made."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.models import CityTarget, User
from matchmaker.permissions import Role
from matchmaker.services.accounts.accounts import user_for_reset_token
from matchmaker.services.bureau import figures, targets
from matchmaker.services.bureau.figures import Filters
from tests.factories import make_user, publish_need, publish_result
from tests.web.test_access_matrix import EXPECTED

YEAR = "start=2025-01-01&end=2025-12-31"


# --- reading the page -------------------------------------------------------------------------
class DashboardPage(HTMLParser):
    """The charts' JSON by figure, and each figure table's cells (key, data-value, link)."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, Any]] = {}
        self.chart_attrs: dict[str, dict[str, str]] = {}
        self.tables: dict[str, list[list[dict[str, Any]]]] = {}
        self.captions: dict[str, str] = {}
        self._table: str | None = None
        self._cell: dict[str, Any] | None = None
        self._caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if "data-chart" in attr:
            name = attr["id"].removeprefix("chart-")
            self.charts[name] = json.loads(attr["data-chart"])
            self.chart_attrs[name] = attr
        if tag == "table" and "data-figure" in attr:
            self._table = attr["data-figure"]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag in ("td", "th") and "data-key" in attr:
            self._cell = {"key": attr["data-key"], "value": attr.get("data-value"), "text": ""}
            self.tables[self._table][-1].append(self._cell)
        elif self._table and tag == "a" and self._cell is not None:
            self._cell["href"] = attr["href"]
        elif self._table and tag == "caption":
            self._caption = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "caption":
            self._caption = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data.strip()
        if self._caption and self._table:
            self.captions[self._table] = self.captions.get(self._table, "") + data.strip()


def read_page(html: str) -> DashboardPage:
    page = DashboardPage()
    page.feed(html)
    return page


def body_rows(page: DashboardPage, name: str) -> list[list[dict[str, Any]]]:
    """The table's data rows (not its header)."""
    return [row for row in page.tables[name][1:] if row]


def column(page: DashboardPage, name: str, key: str) -> list[float | None]:
    cells = [c for row in body_rows(page, name) for c in row if c["key"] == key]
    return [None if c["value"] is None else float(c["value"]) for c in cells]


def cell(page: DashboardPage, name: str, row_text: str, key: str) -> dict[str, Any]:
    for row in body_rows(page, name):
        if row[0]["text"] == row_text:
            return next(c for c in row if c["key"] == key)
    raise AssertionError(f"no row {row_text} in {name}")


# --- the world --------------------------------------------------------------------------------
def _at(listing, when: datetime) -> None:
    listing.created_at = when
    db.session.commit()


@pytest.fixture
def world(db, fields):
    """Two results and a need in 2025: a materials result in February, an AI result in March,
    a materials need in March (dates set on the rows)."""
    admin = make_user("admin", email="reviewer@example.com")
    uni = make_user("university")
    firm = make_user("enterprise")
    a = publish_result(uni, admin, fields, "碳纤维复合材料界面改性技术", "用于检查看板的成果")
    b = publish_result(
        uni, admin, fields, "工业视觉缺陷检测算法", "用于检查看板的成果", field="ai_software"
    )
    need = publish_need(firm, admin, fields, "轻量化车身材料需求", "需要轻量化材料" * 5)
    _at(a, datetime(2025, 2, 10, 2, tzinfo=UTC))
    _at(b, datetime(2025, 3, 15, 2, tzinfo=UTC))
    _at(need, datetime(2025, 3, 20, 2, tzinfo=UTC))
    return {"a": a, "b": b, "need": need, "fields": fields}


# --- the dashboard ------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "bureau"])
def test_dashboard_shows_every_figure_with_a_chart_whose_numbers_are_the_tables(
    client, login_as, world, role
):
    login_as(role)
    response = client.get(f"/bureau/?{YEAR}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = read_page(html)
    assert "echarts.min.js" in html and "bureau-charts.js" in html
    filters = Filters(start=datetime(2025, 1, 1).date(), end=datetime(2025, 12, 31).date())
    for table in figures.dashboard(filters):
        assert table.name in page.tables, table.name
        assert page.captions[table.name] == table.title
        assert len(body_rows(page, table.name)) == len(table.rows)
        if table.chart == "none":
            assert table.name not in page.charts
            continue
        chart = page.charts[table.name]
        assert page.chart_attrs[table.name]["role"] == "img"
        assert table.title in page.chart_attrs[table.name]["aria-label"]
        assert chart["kind"] == table.chart
        assert [s["key"] for s in chart["series"]] == table.series
        for series in chart["series"]:
            shown = column(page, table.name, series["key"])
            assert [None if v is None else float(v) for v in series["data"]] == shown, (
                table.name,
                series["key"],
            )
    # the figure under test: February one result, March one result and one need
    assert cell(page, "listings_by_month", "2025-02", "result")["value"] == "1"
    march = page.charts["listings_by_month"]
    index = march["categories"].index("2025-03")
    assert [s["data"][index] for s in march["series"]] == [1, 1]


def test_the_targets_figure_comes_first_with_this_years_target_first(client, login_as, db):
    login_as("bureau")
    html = client.get("/bureau/").get_data(as_text=True)
    page = read_page(html)
    names = list(page.tables)
    assert names[0] == "targets"
    assert html.index('id="targets-heading"') < html.index('id="figures-heading"')
    this_year = datetime.now(UTC).year
    firsts: dict[str, str] = {}
    for row in body_rows(page, "targets"):
        texts = {c["key"]: c["text"] for c in row}
        firsts.setdefault(texts["metric"], texts["year"])
    assert len(firsts) == len(targets.METRICS)
    for metric in targets.METRICS.values():
        years = [y for y in targets.targets_for(metric.code) if y >= this_year]
        assert firsts[str(metric.label)] == str(min(years))  # this year's, else the next one
    assert firsts["银企对接活动"] == str(this_year)


def test_filters_change_the_numbers(client, login_as, world):
    login_as("admin")
    materials = world["fields"]["materials"].id
    every = read_page(client.get(f"/bureau/?{YEAR}").get_data(as_text=True))
    narrowed = read_page(client.get(f"/bureau/?{YEAR}&field={materials}").get_data(as_text=True))
    february = "start=2025-02-01&end=2025-02-28"
    one_month = read_page(client.get(f"/bureau/?{february}").get_data(as_text=True))
    assert cell(every, "listings_by_month", "2025-03", "result")["value"] == "1"
    assert cell(narrowed, "listings_by_month", "2025-03", "result")["value"] == "0"
    assert cell(narrowed, "listings_by_month", "2025-03", "need")["value"] == "1"
    assert [r[0]["text"] for r in body_rows(one_month, "listings_by_month")] == ["2025-02"]
    assert narrowed.charts["listings_by_month"]["series"][0]["data"][2] == 0
    # the downloads and drill-downs carry the filters
    href = cell(narrowed, "listings_by_month", "2025-03", "need")["href"]
    assert dict(parse_qsl(urlsplit(href).query))["field"] == str(materials)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=abc", "筛选条件有误"),
        ("start=2025-06-01&end=2025-01-01", "结束日期不能早于开始日期"),
        ("start=2010-01-01&end=2025-01-01", "统计区间最长十年"),
        ("field=999999", "筛选条件有误"),
        ("field=abc", "筛选条件有误"),
        ("region=atlantis", "筛选条件有误"),
        ("org_kind=pirate", "筛选条件有误"),
        ("start=9999-01-01&end=9999-12-31", "筛选条件有误"),
        ("start=0001-01-01&end=0001-02-01", "筛选条件有误"),
    ],
)
def test_bad_filters_show_a_message_and_the_default_filters(client, login_as, db, query, message):
    login_as("bureau")
    response = client.get(f"/bureau/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="filter-problem"' in html and message in html
    year = datetime.now(UTC).year
    assert f"统计期间：{year}-01-01 至" in html
    # the downloads do not fail on them either
    assert client.get(f"/bureau/figures/listings_by_month.csv?{query}").status_code == 200


# --- drill-downs ----------------------------------------------------------------------------------
class RecordsPage(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, int]] = []
        self.count: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-kind" in attr:
            self.rows.append((attr["data-kind"], int(attr["data-id"])))
        if attr.get("id") == "record-count":
            self.count = int(attr["data-count"])


def drill(client, href: str) -> RecordsPage:
    response = client.get(href)
    assert response.status_code == 200, href
    page = RecordsPage()
    page.feed(response.get_data(as_text=True))
    return page


def test_a_drill_down_lists_exactly_the_records_counted_in_the_cell(client, login_as, world):
    login_as("admin")
    page = read_page(client.get(f"/bureau/?{YEAR}").get_data(as_text=True))
    for month, key, expected in (
        ("2025-02", "result", [("result", world["a"].id)]),
        ("2025-03", "result", [("result", world["b"].id)]),
        ("2025-03", "need", [("need", world["need"].id)]),
    ):
        shown = cell(page, "listings_by_month", month, key)
        records = drill(client, shown["href"])
        assert records.rows == expected
        assert records.count == int(shown["value"]) == len(expected)
    # a cell of 0 lists nothing
    empty = drill(client, cell(page, "listings_by_month", "2025-01", "result")["href"])
    assert empty.rows == [] and empty.count == 0


def test_every_drillable_cell_of_every_figure_lists_as_many_records_as_it_counts(
    client, login_as, world
):
    login_as("admin")
    filters = Filters(start=datetime(2025, 1, 1).date(), end=datetime(2025, 12, 31).date())
    page = read_page(client.get(f"/bureau/?{YEAR}").get_data(as_text=True))
    checked = 0
    for table in figures.dashboard(filters):
        for index, row in enumerate(table.rows):
            for key in table.drill[index] if index < len(table.drill) else {}:
                value = row.get(key)
                if not isinstance(value, int) or table.kind_of(index, key) != "int":
                    continue
                records = figures.records(table.name, filters, table.drill[index][key])
                counted = sum(1 if r.count is None else r.count for r in records)
                assert counted == value, (table.name, index, key)
                checked += 1
    assert checked >= 6
    # and the page links each counted cell to its drill-down with the cell's count at the top
    shown = cell(page, "listings_by_month", "2025-02", "result")
    assert drill(client, shown["href"]).count == 1


def test_drill_downs_of_unknown_figures_are_404_and_unmatched_parameters_empty(
    client, login_as, world
):
    login_as("bureau")
    assert client.get("/bureau/figures/no_such_figure/records").status_code == 404
    assert client.get("/bureau/figures/no_such_figure/records.csv").status_code == 404
    response = client.get(f"/bureau/figures/listings_by_month/records?{YEAR}&kind=nothing")
    assert response.status_code == 200
    assert 'id="no-records"' in response.get_data(as_text=True)


def test_drill_down_csv_lists_the_same_records(client, login_as, world):
    login_as("admin")
    url = f"/bureau/figures/listings_by_month/records.csv?{YEAR}&kind=result&month=2025-03"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["类型", "编号", "标题"]
    assert [(r[1], r[2]) for r in rows[1:]] == [(str(world["b"].id), "工业视觉缺陷检测算法")]
    assert rows[1][-1].endswith(f"/results/{world['b'].id}")


# --- downloads ----------------------------------------------------------------------------------
def test_the_workbook_has_one_sheet_per_figure_with_numbers_as_numbers(client, login_as, world):
    login_as("bureau")
    response = client.get(f"/bureau/figures.xlsx?{YEAR}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    filters = Filters(start=datetime(2025, 1, 1).date(), end=datetime(2025, 12, 31).date())
    tables = figures.dashboard(filters)
    assert len(book.sheetnames) == len(tables) == len(figures.names())
    sheet = book[book.sheetnames[[t.name for t in tables].index("listings_by_month")]]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:3]) == ["月份", "成果", "需求"]
    by_month = {r[0]: r[1:3] for r in rows[1:13]}
    assert by_month["2025-02"] == (1, 0) and by_month["2025-03"] == (1, 1)
    assert all(isinstance(v, int) for r in rows[1:13] for v in r[1:3])


def test_one_figure_as_xlsx_and_csv(client, login_as, world):
    login_as("admin")
    xlsx = client.get(f"/bureau/figures/listings_by_month.xlsx?{YEAR}")
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.data)).sheetnames == ["每月发布的成果与需求"]
    response = client.get(f"/bureau/figures/listings_by_month.csv?{YEAR}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["月份", "成果", "需求"]
    assert rows[2:4] == [["2025-02", "1", "0"], ["2025-03", "1", "1"]]
    assert client.get("/bureau/figures/no_such_figure.csv").status_code == 404
    assert client.get("/bureau/figures/no_such_figure.xlsx").status_code == 404


def test_every_figure_downloads(client, login_as, world):
    login_as("admin")
    for name in figures.names():
        for fmt in ("csv", "xlsx"):
            assert client.get(f"/bureau/figures/{name}.{fmt}?{YEAR}").status_code == 200, name


# --- targets ------------------------------------------------------------------------------------
def test_the_admin_sets_a_target_over_the_default(client, login_as, db):
    login_as("admin")
    page = client.get("/bureau/targets")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "科技成果转化" in html and 'placeholder="350"' in html
    response = client.post("/bureau/targets", data={"results_converted-2026": "400"})
    assert response.status_code == 302
    assert targets.targets_for("results_converted")[2026] == 400
    assert targets.targets_for("results_converted")[2025] == 350  # the default, untouched
    follow = client.get("/bureau/targets").get_data(as_text=True)
    assert "已保存 1 项年度目标" in follow and 'value="400' in follow
    # emptied: the default applies again (2026 has none)
    client.post("/bureau/targets", data={"results_converted-2026": ""})
    assert 2026 not in targets.targets_for("results_converted")


def test_a_negative_target_is_refused_and_nothing_is_stored(client, login_as, db):
    login_as("admin")
    response = client.post(
        "/bureau/targets",
        data={"results_converted-2027": "500", "high_tech_firms-2025": "-1"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "目标值不能为负数" in html and 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CityTarget)) == 0
    bad = client.post("/bureau/targets", data={"credit_granted-2025": "一百亿"})
    assert bad.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CityTarget)) == 0


def test_the_bureau_reads_targets_but_cannot_set_them(client, login_as, db):
    login_as("bureau")
    assert client.get("/bureau/targets").status_code == 403
    assert client.post("/bureau/targets", data={"results_converted-2026": "1"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CityTarget)) == 0
    html = client.get("/bureau/").get_data(as_text=True)
    assert "目标完成情况" in html and "/bureau/targets" not in html


# --- the 科技局 account --------------------------------------------------------------------------
def test_the_bureau_start_page_leads_to_the_dashboard(client, login_as, db):
    login_as("bureau")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="start-dashboard"' in html and 'href="/bureau/"' in html
    assert "数据看板" in html  # the navbar's entry too


def test_the_admin_finds_the_dashboard_from_its_start_page(client, login_as, db):
    login_as("admin")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="bureau-dashboard-link"' in html


def test_the_bureau_is_refused_every_admin_page():
    admin_pages = [e for e in EXPECTED if e.startswith(("admin.", "review.", "bureau.targets"))]
    assert len(admin_pages) > 10
    assert all(EXPECTED[e]["bureau"] == 403 for e in admin_pages)


@pytest.mark.parametrize(
    "path",
    ["/admin/users/1/deactivate", "/admin/users/bureau", "/admin/organisations/1/verify"],
)
def test_the_bureau_cannot_post_to_admin_pages(client, login_as, db, path):
    login_as("bureau")
    assert client.post(path, data={"email": "x@example.com"}).status_code == 403


def test_the_admin_creates_a_bureau_account_and_its_owner_gets_a_link(client, login_as, db, outbox):
    login_as("admin")
    response = client.post(
        "/admin/users/bureau", data={"email": "Reader@Example.com", "name": "科技局李处长"}
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "reader@example.com"))
    assert user is not None and user.role == Role.BUREAU and user.organisation_id is None
    assert len(outbox) == 1 and outbox[0].recipients == ["reader@example.com"]
    token = re.search(r"/auth/reset/(\S+)", outbox[0].body).group(1)
    assert user_for_reset_token(token).id == user.id
    again = client.post("/admin/users/bureau", data={"email": "reader@example.com"})
    assert again.status_code == 400 and "这个邮箱已经注册过了" in again.get_data(as_text=True)
    empty = client.post("/admin/users/bureau", data={"email": "not an address"})
    assert empty.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_create_bureau_on_the_command_line_prints_a_set_password_link(runner):
    result = runner.invoke(
        args=["users", "create-bureau", "Officer@Example.com", "--name", "王科长"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "officer@example.com"))
    assert user is not None and user.role == Role.BUREAU and user.name == "王科长"
    token = re.search(r"/auth/reset/(\S+)", result.output).group(1)
    assert user_for_reset_token(token).id == user.id
    twice = runner.invoke(args=["users", "create-bureau", "officer@example.com"])
    assert twice.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_drill_keys_that_are_filter_or_route_names_survive_the_round_trip(app):
    from matchmaker.web.bureau.views import drill_query, read_drill

    params = {"field": "7", "name": "x", "d_kind": "y", "month": "2025-03", "_hidden": "z"}
    query = {"start": "2025-01-01", "field": "3", **drill_query(params)}
    assert query["field"] == "3"  # the filter is not overwritten by the cell's own field
    with app.test_request_context("/bureau/figures/f/records", query_string=query):
        assert read_drill() == params


def test_the_dashboard_in_english(client, login_as, world):
    login_as("admin")
    client.post("/language", data={"locale": "en", "next": "/"})
    response = client.get(f"/bureau/?{YEAR}")
    assert response.status_code == 200
    assert "万元" not in response.get_data(as_text=True).split('id="figures-heading"')[1]


def test_records_only_their_parties_open_are_named_without_a_link(
    client, login_as, world, monkeypatch
):
    """A deal's, an application's, a 对接 request's or a lead's page answers 404 to the
    dashboard's readers: the drill-down names them without a link; listings keep theirs."""
    login_as("bureau")
    shown = [
        figures.Record(
            kind="result", id=world["a"].id, title="某成果", path=f"/results/{world['a'].id}"
        ),
        figures.Record(kind="deal", id=7, title="某合同", path="/my/deals/7"),
        figures.Record(kind="enquiry", id=8, title="某对接", path="/connect/8"),
        figures.Record(kind="lead", id=9, title="某线索", path="/finance/leads/9"),
    ]
    monkeypatch.setattr(figures, "records", lambda name, filters, drill: shown)
    page = client.get(f"/bureau/figures/listings_by_month/records?{YEAR}").get_data(as_text=True)
    assert f'href="/results/{world["a"].id}"' in page
    for private in ("/my/deals/7", "/connect/8", "/finance/leads/9"):
        assert f'href="{private}"' not in page
    for title in ("某合同", "某对接", "某线索"):
        assert title in page
    assert client.get(f"/results/{world['a'].id}").status_code == 200  # the link does open
