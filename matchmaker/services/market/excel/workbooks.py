"""The workbooks we write for people to fill in or fix: templates and annotated error reports."""

from __future__ import annotations

import io
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from matchmaker.services.market.excel.checking import ImportReport
from matchmaker.services.market.excel.columns import COLUMNS, Column, current_locale, neutralise
from matchmaker.services.platform import taxonomy
from matchmaker.services.platform.regions import REGIONS


def header(column: Column, *, mark_required: bool) -> str:
    """A column's header text (required columns end in `*` when marked)."""
    return str(column.label) + ("*" if mark_required and column.required else "")


def workbook_bytes(workbook: Any) -> bytes:
    """An openpyxl workbook saved to bytes."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(kind: str) -> str:
    return {"result": _("成果"), "need": _("需求"), "expert": _("专家")}[kind]


def build_template(kind: str, *, organisation_id: int | None = None) -> bytes:
    """An empty workbook for one listing type or expert profiles, with dropdowns on every coded
    column (an expert template also lists the organisation's results, to link by title or id)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = COLUMNS[kind]
    locale = current_locale()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(kind)
    options = workbook.create_sheet("lists")
    options.sheet_state = "hidden"
    field_labels = [f.label(locale) for f in taxonomy.active_fields()]
    region_labels = [str(label) for label in REGIONS.values()]
    for row, label in enumerate(field_labels, start=1):
        options.cell(row=row, column=1, value=neutralise(label))
    for row, label in enumerate(region_labels, start=1):
        options.cell(row=row, column=2, value=neutralise(label))
    last = current_app.config["IMPORT_MAX_ROWS"] + 1
    yes_no = f'"{_("是")},{_("否")}"'
    lists = {
        "field": f"lists!$A$1:$A${max(len(field_labels), 1)}",
        "region": f"lists!$B$1:$B${len(region_labels)}",
        "trl": '"1,2,3,4,5,6,7,8,9"',
        "flag": yes_no,
    }
    hints = {
        "field": _("从下拉列表中选择。"),
        "region": _("从下拉列表中选择。"),
        "trl": _("1–3 实验室，4–5 小试，6–7 中试，8–9 产业化。"),
        "flag": _("提供这种交易方式填“是”。"),
        "amount": _("单位：万元；留空或填“面议”表示面议。"),
        "date": _("格式：2026-12-31。"),
        "results": _("填写本机构成果的完整标题或编号（见“本机构成果”工作表），多项用逗号分隔。"),
        "list": _("多项用逗号分隔。"),
    }
    if kind == "expert":
        hints["flag"] = _("提供这项服务填“是”。")
    key_hints = {
        "contact_public": _(
            "填“是”：登录用户都能看到联系方式；填“否”或留空：仅已认证机构成员可见。"
        ),
        "account_email": _("研究人员本人在平台的账号邮箱（须为本机构成员），没有可留空。"),
    }
    bold, required_fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=header(column, mark_required=True))
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        hint = key_hints.get(column.key) or hints.get(column.type)
        if hint:
            cell.comment = Comment(hint, "matchmaker")
        sheet.column_dimensions[letter].width = column.width
        cells = f"{letter}2:{letter}{last}"
        if column.type in lists:
            validation = DataValidation(
                type="list",
                formula1=lists[column.type],
                allow_blank=not column.required,
                showErrorMessage=True,
                error=_("请从下拉列表中选择。"),
            )
        elif column.type == "date":
            validation = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="DATE(2000,1,1)",
                allow_blank=True,
                showErrorMessage=True,
                error=str(_("日期格式应为 2026-12-31。")),
            )
        else:
            if column.type in ("phone", "text"):
                for row in range(2, 52):  # text format: phone numbers keep leading zeros
                    sheet.cell(row=row, column=index).number_format = "@"
            continue
        validation.add(cells)
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    if kind == "expert" and organisation_id is not None:
        _results_sheet(workbook, organisation_id)
    return workbook_bytes(workbook)


def _results_sheet(workbook: Any, organisation_id: int) -> None:
    """A sheet of the organisation's results (id, title) that expert rows link to."""
    import sqlalchemy as sa
    from openpyxl.styles import Font

    from matchmaker.extensions import db
    from matchmaker.models import Result

    sheet = workbook.create_sheet(_("本机构成果"))
    sheet.append([_("编号"), _("标题")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 48
    for result_id, title in db.session.execute(
        sa.select(Result.id, Result.title)
        .where(Result.organisation_id == organisation_id)
        .order_by(Result.id)
    ):
        sheet.append([result_id, neutralise(title)])


def annotated_workbook(report: ImportReport) -> bytes:
    """The uploaded rows with every bad cell marked red and explained, plus an errors column."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    red = PatternFill("solid", fgColor="F8CBAD")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("错误报告")
    headers = [header(c, mark_required=True) for c in report.columns] + [_("错误说明")]
    for index, text in enumerate(headers, start=1):
        sheet.cell(row=1, column=index, value=neutralise(text)).font = Font(bold=True)
    labels = {c.key: str(c.label) for c in report.columns}
    for out_row, row in enumerate(report.rows, start=2):
        for index, column in enumerate(report.columns, start=1):
            cell = sheet.cell(
                row=out_row, column=index, value=neutralise(row.values.get(column.key, ""))
            )
            if column.key in row.errors:
                cell.fill = red
                cell.comment = Comment("\n".join(row.errors[column.key]), "matchmaker")
        summary = "；".join(f"{labels.get(k, k)}：{' '.join(m)}" for k, m in row.errors.items())
        note = _("第 %(row)d 行：%(errors)s", row=row.number, errors=summary) if summary else ""
        sheet.cell(row=out_row, column=len(headers), value=neutralise(note))
    sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)
