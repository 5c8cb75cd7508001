"""API operations of the finance area (issue 15): a bank's firm browser (consenting firms, their
consented scopes only, each look written to the firm's "who viewed me" log). Loan products and
leads, and the helpers shared with them, are in `finance.py`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from werkzeug.wrappers import Response

from matchmaker.api.auth import BEARER, signed_caller
from matchmaker.api.common import (
    bp,
    conditional,
    documented_errors,
    next_link,
    page_size_of,
)
from matchmaker.api.finance import READ, collateral, ref, role_may
from matchmaker.api.schemas import finance as s
from matchmaker.models import FinancingNeed, LoanProduct
from matchmaker.permissions import Permission
from matchmaker.services.finance import firm_browser
from matchmaker.services.finance.eligibility import Eligibility
from matchmaker.services.finance.firm_scope import FirmView


# --- firms ----------------------------------------------------------------------------------------
def _need(need: FinancingNeed) -> dict[str, Any]:
    return {
        "id": need.id,
        "title": need.title,
        "amount_wan": need.amount_wan,
        "term_months": need.term_months,
        "purpose": need.purpose,
        "collateral": collateral(need.collateral),
    }


def _fit(product: LoanProduct, need: FinancingNeed | None, verdict: Eligibility) -> dict[str, Any]:
    return {
        "product": ref(product),
        "eligible": verdict.eligible,
        "percent": round(verdict.fit * 100),
        "financing_need_id": need.id if need else None,
        "failed": [c.rule for c in verdict.checks if not c.ok],
    }


def _firm(view: FirmView, *, shortlisted: bool) -> dict[str, Any]:
    """Exactly what FirmView holds: a scope the firm did not consent to is null."""
    locale = str(get_locale() or "")
    basic = innovation = None
    if view.basic is not None:
        b = view.basic
        basic = {
            "field": {"code": b.field.code, "name": b.field.label(locale)} if b.field else None,
            "size": b.size,
            "employees": b.employees,
            "region": b.region,
            "founded_year": b.founded_year,
            "key_products": b.key_products,
            "contact_name": b.contact_name,
            "contact_phone": b.contact_phone,
            "contact_email": b.contact_email,
        }
    if view.innovation is not None:
        i = view.innovation
        innovation = {name: getattr(i, name) for name in s.FirmInnovationSchema._declared_fields}
    return {
        "id": view.organisation.id,
        "name": view.organisation.name,
        "scopes": [str(scope.name).lower() for scope in type(view.scopes) if view.allows(scope)],
        "basic": basic,
        "innovation": innovation,
        "financials": None
        if view.financials is None
        else [
            {"year": y.year, "revenue_wan": y.revenue_wan, "rd_spend_wan": y.rd_spend_wan}
            for y in view.financials
        ],
        "recently_active": view.recently_active,
        "financing_needs": [_need(n) for n in view.needs],
        "shortlisted": shortlisted,
        "fit": None,
    }


def _criteria(query: dict[str, Any]) -> firm_browser.FirmFilter:
    return firm_browser.FirmFilter(
        field_id=query["field_id"],
        region=query["region"],
        band=query["band"],
        high_tech=query["high_tech"],
        specialised=query["specialised"],
        need_min=query["need_min"],
        need_max=query["need_max"],
        active=query["active"],
        sort=query["sort"],
        product_id=query["product"] if query["sort"] == "fit" else None,
    )


@bp.route("/firms", methods=["GET"])
@READ
@role_may(Permission.FIRM_BROWSE)
@bp.doc(security=BEARER)
@bp.arguments(s.FirmQuerySchema, location="query")
@bp.response(200, s.FirmPageSchema)
@documented_errors(401, 403, 422)
def list_firms(query: dict[str, Any]) -> dict[str, Any]:
    """Banks: the consenting firms, with the firm browser's filters and sorts (a list is not a
    look: nothing is logged). Each firm carries only the scopes it consented to."""
    actor = signed_caller()
    size = page_size_of(query)
    page = firm_browser.browse(
        actor=actor, criteria=_criteria(query), page=query["page"], per_page=size
    )
    products = {p.id: p for p in firm_browser.bank_products(actor)}
    items = []
    rows: list[firm_browser.FirmRow] = page.items  # type: ignore[assignment]
    for row in rows:
        item = _firm(row.firm, shortlisted=row.shortlisted)
        if row.fit is not None and query["product"] in products:
            item["fit"] = _fit(products[query["product"]], row.fit_need, row.fit)
        items.append(item)
    return {
        "items": items,
        "page": page.page,
        "page_size": size,
        "total": page.total,
        "next": next_link(query, page.has_next, page.page, size),
    }


@bp.route("/firms/<int:firm_id>", methods=["GET"])
@READ
@role_may(Permission.FIRM_BROWSE)
@bp.doc(security=BEARER)
@bp.response(200, s.FirmDetailSchema)
@documented_errors(401, 403, 404)
def get_firm(firm_id: int) -> Response:
    """Banks: one consenting firm, its consented scopes only, with the bank's products judged
    against it. The read is written to the firm's "who viewed me" log, as the web page's is
    (also when it answers 304 to If-None-Match); a firm without live consent (revoked,
    expired) is 404 at once."""
    page = firm_browser.firm_page(actor=signed_caller(), firm_org_id=firm_id, log=True)
    answer = _firm(page.firm, shortlisted=page.shortlist is not None)
    activity = page.firm.activity
    answer["activity"] = (
        None
        if activity is None
        else {name: getattr(activity, name) for name in s.FirmActivitySchema._declared_fields}
    )
    answer["consent_expires_at"] = page.consent_expires_at
    answer["products"] = [_fit(c.product, c.need, c.verdict) for c in page.products]
    live = page.relationship.live
    answer["live_lead_id"] = live.id if live else None
    return conditional(s.FirmDetailSchema().dump(answer))
