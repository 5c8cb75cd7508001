"""The bureau's dashboard: every figure as a chart over its accessible table, the filters,
the drill-down to the records behind a cell, and the downloads (.xlsx, .csv).

Figures come from one registry (services/bureau/figures.py); nothing here knows a figure by
name, so a figure registered there appears here, in the workbook and in the drill-down.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import abort, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from matchmaker.models.base import CHINA
from matchmaker.permissions import Permission
from matchmaker.services.bureau import figures
from matchmaker.services.bureau.figures import Filters, Record, Table, display, number
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform import taxonomy
from matchmaker.services.platform.regions import region_choices
from matchmaker.web.admin.audit_display import STATUS_BY_TYPE
from matchmaker.web.bureau.blueprint import bp
from matchmaker.web.bureau.forms import FILTER_KEYS, FilterForm
from matchmaker.web.bureau.spreadsheets import csv_bytes, table_rows, workbook
from matchmaker.web.forms import apply_errors
from matchmaker.web.i18n import select_locale
from matchmaker.web.policy import permission_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}
NUMERIC = ("int", "money", "percent", "days", "hours")
#: Dates the figures are computed for (the targets table's years).
FIRST_YEAR, LAST_YEAR = 2000, 2100

CHART_LABELS: dict[str, Any] = {
    "bar": _l("柱状图"),
    "stacked_bar": _l("堆叠柱状图"),
    "line": _l("折线图"),
    "funnel": _l("漏斗图"),
    "target": _l("目标对比图"),
}
RECORD_KIND_LABELS: dict[str, Any] = {
    "result": _l("成果"),
    "need": _l("需求"),
    "challenge": _l("榜单"),
    "scenario": _l("场景"),
    "application": _l("揭榜申请"),
    "offer": _l("转化榜"),
    "adoption": _l("采用申请"),
    "deal": _l("技术合同"),
    "milestone": _l("里程碑"),
    "enquiry": _l("对接"),
    "event": _l("活动"),
    "registration": _l("活动报名"),
    "lead": _l("对接线索"),
    "financing_need": _l("融资需求"),
    "product": _l("贷款产品"),
    "organisation": _l("机构"),
    "expert": _l("专家"),
    "broker": _l("技术经纪人"),
    "introduction": _l("引荐"),
}


# --- the filters ------------------------------------------------------------------------------
def china_today() -> date:
    """Today in China."""
    return datetime.now(CHINA).date()


def default_filters() -> Filters:
    """This year so far."""
    today = china_today()
    return Filters(start=date(today.year, 1, 1), end=today)


def read_filters() -> tuple[Filters, FilterForm, str]:
    """The filters of the query string, its form, and what was wrong with it ("" if nothing):
    bad input falls back to the default filters with a message, never an error page."""
    form = FilterForm(formdata=request.args or None)
    form.set_choices(fields=taxonomy.field_choices(select_locale()), regions=region_choices())
    default = default_filters()
    if not any(request.args.get(key) for key in FILTER_KEYS):
        form.start.data, form.end.data = default.start, default.end
        return default, form, ""
    try:
        chosen = figures.parse_filters(request.args, today=china_today())
    except ValidationFailed as error:
        apply_errors(form, error)
        return default, form, _("筛选条件有误，已按默认条件（今年以来）显示。")
    if not form.validate():  # a field no longer offered, a region or kind not in the lists
        return default, form, _("筛选条件有误，已按默认条件（今年以来）显示。")
    if not (chosen.start.year >= FIRST_YEAR and chosen.end.year <= LAST_YEAR):
        form.start.errors = [
            _("日期须在 %(first)d 年至 %(last)d 年之间。", first=FIRST_YEAR, last=LAST_YEAR)
        ]
        return default, form, _("筛选条件有误，已按默认条件（今年以来）显示。")
    form.start.data, form.end.data = chosen.start, chosen.end
    return chosen, form, ""


#: Query parameters a drill-down key must not take: the filters', and url_for's own.
RESERVED = (*FILTER_KEYS, "name", "fmt")


def drill_query(params: dict[str, str]) -> dict[str, Any]:
    """A cell's drill-down parameters as query parameters beside the filters (a key that is a
    filter's or the route's name, or starts with _ or d_, is sent as d_<key>)."""
    return {
        (f"d_{key}" if key in RESERVED or key.startswith(("_", "d_")) else key): value
        for key, value in params.items()
    }


def read_drill() -> dict[str, str]:
    """The drill-down parameters of the query string (everything but the filters)."""
    drill: dict[str, str] = {}
    for key, value in request.args.items():
        if key in FILTER_KEYS:
            continue
        drill[key.removeprefix("d_")[:64]] = value[:200]
    return drill


@dataclass
class Cell:
    """One cell of a figure's table on the page."""

    text: str
    value: int | float | None = None
    href: str = ""
    numeric: bool = False


