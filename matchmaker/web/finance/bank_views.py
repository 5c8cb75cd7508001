"""Routes of the 科技金融 blueprint: the bank's firm browser, firm pages, shortlist, exports.

Every firm shown here comes through consent (services/firm_scope.py and consent.open_firm):
a firm without live consent answers 404, and a scope it did not consent to shows 未授权.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import limiter
from matchmaker.permissions import Permission
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.finance import firm_browser, firm_export, firm_shortlist
from matchmaker.services.finance.firm_browser import FirmPage
from matchmaker.services.finance.firm_scope import FinancialYear
from matchmaker.services.platform import taxonomy, uow
from matchmaker.services.platform.regions import region_choices
from matchmaker.web.finance.bank_forms import FirmFilterForm, RemoveForm, ShortlistForm
from matchmaker.web.finance.blueprint import bp
from matchmaker.web.forms import apply_errors, form_errors
from matchmaker.web.i18n import select_locale
from matchmaker.web.ids import page_arg
from matchmaker.web.policy import is_safe_next, permission_required
from matchmaker.web.refusals import on_refusal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 320, 160, 14


def _not_a_verified_bank(template: str, **context: Any) -> None:
    """The page an unverified bank sees (with the reason) when the browser refuses it."""
    on_refusal(lambda: render_template(template, **context))


def _filter_form() -> FirmFilterForm:
    form = FirmFilterForm(formdata=request.args or None)
    form.field.choices = [(0, _("全部行业")), *taxonomy.field_choices(select_locale())]
    form.region.choices = [("", _("全部地区")), *region_choices()]
    products = firm_browser.bank_products(current_user)
    form.product.choices = [(0, _("不选择")), *((p.id, p.name) for p in products)]
    return form


def _page_arg() -> int:
    """The page asked for (web/ids.py: "abc" is the first, -1 and 10**30 are refused)."""
    return page_arg()


def _back(default: str) -> Response:
    target = request.form.get("next")
    return redirect(target if target and is_safe_next(target) else default)


# --- the list and its export ------------------------------------------------------------------
@bp.get("/firms")
@permission_required(Permission.FIRM_BROWSE)
def list_firms() -> str | tuple[str, int]:
    """The consenting firms, filtered and sorted by what each firm lets banks see."""
    _not_a_verified_bank("finance/firms.html", form=None, page=None)
    form = _filter_form()
    valid = form.validate()
    criteria = form.criteria()
    try:
        page = firm_browser.browse(actor=current_user, criteria=criteria, page=_page_arg())
    except ValidationFailed as error:  # the product was withdrawn meanwhile: list them all
        apply_errors(form, error)
        valid = False
        page = firm_browser.browse(actor=current_user, criteria=firm_browser.FirmFilter())
    html = render_template("finance/firms.html", form=form, page=page, criteria=criteria)
    return html if valid else (html, 400)


@bp.get("/firms/export.xlsx")
@permission_required(Permission.FIRM_BROWSE)
@limiter.limit("30 per minute")
def export_firms() -> Response | tuple[str, int]:
    """The current filter's firms as .xlsx: consented fields only; each firm's log notes it."""
    _not_a_verified_bank("finance/firms.html", form=None, page=None)
    form = _filter_form()
    if not form.validate():
        flash(_("请先修正筛选条件，再导出。"), "warning")
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("finance.list_firms", **args))
    try:
        content = firm_export.export_firms(actor=current_user, criteria=form.criteria())
    except ValidationFailed:  # the product was withdrawn meanwhile: no form to show it on
        uow.discard()
        flash(_("请选择本行已发布的贷款产品。"), "warning")
        return redirect(url_for("finance.list_firms"))
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX,
        as_attachment=True,
        download_name=_("企业名单-%(day)s.xlsx", day=date.today().isoformat()),
        max_age=0,
    )


# --- one firm ---------------------------------------------------------------------------------
def _firm_page(firm_id: int, *, log: bool) -> FirmPage:
    return firm_browser.firm_page(actor=current_user, firm_org_id=firm_id, log=log)


def bar_chart(years: tuple[FinancialYear, ...] | None) -> dict[str, Any] | None:
    """Geometry of the revenue / R&D bar chart (an inline SVG: no script, CSP-safe)."""
    if not years:
        return None
    years = years[-5:]
    top = max([y.revenue_wan for y in years] + [y.rd_spend_wan for y in years]) or Decimal(1)
    slot = CHART_WIDTH / len(years)
    bar = min(28.0, slot / 3)
    usable = CHART_HEIGHT - CHART_TOP - 18
    groups = []
    for i, y in enumerate(years):
        x = i * slot + (slot - 2 * bar) / 2
        bars = []
        for offset, value, kind in ((0, y.revenue_wan, "revenue"), (bar, y.rd_spend_wan, "rd")):
            height = round(float(value / top) * usable, 1)
            bars.append(
                {
                    "x": round(x + offset, 1),
                    "y": round(CHART_TOP + usable - height, 1),
                    "w": round(bar - 2, 1),
                    "h": height,
                    "kind": kind,
                    "value": value,
                }
            )
        groups.append({"year": y.year, "cx": round(i * slot + slot / 2, 1), "bars": bars})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "base": CHART_TOP + usable,
        "groups": groups,
    }


def _render_firm(page: FirmPage, form: ShortlistForm | None = None) -> str:
    if form is None:
        note = page.shortlist.note if page.shortlist else ""
        form = ShortlistForm(formdata=None, note=note)
    form.next.data = url_for("finance.show_firm", firm_id=page.firm.organisation.id)
    return render_template(
        "finance/firm.html",
        page=page,
        firm=page.firm,
        chart=bar_chart(page.firm.financials),
        shortlist_form=form,
    )


@bp.get("/firms/<int:firm_id>")
@permission_required(Permission.FIRM_BROWSE)
def show_firm(firm_id: int) -> str:
    """One consenting firm, exactly the consented scopes (the look is logged for the firm)."""
    return _render_firm(_firm_page(firm_id, log=True))


@bp.post("/firms/<int:firm_id>/shortlist")
@permission_required(Permission.FIRM_BROWSE)
def shortlist_firm(firm_id: int) -> Response | tuple[str, int]:
    """Put the firm on the bank's shortlist (or change its note there)."""
    form = ShortlistForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            firm_shortlist.add_to_shortlist(
                actor=current_user, firm_org_id=firm_id, note=form.note.data or ""
            )
        if outcome.ok:
            flash(_("已加入关注名单。"), "success")
            return redirect(url_for("finance.show_firm", firm_id=firm_id))
    return _render_firm(_firm_page(firm_id, log=False), form), 400


