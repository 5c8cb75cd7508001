"""The monthly report (月度报告): every figure of the bureau's dashboard for one month, grouped
into areas, as an .xlsx workbook (one sheet per area) and as the printable page the web and the
CLI turn into a PDF.

The report is built on the figures contract (`figures.py`): every registered figure is computed
for the month's China days and placed in its area by `AREA_OF` (or by its name's prefix); a
figure no rule knows goes under 其他, so a new figure is never dropped.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.bureau import figures
from matchmaker.services.bureau.figures import Column, Filters, Table
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.market.excel.columns import neutralise

#: The areas, in the report's order: key → title (one sheet and one page section each).
AREAS: dict[str, Any] = {
    "overview": _l("概览"),
    "listings": _l("成果与需求"),
    "funnel": _l("对接漏斗"),
    "deals": _l("合同与转化"),
    "finance": _l("科技金融"),
    "events": _l("活动"),
    "activity": _l("人才与经纪人"),
    "other": _l("其他"),
}

#: Figure name → area. A figure not listed falls back on `PREFIXES`, then on 其他.
AREA_OF: dict[str, str] = {
    "targets": "overview",
    "headline": "overview",
    "listings_by_month": "listings",
    "listings_by_state": "listings",
    "listings_by_field": "listings",
    "supply_demand": "listings",
    "review_times": "listings",
    "funnel": "funnel",
    "funnel_by_month": "funnel",
    "funnel_by_field": "funnel",
    "response_times": "funnel",
    "enquiries": "funnel",
    "contract_turnover": "deals",
    "deals_by_month": "deals",
    "results_converted": "deals",
    "conversions": "deals",
    "credit_granted": "finance",
    "credit": "finance",
    "leads": "finance",
    "finance_leads": "finance",
    "bank_enterprise_events": "finance",
    "events": "events",
    "events_held": "events",
    "events_by_kind": "events",
    "event_outcomes": "events",
    "talent_events": "events",
    "activity": "activity",
    "broker_activity": "activity",
    "expert_activity": "activity",
}

#: Name prefixes for figures registered after this map was written.
PREFIXES: tuple[tuple[str, str], ...] = (
    ("target", "overview"),
    ("listing", "listings"),
    ("supply", "listings"),
    ("review", "listings"),
    ("funnel", "funnel"),
    ("enquir", "funnel"),
    ("response", "funnel"),
    ("contract", "deals"),
    ("deal", "deals"),
    ("conversion", "deals"),
    ("credit", "finance"),
    ("lead", "finance"),
    ("loan", "finance"),
    ("finance", "finance"),
    ("bank", "finance"),
    ("event", "events"),
    ("talent_event", "events"),
    ("activity", "activity"),
    ("broker", "activity"),
    ("expert", "activity"),
    ("talent", "activity"),
)

#: Charts whose rows are parts of one whole or of different units: a sum would mean nothing.
NO_TOTALS_CHARTS = frozenset({"funnel", "target"})

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
EARLIEST_YEAR = 2000


def area_of(name: str) -> str:
    """The area a figure belongs in: the map, else its name's prefix, else 其他."""
    if name in AREA_OF:
        return AREA_OF[name]
    for prefix, area in PREFIXES:
        if name.startswith(prefix):
            return area
    return "other"


@dataclass
class Block:
    """One figure in the report: its table and its totals row (None: no totals row)."""

    table: Table
    totals: dict[str, Any] | None


@dataclass
class Area:
    """One sheet of the workbook, one section of the printed report."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    """The month's report: its period (China days, inclusive), title and areas in order."""

    month: str  # YYYY-MM
    filters: Filters
    title: str
    period: str
    generated_at: datetime
    areas: list[Area]

    def area(self, key: str) -> Area:
        return next(area for area in self.areas if area.key == key)


def parse_month(text: str | None, *, today: date | None = None) -> date:
    """'2026-11' → the month's first day; ValidationFailed (field `month`) for anything else,
    a month before 2000 or one that has not begun yet."""
    match = MONTH_PATTERN.match((text or "").strip())
    if match is None:
        raise ValidationFailed({"month": _("月份格式应为 YYYY-MM，例如 2026-11。")})
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValidationFailed({"month": _("月份应在 01 到 12 之间。")})
    today = today or china_today()
    first = date(year, month, 1)
    if year < EARLIEST_YEAR or first > today:
        raise ValidationFailed(
            {"month": _("请选择 %(earliest)s 年 1 月到本月之间的月份。", earliest=EARLIEST_YEAR)}
        )
    return first


def china_today() -> date:
    return utcnow().astimezone(CHINA).date()


def last_month(today: date | None = None) -> str:
    """The month before today's (China time), as YYYY-MM: the report's default."""
    first = (today or china_today()).replace(day=1)
    previous = first - timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"