@dataclass
class FigureView:
    """A figure with its cells, its chart's data and its downloads."""

    table: Table
    rows: list[list[Cell]] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    downloads: dict[str, str] = field(default_factory=dict)


@dataclass
class Headline:
    """A targets figure's first row of one metric (this year's target, or the next one)."""

    name: str
    year: str
    done: str
    target: str
    share: float | None
    href: str = ""


def headlines(view: FigureView) -> list[Headline]:
    """The first row of each metric of a targets figure (done: its first series, the target:
    its second), in the figure's order."""
    table = view.table
    if len(table.series) < 2:
        return []
    done_key, target_key = table.series[0], table.series[1]
    keys = [c.key for c in table.columns]
    seen: set[str] = set()
    out = []
    for index, row in enumerate(table.rows):
        name = str(row.get(table.x, ""))
        if name in seen:
            continue
        seen.add(name)
        done, target = number(row.get(done_key)), number(row.get(target_key))
        cells = {key: view.rows[index][keys.index(key)] for key in (done_key, target_key)}
        out.append(
            Headline(
                name=name,
                year=str(row.get("year", "")),
                done=cells[done_key].text,
                target=cells[target_key].text,
                share=(done or 0) / target if target else None,
                href=cells[done_key].href,
            )
        )
    return out


def chart_data(table: Table) -> dict[str, Any]:
    """What static/js/bureau-charts.js draws: the categories and, per series, its numbers and
    their text as the table shows them (with its stack, and whether it is a line on a second
    axis). A targets chart names each bar by its metric and year."""
    columns = {c.key: c for c in table.columns}
    stacked = table.chart == "stacked_bar"
    by_year = table.chart == "target" and "year" in columns and table.x != "year"
    categories = [
        f"{row.get(table.x, '')} {row.get('year', '')}" if by_year else str(row.get(table.x, ""))
        for row in table.rows
    ]
    return {
        "kind": table.chart,
        "title": table.title,
        "categories": categories,
        "series": [
            {
                "key": key,
                "name": columns[key].label,
                "unit": columns[key].kind,
                "stack": (columns[key].stack or "total") if stacked else columns[key].stack,
                "line": key in table.line,
                "data": [number(row.get(key)) for row in table.rows],
                "text": [
                    display(row.get(key), table.kind_of(i, key)) for i, row in enumerate(table.rows)
                ],
            }
            for key in table.series
            if key in columns
        ],
    }


def chart_label(table: Table) -> str:
    """The chart's accessible name: what it draws and where its numbers are."""
    kind = CHART_LABELS.get(table.chart, CHART_LABELS["bar"])
    names = "、".join(c.label for c in table.columns if c.key in table.series)
    return _(
        "%(kind)s：%(title)s（%(series)s），共 %(count)d 项，详细数字见下方表格。",
        kind=kind,
        title=table.title,
        series=names,
        count=len(table.rows),
    )


def figure_view(table: Table, filters: Filters) -> FigureView:
    """Everything the page shows of one figure."""
    params: dict[str, Any] = filters.as_params()
    view = FigureView(table=table)
    for index, row in enumerate(table.rows):
        drill = table.drill[index] if index < len(table.drill) else {}
        cells = []
        for column in table.columns:
            value = row.get(column.key)
            kind = table.kind_of(index, column.key)
            cell = Cell(text=display(value, kind), numeric=kind in NUMERIC)
            if cell.numeric:
                cell.value = number(value)
            if column.key in drill:
                query = {**params, **drill_query(drill[column.key])}
                cell.href = url_for("bureau.records", name=table.name, **query)
            cells.append(cell)
        view.rows.append(cells)
    if table.chart != "none":
        view.chart = chart_data(table)
        view.label = chart_label(table)
    view.downloads = {
        fmt: url_for("bureau.figure_download", name=table.name, fmt=fmt, **params)
        for fmt in ("xlsx", "csv")
    }
    return view


@bp.get("/")
@permission_required(Permission.STATS_VIEW)
def dashboard() -> str:
    """Figures against the city's targets: the targets first, then every other figure."""
    filters, form, problem = read_filters()
    # a targets figure lists this year's target first (services/bureau/figures_targets.py)
    views = [figure_view(table, filters) for table in figures.dashboard(filters)]
    return render_template(
        "bureau/dashboard.html",
        form=form,
        problem=problem,
        filters=filters,
        params=filters.as_params(),
        targets=[(v, headlines(v)) for v in views if v.table.chart == "target"],
        others=[v for v in views if v.table.chart != "target"],
        report_url=_report_url(),
    )


