"""Exports of the public lists as .xlsx and .csv.

Exports come from the public read model (Publication rows), which holds no contact details,
and every text cell that a spreadsheet could read as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Publication
from matchmaker.services.market.browsing import BrowseFilter, browse_query
from matchmaker.services.market.excel.columns import (
    COLUMNS,
    MODE_COLUMNS,
    PATENT_STATUS,
    current_locale,
    neutralise,
)
from matchmaker.services.market.excel.workbooks import workbook_bytes
from matchmaker.services.platform.regions import REGIONS

EXPORT_MAX_ROWS = 10_000


def _export_columns(kind: str) -> list[tuple[str, str]]:
    columns = [(c.key, str(c.label)) for c in COLUMNS[kind] if not c.contact]
    return columns + [("organisation", str(_("发布机构"))), ("published", str(_("发布日期")))]


def _export_values(pub: Publication, locale: str) -> dict[str, Any]:
    data = pub.data or {}
    keywords = "，".join(k for k in (pub.keywords or "").split(",") if k)
    values: dict[str, Any] = {
        "title": pub.title,
        "field": pub.field.label(locale) if pub.field is not None else "",
        "keywords": keywords,
        "region": str(REGIONS.get(pub.region, pub.region)),
        "organisation": pub.organisation.name if pub.organisation is not None else "",
        "published": pub.published_at.date().isoformat() if pub.published_at else "",
        "description": data.get("description", ""),
    }
    if pub.kind == "result":
        yes, no = str(_("是")), str(_("否"))
        values.update(
            summary=pub.summary,
            trl=pub.trl,
            price=pub.amount_wan if pub.amount_wan is not None else str(_("面议")),
            trial_terms=data.get("trial_terms", ""),
            patents="\n".join(
                f"{p.get('number', '')} {PATENT_STATUS.get(p.get('status', ''), '')}".strip()
                for p in data.get("patents", [])
            ),
            software_copyrights="\n".join(data.get("software_copyrights", [])),
            team=data.get("team", ""),
            **{key: yes if (pub.modes or 0) & mode else no for key, mode, _label in MODE_COLUMNS},
        )
    else:
        values.update(
            targets=data.get("targets", ""),
            existing_base=data.get("existing_base", ""),
            budget=pub.amount_wan if pub.amount_wan is not None else str(_("面议")),
            deadline=pub.deadline,
        )
    return values


def export_rows(f: BrowseFilter) -> Iterator[list[Any]]:
    """The header, then one neutralised row per publication matching the filter (bounded)."""
    columns = _export_columns(f.kind)
    locale = current_locale()
    yield [neutralise(label) for _key, label in columns]
    stmt = browse_query(f.cleaned()).limit(EXPORT_MAX_ROWS)
    for pub in db.session.scalars(stmt):
        values = _export_values(pub, locale)
        yield [neutralise(values.get(key)) for key, _label in columns]


def export_xlsx(f: BrowseFilter) -> bytes:
    """The filtered public list as a workbook (text cells neutralised, numbers as numbers)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("成果") if f.kind == "result" else _("需求"))
    rows = export_rows(f)
    header = []
    for label in next(rows):
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            cells.append(cell)
        sheet.append(cells)
    return workbook_bytes(workbook)


def export_csv(f: BrowseFilter) -> bytes:
    """The filtered public list as UTF-8 CSV with a BOM (so Excel shows the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in export_rows(f):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")