def month_filters(first: date) -> Filters:
    """The month's first to last China day, unfiltered otherwise."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Filters(start=first, end=following - timedelta(days=1))


def monthly_report(month: str) -> Report:
    """Every registered figure for the month, grouped into areas (ValidationFailed: bad month)."""
    first = parse_month(month)
    filters = month_filters(first)
    areas = {key: Area(key=key, title=str(title)) for key, title in AREAS.items()}
    for table in figures.dashboard(filters):
        areas[area_of(table.name)].blocks.append(Block(table=table, totals=_totals(table)))
    overview = areas["overview"]
    overview.blocks.insert(0, Block(table=headline(list(areas.values())), totals=None))
    label = _("%(year)d年%(month)d月", year=first.year, month=first.month)
    return Report(
        month=f"{first.year:04d}-{first.month:02d}",
        filters=filters,
        title=_("长春市科技成果转化月度报告"),
        period=_(
            "%(month)s（%(start)s 至 %(end)s）",
            month=label,
            start=filters.start.isoformat(),
            end=filters.end.isoformat(),
        ),
        generated_at=utcnow(),
        areas=[area for area in areas.values() if area.key != "other" or area.blocks],
    )


def _totals(table: Table) -> dict[str, Any] | None:
    if table.chart in NO_TOTALS_CHARTS or not table.rows:
        return None
    totals = table.totals()
    return totals or None


def headline(areas: list[Area]) -> Table:
    """The month at a glance: every figure's totals, one row per figure and measure."""
    rows: list[dict[str, Any]] = []
    for area in areas:
        for block in area.blocks:
            if not block.totals:
                continue
            for column in block.table.columns:
                if column.key in block.totals:
                    rows.append(
                        {
                            "area": area.title,
                            "figure": block.table.title,
                            "measure": column.label,
                            "value": block.totals[column.key],
                            "kind": column.kind,
                        }
                    )
    return Table(
        name="headline",
        title=_("本月主要数字"),
        columns=[
            Column("area", _("板块"), "text"),
            Column("figure", _("指标"), "text"),
            Column("measure", _("统计项"), "text"),
            Column("value", _("本月合计"), "int"),
        ],
        rows=rows,
        chart="none",
        note=_("各板块图表的本月合计；与年度目标的对比见下表。"),
    )


# --- the workbook ---------------------------------------------------------------------------

INVALID_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_LIMIT = 31
NUMBER_FORMATS = {
    "int": "#,##0",
    "money": "#,##0.00",
    "days": "0.0",
    "percent": "0.0%",  # figures give rates as fractions
}
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
TOTALS_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="999999")
RULE = Border(top=THIN, bottom=THIN)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_name(title: str, used: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\, not blank, at most 31 characters."""
    base = " ".join(INVALID_SHEET_CHARACTERS.sub(" ", title).split()).strip("'") or "Sheet"
    base = base[:SHEET_NAME_LIMIT]
    name, number = base, 2
    while name.lower() in {u.lower() for u in used}:
        suffix = f" {number}"
        name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        number += 1
    used.add(name)
    return name


def write_xlsx(report: Report) -> bytes:
    """The report as an .xlsx: one sheet per area, each figure a block with its header row,
    its rows and a totals row."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for area in report.areas:
        sheet = workbook.create_sheet(sheet_name(area.title, used))
        _write_area(sheet, report, area)
    workbook.properties.title = f"{report.title} {report.month}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_area(sheet: Worksheet, report: Report, area: Area) -> None:
    sheet.append([f"{report.title} · {area.title}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("统计期间：%(period)s", period=report.period)])
    generated = report.generated_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    sheet.append([_("生成时间：%(time)s（北京时间）", time=generated)])
    sheet.freeze_panes = "A4"  # the title rows stay in view
    widths: dict[int, float] = {}
    if not area.blocks:
        sheet.append([])
        sheet.append([_("本月此板块暂无统计。")])
    for block in area.blocks:
        sheet.append([])
        _write_block(sheet, block, widths)
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)


def _write_block(sheet: Worksheet, block: Block, widths: dict[int, float]) -> None:
    table = block.table
    sheet.append([table.title])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
    sheet.append([column.label for column in table.columns])
    header = sheet.max_row
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(header, index)
        cell.font, cell.fill, cell.border = BOLD, HEADER_FILL, RULE
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        _widen(widths, index, column.label)
    for row in table.rows:
        sheet.append([_cell_value(row.get(column.key), column) for column in table.columns])
        for index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(sheet.max_row, index)
            _format(cell, row.get(column.key), column)
            _widen(widths, index, cell.value)
    if not table.rows:
        sheet.append([_("本月无数据。")])
    if block.totals is not None:
        _write_totals(sheet, block.totals, table, widths)
    if table.note:
        sheet.append([table.note])
        sheet.cell(sheet.max_row, 1).font = Font(italic=True, color="666666")


def _write_totals(
    sheet: Worksheet, totals: dict[str, Any], table: Table, widths: dict[int, float]
) -> None:
    values = [totals.get(column.key) for column in table.columns]
    label_at = next((i for i, c in enumerate(table.columns) if c.key not in totals), None)
    if label_at is not None:
        values[label_at] = _("合计")
    sheet.append(values)
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(sheet.max_row, index)
        cell.font, cell.fill, cell.border = BOLD, TOTALS_FILL, RULE
        if column.key in totals:
            _format(cell, totals[column.key], column)
            _widen(widths, index, cell.value)


def _cell_value(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) and column.kind not in ("text", "month"):
        return value
    # A text cell may hold a name someone typed (a broker's): never a formula (ASVS 1.2.10).
    return neutralise(str(value))


def _format(cell: Any, value: Any, column: Column) -> None:
    if not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):
        return
    kind = column.kind
    if kind in NUMBER_FORMATS:
        decimal = isinstance(value, (float, Decimal)) and value != int(value)
        cell.number_format = "#,##0.00" if kind == "int" and decimal else NUMBER_FORMATS[kind]
    cell.alignment = Alignment(horizontal="right")


def _width(value: Any) -> float:
    """A cell's display width: CJK characters take two columns."""
    text = "" if value is None else str(value)
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _widen(widths: dict[int, float], index: int, value: Any) -> None:
    widths[index] = max(widths.get(index, 0), _width(value))


# --- the printed report ---------------------------------------------------------------------
