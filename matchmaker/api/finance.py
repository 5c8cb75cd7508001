"""API operations of the finance area (issue 15): loan products and leads; a bank's firm browser
is in `firms.py`. See api/common.py for the conventions.

Every operation needs a token with a finance scope. The role's permission is checked as the
web's `permission_required` checks it (403 `forbidden`); the services decide the rest (an object
the caller may not see is 404, a firm without live consent too).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from werkzeug.wrappers import Response

from matchmaker.api.auth import BEARER, signed_caller, token_required
from matchmaker.api.common import (
    bp,
    conditional,
    documented_errors,
    paged,
)
from matchmaker.api.schemas import finance as s
from matchmaker.models import Lead, LoanProduct, Organisation, User
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.finance import leads, loan_products
from matchmaker.services.finance.loan_products import ProductData
from matchmaker.web.errors import MESSAGES

F = TypeVar("F", bound=Callable[..., Any])
READ = token_required("read", "finance")
WRITE = token_required("write", "finance")


def role_may(permission: Permission) -> Callable[[F], F]:
    """The role's permission, as the web's `permission_required` checks it (403 otherwise);
    checked before the body is read, so a role that may not is told so whatever it sent."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not has_permission(signed_caller(), permission):
                raise PermissionDenied(MESSAGES[403][1])
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def ref(org: Organisation | LoanProduct | None) -> dict[str, Any] | None:
    return None if org is None else {"id": org.id, "name": org.name}


def collateral(bits: int) -> list[str]:
    return [name for name, flag in s.COLLATERAL.items() if bits & flag]


# --- loan products ------------------------------------------------------------------------------
def _product(product: LoanProduct) -> dict[str, Any]:
    return {
        "id": product.id,
        "bank": ref(product.bank),
        "name": product.name,
        "kind": str(product.kind),
        "description": product.description,
        "amount_min_wan": product.amount_min_wan,
        "amount_max_wan": product.amount_max_wan,
        "term_min_months": product.term_min_months,
        "term_max_months": product.term_max_months,
        "rate_min": product.rate_min,
        "rate_max": product.rate_max,
        "field_ids": list(product.field_ids or []),
        "min_score": product.min_score,
        "requires_high_tech": product.requires_high_tech,
        "requires_specialised": product.requires_specialised,
        "collateral": collateral(product.collateral),
        "status": str(product.status),
        "published_at": product.published_at,
        "created_at": product.created_at,
    }


def _product_data(data: dict[str, Any]) -> ProductData:
    bits = 0
    for name in data["collateral"]:
        bits |= int(s.COLLATERAL[name])
    return ProductData(
        name=data["name"],
        kind=data["kind"],
        description=data["description"],
        amount_min_wan=data["amount_min_wan"],
        amount_max_wan=data["amount_max_wan"],
        term_min_months=data["term_min_months"],
        term_max_months=data["term_max_months"],
        rate_min=data["rate_min"],
        rate_max=data["rate_max"],
        field_ids=tuple(data["field_ids"]),
        min_score=data["min_score"],
        requires_high_tech=data["requires_high_tech"],
        requires_specialised=data["requires_specialised"],
        collateral=bits,
    )


@bp.route("/loan-products", methods=["GET"])
@READ
@bp.doc(security=BEARER)
@bp.arguments(s.LoanProductQuerySchema, location="query")
@bp.response(200, s.LoanProductPageSchema)
@documented_errors(401, 403, 422)
def list_loan_products(query: dict[str, Any]) -> dict[str, Any]:
    """The public catalogue (published products of verified banks, newest first; filters
    `kind`, `bank`), or with `mine=true` the caller's bank's own products in every state
    (banks only)."""
    if query["mine"]:
        actor = signed_caller()
        if not has_permission(actor, Permission.LOAN_PRODUCT) or not actor.organisation_id:
            raise PermissionDenied(MESSAGES[403][1])
        items = loan_products.bank_products(actor.organisation_id)
        items = [
            p
            for p in items
            if (not query["kind"] or p.kind == query["kind"])
            and (not query["status"] or p.status == query["status"])
        ]
    else:
        items = loan_products.public_products(kind=query["kind"] or None, bank_id=query["bank"])
    return paged(items, query).as_dict(_product)


@bp.route("/loan-products/<int:product_id>", methods=["GET"])
@READ
@bp.doc(security=BEARER)
@bp.response(200, s.LoanProductSchema)
@documented_errors(401, 403, 404)
def get_loan_product(product_id: int) -> Response:
    """A product: published ones of verified banks for everyone, any state for its own bank
    (ETag; If-None-Match answers 304)."""
    product = loan_products.get_product(actor=signed_caller(), product_id=product_id)
    return conditional(s.LoanProductSchema().dump(_product(product)))