def _report_url() -> str:
    """The monthly report's page, once the reports work has added it."""
    for endpoint in ("bureau.report", "bureau.monthly_report", "bureau.report_page"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return ""


# --- the drill-down ---------------------------------------------------------------------------
def _cell_of(table: Table, drill: dict[str, str]) -> tuple[str, str, Any] | None:
    """(row label, column label, shown value) of the cell these drill parameters belong to."""
    columns = {c.key: c for c in table.columns}
    for index, cells in enumerate(table.drill):
        for key, params in cells.items():
            if params == drill and key in columns and index < len(table.rows):
                row = table.rows[index]
                x_text = display(row.get(table.x), table.kind_of(index, table.x)) if table.x else ""
                value = display(row.get(key), table.kind_of(index, key))
                return x_text, columns[key].label, value
    return None


def counted(found: list[Record]) -> int:
    """What the cell counts: each record once, or as often as it counted (a listing's views)."""
    return sum(1 if record.count is None else record.count for record in found)


def record_state(record: Record) -> str:
    """A record's state in words."""
    labels = STATUS_BY_TYPE.get(record.kind, {})
    return str(labels.get(record.state, record.state)) if record.state else ""


def _params(filters: Filters) -> dict[str, Any]:
    return dict(filters.as_params())


def _same_query(path: str) -> str:
    """A path with this request's query string."""
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query else path


@bp.get("/figures/<name>/records")
@permission_required(Permission.STATS_VIEW)
def records(name: str) -> str:
    """The records behind one cell of a figure: their count is the cell's number."""
    filters, form, problem = read_filters()
    drill = read_drill()
    table = figures.compute(name, filters)  # NotFound (404) for an unknown figure
    found = figures.records(name, filters, drill)
    return render_template(
        "bureau/records.html",
        table=table,
        records=found,
        total=counted(found),
        with_counts=any(record.count is not None for record in found),
        cell=_cell_of(table, drill),
        drill=drill,
        filters=filters,
        problem=problem,
        kind_labels=RECORD_KIND_LABELS,
        record_state=record_state,
        csv_url=_same_query(url_for("bureau.records_csv", name=name)),
        back_url=url_for("bureau.dashboard", **_params(filters)) + f"#figure-{name}",
    )


@bp.get("/figures/<name>/records.csv")
@permission_required(Permission.STATS_VIEW)
def records_csv(name: str) -> Response:
    """The drill-down's list as CSV (UTF-8 with a BOM, for Excel)."""
    filters, _form, _problem = read_filters()
    table = figures.compute(name, filters)
    found = figures.records(name, filters, read_drill())
    header = [
        _("类型"),
        _("编号"),
        _("标题"),
        _("机构"),
        _("日期"),
        _("状态"),
        _("金额（万元）"),
        _("次数"),
        _("链接"),
    ]
    rows: list[list[Any]] = [header]
    base = request.host_url.rstrip("/")
    for record in found:
        rows.append(
            [
                str(RECORD_KIND_LABELS.get(record.kind, record.kind)),
                record.id,
                record.title,
                record.organisation,
                record.day.isoformat() if record.day else "",
                record_state(record),
                number(record.amount_wan) if record.amount_wan is not None else "",
                1 if record.count is None else record.count,
                base + record.path,
            ]
        )
    return _send(
        csv_bytes(rows), fmt="csv", name=_("%(title)s-明细", title=table.title), filters=filters
    )


# --- downloads --------------------------------------------------------------------------------
def _file_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "-", text).strip("-")[:80] or "figures"


def _send(content: bytes, *, fmt: str, name: str, filters: Filters) -> Response:
    """A download: an attachment never cached (the figures are the bureau's working data)."""
    response = send_file(
        io.BytesIO(content),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=f"{_file_name(name)}-{filters.start}-{filters.end}.{fmt}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/figures/<name>.<any(csv, xlsx):fmt>")
@permission_required(Permission.STATS_VIEW)
def figure_download(name: str, fmt: str) -> Response:
    """One figure with the current filters, as .csv or .xlsx."""
    filters, _form, _problem = read_filters()
    table = figures.compute(name, filters)  # NotFound (404) for an unknown figure
    if fmt == "xlsx":
        return _send(workbook([table], filters), fmt=fmt, name=table.title, filters=filters)
    return _send(csv_bytes(table_rows(table)), fmt=fmt, name=table.title, filters=filters)


@bp.get("/figures.xlsx")
@permission_required(Permission.STATS_VIEW)
def figures_workbook() -> Response:
    """Every figure with the current filters, one sheet each."""
    filters, _form, _problem = read_filters()
    tables = figures.dashboard(filters)
    if not tables:
        abort(404)
    return _send(workbook(tables, filters), fmt="xlsx", name=_("科技局数据看板"), filters=filters)