# --- the shortlist ----------------------------------------------------------------------------
def _render_shortlist(bound: dict[int, ShortlistForm] | None = None) -> str:
    rows = firm_shortlist.shortlist(actor=current_user)
    bound = bound or {}
    return render_template(
        "finance/shortlist.html",
        rows=rows,
        note_forms={
            r.entry.firm_org_id: bound.get(r.entry.firm_org_id)
            or ShortlistForm(formdata=None, note=r.entry.note)
            for r in rows
        },
    )


@bp.get("/shortlist")
@permission_required(Permission.FIRM_BROWSE)
def list_shortlist() -> str | tuple[str, int]:
    """The bank's shortlist with its notes; lapsed consent shows as 授权已失效."""
    _not_a_verified_bank("finance/shortlist.html", rows=None)
    return _render_shortlist()


def _entry_or_404(firm_id: int) -> None:
    if firm_shortlist.shortlist_entry(actor=current_user, firm_org_id=firm_id) is None:
        abort(404)


@bp.post("/shortlist/<int:firm_id>/note")
@permission_required(Permission.FIRM_BROWSE)
def update_shortlist_note(firm_id: int) -> Response | tuple[str, int]:
    """Change the bank's note on a shortlisted firm (also after its consent lapsed)."""
    _entry_or_404(firm_id)
    form = ShortlistForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            firm_shortlist.update_note(actor=current_user, firm_org_id=firm_id, note=form.note.data)
        if outcome.ok:
            flash(_("备注已保存。"), "success")
            return _back(url_for("finance.list_shortlist"))
    return _render_shortlist({firm_id: form}), 400


@bp.post("/shortlist/<int:firm_id>/remove")
@permission_required(Permission.FIRM_BROWSE)
def remove_from_shortlist(firm_id: int) -> Response:
    """Take the firm off the bank's shortlist."""
    _entry_or_404(firm_id)
    if not RemoveForm().validate_on_submit():
        abort(400)
    firm_shortlist.remove_from_shortlist(actor=current_user, firm_org_id=firm_id)
    flash(_("已移出关注名单。"), "success")
    return _back(url_for("finance.list_shortlist"))


@bp.get("/shortlist/export.xlsx")
@permission_required(Permission.FIRM_BROWSE)
@limiter.limit("30 per minute")
def export_shortlist() -> Response | tuple[str, int]:
    """The shortlist with its notes as .xlsx (consented fields only)."""
    _not_a_verified_bank("finance/shortlist.html", rows=None)
    content = firm_export.export_shortlist(actor=current_user)
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX,
        as_attachment=True,
        download_name=_("关注名单-%(day)s.xlsx", day=date.today().isoformat()),
        max_age=0,
    )
