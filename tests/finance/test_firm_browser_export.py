"""Exports of the firm browser: consented cells only, per firm; every exported firm is logged."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from matchmaker.models import ConsentScope, ViewAction
from matchmaker.services.finance import consent, firm_export, firm_shortlist
from matchmaker.services.finance.firm_browser import FirmFilter
from tests.factories import make_user
from tests.finance_factories import expire_consent, make_financing_need, make_firm

BASIC, INNO, FIN = ConsentScope.BASIC, ConsentScope.INNOVATION, ConsentScope.FINANCIALS


def sheet_rows(content: bytes) -> list[dict[str, object]]:
    sheet = load_workbook(io.BytesIO(content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_each_firm_exports_only_its_consented_scopes(db):
    bank = make_user("bank")
    open_books = make_firm(scopes=int(BASIC | FIN), years=[(2024, 98765, 4321)])
    closed_books = make_firm(scopes=int(BASIC | INNO), years=[(2024, 55555, 2222)])
    make_financing_need(closed_books, amount_wan=Decimal(300))
    content = firm_export.export_firms(actor=bank, criteria=FirmFilter(sort="name"))
    rows = {r["企业名称"]: r for r in sheet_rows(content)}
    shown = rows[open_books.organisation.name]
    hidden = rows[closed_books.organisation.name]
    assert shown["营业收入（万元）"] == 98765
    assert shown["高新技术企业"] == "未授权"
    assert hidden["营业收入（万元）"] == "未授权"
    assert hidden["融资需求合计（万元）"] == 300
    values = {v for row in sheet_rows(content) for v in row.values()}
    assert 55555 not in values and 2222 not in values
    for firm in (open_books, closed_books):
        (view,) = consent.views_of(firm.organisation_id)
        assert view.action == ViewAction.EXPORT


def test_export_follows_the_filter_and_skips_non_consenting_firms(db):
    bank = make_user("bank")
    high = make_firm(scopes=int(BASIC | INNO), high_tech=True)
    make_firm(scopes=int(BASIC), high_tech=True)
    make_firm(scopes=None, high_tech=True)
    content = firm_export.export_firms(actor=bank, criteria=FirmFilter(high_tech=True))
    assert [r["企业名称"] for r in sheet_rows(content)] == [high.organisation.name]


def test_text_is_never_a_formula(db):
    """SECURITY.md row 36 (v5.0.0-1.2.10)."""
    bank = make_user("bank")
    make_firm(scopes=int(BASIC), key_products='=HYPERLINK("http://evil.example","点我")')
    (row,) = sheet_rows(firm_export.export_firms(actor=bank, criteria=FirmFilter()))
    assert row["主要产品"].startswith("'=")


def test_shortlist_export_has_notes_and_no_profile_of_lapsed_firms(db):
    bank = make_user("bank")
    live = make_firm(scopes=int(BASIC))
    lapsed = make_firm(scopes=int(BASIC | FIN), years=[(2024, 77777, 1)])
    firm_shortlist.add_to_shortlist(actor=bank, firm_org_id=live.organisation_id, note="重点")
    firm_shortlist.add_to_shortlist(actor=bank, firm_org_id=lapsed.organisation_id, note="到期")
    expire_consent(lapsed)
    rows = {r["企业名称"]: r for r in sheet_rows(firm_export.export_shortlist(actor=bank))}
    assert rows[live.organisation.name]["备注"] == "重点"
    gone = rows[lapsed.organisation.name]
    assert gone["授权状态"] == "授权已失效" and gone["备注"] == "到期"
    assert gone["营业收入（万元）"] is None and gone["联系电话"] is None
    assert [v.action for v in consent.views_of(lapsed.organisation_id)] == [ViewAction.SHORTLIST]
