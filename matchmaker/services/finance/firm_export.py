"""Exports of the bank's firm browser (.xlsx): consented fields only, each firm by its own scopes.

A cell of a scope the firm did not consent to reads 未授权; every exported firm is written to
its view log as an export. Text cells are neutralised like every other export
(services/excel.py), so nothing a firm typed can run as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.models import ConsentScope, Organisation, User, ViewAction
from matchmaker.models.firm import FIRM_SIZE_LABELS, SPECIALISED_LABELS, SpecialisedLevel
from matchmaker.services.finance import consent
from matchmaker.services.finance.firm_browser import FirmFilter, firm_rows
from matchmaker.services.finance.firm_scope import ACTIVITY, BASIC, FINANCIALS, INNOVATION, FirmView
from matchmaker.services.finance.firm_shortlist import shortlist
from matchmaker.services.market.excel import neutralise
from matchmaker.services.platform.regions import region_label

EXPORT_MAX_ROWS = 1000
UNCONSENTED = _l("未授权")
LAPSED = _l("授权已失效")
#: The 专精特新 levels a firm holds (none reads 否).
SPECIALISED = {k: v for k, v in SPECIALISED_LABELS.items() if k != SpecialisedLevel.NONE}

#: (key, header, the scope the value belongs to; None = always shown)
COLUMNS: tuple[tuple[str, Any, ConsentScope | None], ...] = (
    ("name", _l("企业名称"), None),
    ("field", _l("行业"), BASIC),
    ("size", _l("规模"), BASIC),
    ("employees", _l("员工人数"), BASIC),
    ("region", _l("地区"), BASIC),
    ("founded_year", _l("成立年份"), BASIC),
    ("key_products", _l("主要产品"), BASIC),
    ("contact_name", _l("联系人"), BASIC),
    ("contact_phone", _l("联系电话"), BASIC),
    ("contact_email", _l("联系邮箱"), BASIC),
    ("high_tech", _l("高新技术企业"), INNOVATION),
    ("specialised", _l("专精特新"), INNOVATION),
    ("patents_invention", _l("发明专利"), INNOVATION),
    ("patents_utility", _l("实用新型专利"), INNOVATION),
    ("patents_design", _l("外观设计专利"), INNOVATION),
    ("software_copyrights", _l("软件著作权"), INNOVATION),
    ("awards", _l("获奖情况"), INNOVATION),
    ("rd_intensity", _l("研发强度（%）"), INNOVATION),
    ("score", _l("创新积分"), INNOVATION),
    ("score_version", _l("积分公式版本"), INNOVATION),
    ("fin_year", _l("最近财务年度"), FINANCIALS),
    ("revenue", _l("营业收入（万元）"), FINANCIALS),
    ("rd_spend", _l("研发投入（万元）"), FINANCIALS),
    ("recent", _l("近12个月有揭榜或合同"), ACTIVITY),
    ("needs_posted", _l("发布需求数"), ACTIVITY),
    ("challenges_won", _l("揭榜成功数"), ACTIVITY),
    ("results_adopted", _l("承接成果数"), ACTIVITY),
    ("deals", _l("技术合同数"), ACTIVITY),
    ("deal_amount", _l("合同金额（万元）"), ACTIVITY),
    ("milestones", _l("验收通过节点数"), ACTIVITY),
    ("needs_count", _l("在融资需求数"), None),
    ("needs_total", _l("融资需求合计（万元）"), None),
)
SHORTLIST_COLUMNS = (("status", _l("授权状态"), None), ("note", _l("备注"), None))


def _certificate(flag: bool, valid: bool, expires_on: date | None) -> str:
    if not flag:
        return _("否")
    until = expires_on.isoformat() if expires_on else _("长期")
    if valid:
        return _("是（有效期至 %(date)s）", date=until)
    return _("已过期（%(date)s）", date=until)


def _values(view: FirmView, locale: str) -> dict[str, Any]:
    """Every exportable value the firm consented to (keys of other scopes are absent)."""
    values: dict[str, Any] = {
        "name": view.organisation.name,
        "needs_count": len(view.needs),
        "needs_total": view.needs_total_wan,
    }
    if (b := view.basic) is not None:
        values.update(
            field=b.field.label(locale) if b.field else "",
            size=str(FIRM_SIZE_LABELS.get(b.size or "", "")),
            employees=b.employees,
            region=region_label(b.region),
            founded_year=b.founded_year,
            key_products=b.key_products,
            contact_name=b.contact_name or "",
            contact_phone=b.contact_phone or "",
            contact_email=b.contact_email or "",
        )
    if (i := view.innovation) is not None:
        specialised = _("否")
        if i.specialised in SPECIALISED:
            certificate = _certificate(True, i.specialised_valid, i.specialised_expires_on)
            specialised = f"{SPECIALISED[i.specialised]} · {certificate}"
        values.update(
            high_tech=_certificate(i.high_tech, i.high_tech_valid, i.high_tech_expires_on),
            specialised=specialised,
            patents_invention=i.patents_invention,
            patents_utility=i.patents_utility,
            patents_design=i.patents_design,
            software_copyrights=i.software_copyrights,
            awards=i.awards,
            rd_intensity=i.rd_intensity,
            score=i.score,
            score_version=i.score_version,
        )
    if view.financials:
        latest = view.financials[-1]
        values.update(
            fin_year=latest.year, revenue=latest.revenue_wan, rd_spend=latest.rd_spend_wan
        )
    if (a := view.activity) is not None:
        values.update(
            recent=_("是") if view.recently_active else _("否"),
            needs_posted=a.needs_posted,
            challenges_won=a.challenges_won,
            results_adopted=a.results_adopted,
            deals=a.deals,
            deal_amount=a.deal_amount_wan,
            milestones=a.milestones_accepted,
        )
    return values


def _row(
    view: FirmView | None, org: Organisation, note: str | None, columns: Sequence[Any]
) -> list[Any]:
    """One sheet row: consented values, 未授权 elsewhere; a lapsed firm shows only its name."""
    locale = str(get_locale() or "zh_Hans_CN")
    values = _values(view, locale) if view is not None else {}
    values.update(
        name=org.name, note=note or "", status=_("有效") if view is not None else str(LAPSED)
    )
    row = []
    for key, _label, scope in columns:
        if key in ("name", "note", "status"):
            value = values[key]
        elif view is None:
            value = None
        elif scope is not None and not view.allows(scope):
            value = str(UNCONSENTED)
        else:
            value = values.get(key)
        row.append(float(value) if isinstance(value, Decimal) else value)
    return row


def _workbook(title: str, columns: Sequence[Any], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    header = []
    for _key, label, _scope in columns:
        cell = WriteOnlyCell(sheet, value=neutralise(str(label)))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for values in rows:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_firms(*, actor: User, criteria: FirmFilter) -> bytes:
    """The filtered list (first EXPORT_MAX_ROWS, in its order) as .xlsx; each firm logged."""
    rows, _total = firm_rows(actor=actor, criteria=criteria, limit=EXPORT_MAX_ROWS)
    for row in rows:
        consent.log_view(actor=actor, access=row.access, action=ViewAction.EXPORT)
    sheet = [_row(r.firm, r.firm.organisation, None, COLUMNS) for r in rows]
    return _workbook(_("企业"), COLUMNS, sheet)


def export_shortlist(*, actor: User) -> bytes:
    """The bank's shortlist with its notes as .xlsx; firms with live consent are logged."""
    columns = (*COLUMNS, *SHORTLIST_COLUMNS)
    sheet = []
    for row in shortlist(actor=actor, with_activity=True):
        if row.access is not None:
            consent.log_view(actor=actor, access=row.access, action=ViewAction.EXPORT)
        sheet.append(_row(row.firm, row.entry.firm, row.entry.note, columns))
    return _workbook(_("关注名单"), columns, sheet)
