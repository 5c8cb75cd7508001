"""The bureau's figures as spreadsheets: one figure or every figure as .xlsx (one sheet each),
a figure or a drill-down's list as CSV (UTF-8 with a BOM, for Excel); numbers stay numbers."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _

from matchmaker.services.bureau.figures import Filters, Table, number
from matchmaker.services.bureau.reports import sheet_name
from matchmaker.services.market.excel.columns import neutralise
from matchmaker.services.market.excel.workbooks import workbook_bytes


def table_rows(table: Table) -> list[list[Any]]:
    """A figure as rows for a spreadsheet: the header, then numbers as numbers."""
    out: list[list[Any]] = [[c.label for c in table.columns]]
    for index, row in enumerate(table.rows):
        values: list[Any] = []
        for column in table.columns:
            value = row.get(column.key)
            kind = table.kind_of(index, column.key)
            numeric = number(value) if kind not in ("text", "month") else None
            values.append(numeric if numeric is not None else ("" if value is None else str(value)))
        out.append(values)
    return out


def csv_bytes(rows: list[list[Any]]) -> bytes:
    """Rows as UTF-8 CSV with a BOM (so Excel shows the Chinese), text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def workbook(tables: list[Table], filters: Filters) -> bytes:
    """One sheet per figure: its header, its rows (numbers as numbers), then its note and period."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(sheet_name(table.title, used))
        for index, row in enumerate(table_rows(table)):
            sheet.append([neutralise(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                if index == 0:
                    cell.font = Font(bold=True)
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width * 2, 10), 50)
        sheet.append([])
        if table.note:
            sheet.append([neutralise(table.note)])
        sheet.append([_("统计期间：%(start)s 至 %(end)s", start=filters.start, end=filters.end)])
    return workbook_bytes(book)
