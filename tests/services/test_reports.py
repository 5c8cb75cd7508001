"""The monthly report: its areas, its figures' totals and the workbook openpyxl reads back."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.services.bureau import figures, reports
from matchmaker.services.bureau.figures import Column, Filters, Table
from matchmaker.services.errors import ValidationFailed
from tests.factories import make_user, publish_need, publish_result

MONTH = "2026-10"
NEED_TEXT = "寻求碳纤维原丝的降本方案，希望高校团队合作开发新工艺并量产。"
SHEETS = ["概览", "成果与需求", "对接漏斗", "合同与转化", "科技金融", "活动", "人才与经纪人"]


def _backdate(listing, when: datetime) -> None:
    listing.created_at = when
    db.session.commit()


@pytest.fixture
def october(db, fields):
    """Three results and two needs posted in October 2026 (China time), one result in November
    and one on the last evening of September (UTC 16:30 is already 1 October in China)."""
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    db.session.commit()
    days = [datetime(2026, 10, d, 3, tzinfo=UTC) for d in (2, 15, 31)]
    for number, day in enumerate(days):
        result = publish_result(uni, admin, fields, f"十月成果{number}", "碳纤维复合材料的工艺。")
        _backdate(result, day)
    for number, day in enumerate(days[:2]):
        need = publish_need(
            firm,
            admin,
            fields,
            f"十月需求{number}",
            "寻求碳纤维原丝的降本方案，希望高校团队合作开发新工艺并量产。",
        )
        _backdate(need, day)
    later = publish_result(uni, admin, fields, "十一月成果", "碳纤维复合材料的工艺。")
    _backdate(later, datetime(2026, 11, 1, 1, tzinfo=UTC))
    border = publish_result(uni, admin, fields, "九月末成果", "碳纤维复合材料的工艺。")
    _backdate(border, datetime(2026, 9, 30, 16, 30, tzinfo=UTC))  # 2026-10-01 00:30 in China
    return {"results": 4, "needs": 2}


def test_parse_month_refuses_bad_input(app):
    with app.test_request_context():
        for bad in ("2026-13", "abc", "2026-1", "", "2026-00", "1999-12", "2999-01"):
            with pytest.raises(ValidationFailed) as caught:
                reports.parse_month(bad, today=date(2026, 12, 6))
            assert caught.value.errors["month"]
        assert reports.parse_month(" 2026-11 ", today=date(2026, 12, 6)) == date(2026, 11, 1)


def test_month_filters_and_default_month():
    assert reports.month_filters(date(2026, 2, 1)) == Filters(date(2026, 2, 1), date(2026, 2, 28))
    assert reports.month_filters(date(2024, 12, 1)).end == date(2024, 12, 31)
    assert reports.last_month(date(2026, 1, 6)) == "2025-12"
    assert reports.last_month(date(2026, 12, 6)) == "2026-11"


def test_figures_are_placed_in_areas_and_unknown_ones_under_other():
    assert reports.area_of("listings_by_month") == "listings"
    assert reports.area_of("funnel_by_month") == "funnel"
    assert reports.area_of("contract_turnover") == "deals"
    assert reports.area_of("credit_granted") == "finance"
    assert reports.area_of("events_held") == "events"
    assert reports.area_of("targets") == "overview"
    assert reports.area_of("no_such_figure_yet") == "other"


def test_report_has_the_areas_and_the_months_totals(app, october):
    with app.test_request_context():
        report = reports.monthly_report(MONTH)
        assert report.filters == Filters(date(2026, 10, 1), date(2026, 10, 31))
        assert [area.title for area in report.areas][: len(SHEETS)] == SHEETS
        listings = report.area("listings")
        block = next(b for b in listings.blocks if b.table.name == "listings_by_month")
        assert block.totals == {"result": october["results"], "need": october["needs"]}
        # every registered figure is in the report exactly once
        placed = [b.table.name for area in report.areas for b in area.blocks]
        assert sorted(n for n in placed if n != "headline") == sorted(figures.names())
        assert "长春市科技成果转化月度报告" in report.title


def test_workbook_opens_with_one_sheet_per_area_and_totals(app, october):
    with app.test_request_context():
        report = reports.monthly_report(MONTH)
        content = reports.write_xlsx(report)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames[: len(SHEETS)] == SHEETS
    assert all(len(name) <= 31 for name in workbook.sheetnames)
    sheet = workbook["成果与需求"]
    assert "长春市科技成果转化月度报告" in sheet["A1"].value
    assert sheet.freeze_panes == "A4"
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    title = rows.index(next(r for r in rows if r[0] == "每月发布的成果与需求"))
    assert rows[title + 1][:3] == ("月份", "成果", "需求")
    assert rows[title + 2][:3] == ("2026-10", october["results"], october["needs"])
    assert rows[title + 3][:3] == ("合计", october["results"], october["needs"])
    total_cell = sheet.cell(title + 4, 2)
    assert total_cell.number_format == "#,##0" and total_cell.font.bold
    assert sheet.column_dimensions["A"].width >= 10
    # the overview's headline repeats the month's totals
    overview = [tuple(r) for r in workbook["概览"].iter_rows(values_only=True)]
    assert ("成果与需求", "每月发布的成果与需求", "成果", october["results"]) in [
        r[:4] for r in overview
    ]


def test_an_unmapped_figure_lands_under_other(app, db, monkeypatch):
    def extra(filters: Filters) -> Table:
        rows = [{"label": "甲", "amount": Decimal("12.50")}, {"label": "乙", "amount": 3}]
        return Table(
            name="brand_new_measure",
            title="新的统计",
            columns=[Column("label", "名称", "text"), Column("amount", "金额", "money")],
            rows=rows,
        )

    figures.names()  # load the registered figures first
    monkeypatch.setitem(figures._FIGURES, "brand_new_measure", extra)
    with app.test_request_context():
        report = reports.monthly_report(MONTH)
        content = reports.write_xlsx(report)
    assert report.areas[-1].key == "other"
    assert report.areas[-1].blocks[0].totals == {"amount": Decimal("15.50")}
    sheet = load_workbook(io.BytesIO(content))["其他"]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert ("合计", 15.5) in rows
    assert figures.display(Decimal("15.50"), "money") == "15.5 万元"


def test_sheet_names_are_valid_and_unique():
    used: set[str] = set()
    assert reports.sheet_name("合同/转化: [测试]?", used) == "合同 转化 测试"
    long = "很长" * 40
    first = reports.sheet_name(long, used)
    second = reports.sheet_name(long, used)
    assert len(first) == 31 and len(second) == 31 and first != second