@bp.route("/loan-products", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.arguments(s.LoanProductWriteSchema)
@bp.response(201, s.LoanProductSchema)
@documented_errors(401, 403, 422)
def create_loan_product(data: dict[str, Any]) -> dict[str, Any]:
    """Banks: a new product, saved as a draft (the bank, status and dates are the server's)."""
    return _product(loan_products.create_product(actor=signed_caller(), data=_product_data(data)))


@bp.route("/loan-products/<int:product_id>", methods=["PATCH"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.arguments(s.LoanProductPatchSchema)
@bp.response(200, s.LoanProductSchema)
@documented_errors(401, 403, 404, 409, 422)
def update_loan_product(data: dict[str, Any], product_id: int) -> dict[str, Any]:
    """Banks: change some terms of a draft or withdrawn product (a published one is withdrawn
    first: 409)."""
    actor = signed_caller()
    product = loan_products.get_managed_product(actor=actor, product_id=product_id)
    current = _product(product)
    merged = {name: current[name] for name in s.LoanProductWriteSchema._declared_fields} | data
    merged["description"] = merged["description"] or ""
    return _product(
        loan_products.update_product(actor=actor, product=product, data=_product_data(merged))
    )


def _product_step(product_id: int, step: Callable[..., LoanProduct]) -> dict[str, Any]:
    actor = signed_caller()
    product = loan_products.get_managed_product(actor=actor, product_id=product_id)
    return _product(step(actor=actor, product=product))


@bp.route("/loan-products/<int:product_id>/publish", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.response(200, s.LoanProductSchema)
@documented_errors(401, 403, 404, 409)
def publish_loan_product(product_id: int) -> dict[str, Any]:
    """Banks: publish a draft, or republish a withdrawn product (verified banks only)."""
    return _product_step(product_id, loan_products.publish_product)


@bp.route("/loan-products/<int:product_id>/withdraw", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.response(200, s.LoanProductSchema)
@documented_errors(401, 403, 404, 409)
def withdraw_loan_product(product_id: int) -> dict[str, Any]:
    """Banks: take a published product out of the catalogue (leads that name it stay)."""
    return _product_step(product_id, loan_products.withdraw_product)


# --- leads ----------------------------------------------------------------------------------------
def _lead(lead: Lead) -> dict[str, Any]:
    need = lead.financing_need
    return {
        "id": lead.id,
        "status": str(lead.status),
        "bank": ref(lead.bank),
        "firm": ref(lead.firm),
        "product": ref(lead.product),
        "financing_need": None
        if need is None
        else {"id": need.id, "title": need.title, "amount_wan": need.amount_wan},
        "meeting_id": lead.meeting_id,
        "message": lead.message,
        "firm_reply": lead.firm_reply,
        "approved_amount_wan": lead.approved_amount_wan,
        "approved_product": ref(lead.approved_product),
        "disbursed_amount_wan": lead.disbursed_amount_wan,
        "first_loan": lead.first_loan,
        "rejection_reason": str(lead.rejection_reason) if lead.rejection_reason else None,
        "rejection_note": lead.rejection_note,
        "created_at": lead.created_at,
        "answered_at": lead.answered_at,
        "approved_at": lead.approved_at,
        "disbursed_at": lead.disbursed_at,
        "closed_at": lead.closed_at,
    }


def _lead_detail(lead: Lead) -> dict[str, Any]:
    steps = [
        {
            "action": st.action,
            "at": st.at,
            "organisation": ref(st.organisation),
            "reason": st.reason,
        }
        for st in leads.history(lead)
    ]
    return {**_lead(lead), "history": steps}


@bp.route("/leads", methods=["GET"])
@READ
@bp.doc(security=BEARER)
@bp.arguments(s.LeadQuerySchema, location="query")
@bp.response(200, s.LeadPageSchema)
@documented_errors(401, 403, 422)
def list_leads(query: dict[str, Any]) -> dict[str, Any]:
    """The leads of the caller's side, newest first: a bank's own, the requests made to a firm,
    or every lead for the bureau (filter `status`)."""
    items = leads.leads_for(signed_caller(), status=query["status"] or None)
    return paged(items, query).as_dict(_lead)


@bp.route("/leads/<int:lead_id>", methods=["GET"])
@READ
@bp.doc(security=BEARER)
@bp.response(200, s.LeadDetailSchema)
@documented_errors(401, 403, 404)
def get_lead(lead_id: int) -> Response:
    """A lead the caller's side may see (its bank, its firm, the bureau), with its history
    (ETag; If-None-Match answers 304)."""
    lead = leads.get_lead(actor=signed_caller(), lead_id=lead_id)
    return conditional(s.LeadDetailSchema().dump(_lead_detail(lead)))


@bp.route("/leads", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.arguments(s.LeadRequestSchema)
@bp.response(201, s.LeadDetailSchema)
@documented_errors(401, 403, 404, 409, 422)
def create_lead(data: dict[str, Any]) -> dict[str, Any]:
    """Banks: ask to contact a firm, under its live consent (written to the firm's "who viewed
    me" log) or after a 银企对接 meeting of the two (`meeting_id`); one live lead per bank and
    firm (409). A firm the bank cannot reach is 404."""
    lead = leads.request_contact(
        actor=signed_caller(),
        firm_org_id=data["firm_id"],
        product_id=data["product_id"],
        financing_need_id=data["financing_need_id"],
        message=data["message"],
        meeting_id=data["meeting_id"],
    )
    return _lead_detail(lead)


def _lead_step(lead_id: int, call: Callable[[User, Lead], object]) -> dict[str, Any]:
    actor = signed_caller()
    lead = leads.get_lead(actor=actor, lead_id=lead_id)
    call(actor, lead)  # the service checks the side (the other side: 404) and the state (409)
    return _lead_detail(lead)


@bp.route("/leads/<int:lead_id>/answer", methods=["POST"])
@WRITE
@role_may(Permission.FIRM_PROFILE)
@bp.doc(security=BEARER)
@bp.arguments(s.LeadAnswerSchema)
@bp.response(200, s.LeadDetailSchema)
@documented_errors(401, 403, 404, 409, 422)
def answer_lead(data: dict[str, Any], lead_id: int) -> dict[str, Any]:
    """Firms: accept or decline a bank's contact request, with an optional reply."""
    return _lead_step(
        lead_id,
        lambda actor, lead: leads.answer_lead(
            actor=actor, lead=lead, accept=data["decision"] == "accept", reply=data["reply"]
        ),
    )


@bp.route("/leads/<int:lead_id>/withdraw", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.response(200, s.LeadDetailSchema)
@documented_errors(401, 403, 404, 409)
def withdraw_lead(lead_id: int) -> dict[str, Any]:
    """Banks: take back a request the firm has not answered."""
    return _lead_step(lead_id, lambda actor, lead: leads.withdraw_lead(actor=actor, lead=lead))


@bp.route("/leads/<int:lead_id>/contact", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.response(200, s.LeadDetailSchema)
@documented_errors(401, 403, 404, 409)
def contact_lead(lead_id: int) -> dict[str, Any]:
    """Banks: record that the bank is in touch with the firm (after the firm accepted)."""
    return _lead_step(lead_id, lambda actor, lead: leads.mark_in_contact(actor=actor, lead=lead))


@bp.route("/leads/<int:lead_id>/approve", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.arguments(s.LeadApproveSchema)
@bp.response(200, s.LeadDetailSchema)
@documented_errors(401, 403, 404, 409, 422)
def approve_lead(data: dict[str, Any], lead_id: int) -> dict[str, Any]:
    """Banks: record credit approved (授信): the amount and one of the bank's products."""
    return _lead_step(
        lead_id,
        lambda actor, lead: leads.approve_credit(
            actor=actor, lead=lead, amount_wan=data["amount_wan"], product_id=data["product_id"]
        ),
    )


@bp.route("/leads/<int:lead_id>/reject", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.arguments(s.LeadRejectSchema)
@bp.response(200, s.LeadDetailSchema)
@documented_errors(401, 403, 404, 409, 422)
def reject_lead(data: dict[str, Any], lead_id: int) -> dict[str, Any]:
    """Banks: record that the bank declines credit, with a reason code (and a note the firm
    sees; needed with "other")."""
    return _lead_step(
        lead_id,
        lambda actor, lead: leads.reject_credit(
            actor=actor, lead=lead, reason=data["reason"], note=data["note"]
        ),
    )


@bp.route("/leads/<int:lead_id>/disburse", methods=["POST"])
@WRITE
@role_may(Permission.LOAN_PRODUCT)
@bp.doc(security=BEARER)
@bp.arguments(s.LeadDisburseSchema)
@bp.response(200, s.LeadDetailSchema)
@documented_errors(401, 403, 404, 409, 422)
def disburse_lead(data: dict[str, Any], lead_id: int) -> dict[str, Any]:
    """Banks: record the loan paid out (放款), at most the approved amount."""
    return _lead_step(
        lead_id,
        lambda actor, lead: leads.record_disbursement(
            actor=actor, lead=lead, amount_wan=data["amount_wan"], first_loan=data["first_loan"]
        ),
    )
