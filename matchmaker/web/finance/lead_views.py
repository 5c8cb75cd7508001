"""Routes of the 科技金融 blueprint: leads (银企对接 requests through to disbursement) and the
bureau's lending statistics."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from matchmaker.models import Lead, LeadStatus, ProductStatus
from matchmaker.permissions import Permission, can_answer_lead, can_work_lead
from matchmaker.services.finance import (
    consent,
    finance_stats,
    financing_needs,
    leads,
    loan_products,
)
from matchmaker.services.platform.amounts import format_money
from matchmaker.web.finance.blueprint import bp
from matchmaker.web.finance.credit_forms import (
    ActionForm,
    AnswerForm,
    ApproveForm,
    DisburseForm,
    LeadRequestForm,
    RejectForm,
)
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import to_id
from matchmaker.web.policy import login_required, permission_required
from matchmaker.web.refusals import on_refusal


@bp.get("/leads", endpoint="leads")
@login_required
def leads_list() -> str:
    """A bank's leads, the requests made to a firm, or (the bureau) every lead."""
    status = request.args.get("status") or None
    if status not in {s.value for s in LeadStatus}:
        status = None
    items = leads.leads_for(current_user, status=status)
    return render_template("finance/leads.html", items=items, status=status)


def _meeting_arg(raw: str | None) -> int | None:
    if not raw:
        return None
    meeting_id = to_id(raw)
    if meeting_id is None:
        abort(404)
    return meeting_id


@bp.route("/firms/<int:firm_id>/lead", methods=["GET", "POST"])
@permission_required(Permission.LOAN_PRODUCT)
def new_lead(firm_id: int) -> Response | str | tuple[str, int]:
    """A bank asks to contact a firm (under its consent, or after a 银企对接 meeting)."""
    submitted = request.method == "POST"
    form = LeadRequestForm() if submitted else LeadRequestForm(formdata=None)
    meeting_id = _meeting_arg(form.meeting_id.data if submitted else request.args.get("meeting"))
    firm, _access = leads.reachable_firm(
        actor=current_user, firm_org_id=firm_id, meeting_id=meeting_id
    )
    own = loan_products.bank_products(current_user.organisation_id)
    form.product_id.choices = [(0, _("不指定"))] + [
        (p.id, p.name) for p in own if p.status == ProductStatus.PUBLISHED
    ]
    form.financing_need_id.choices = [(0, _("不指定"))] + [
        (n.id, f"{n.title} · {format_money(n.amount_wan, negotiable=False)}")
        for n in financing_needs.open_needs_of(firm.id)
    ]
    if not submitted:
        form.product_id.data = to_id(request.args.get("product")) or 0
        form.financing_need_id.data = to_id(request.args.get("need")) or 0
        form.meeting_id.data = str(meeting_id or "")
    existing = leads.live_lead(current_user.organisation_id, firm.id)

    def page() -> str:
        return render_template("finance/lead_new.html", form=form, firm=firm, existing=existing)

    if not form.validate_on_submit():
        return (page(), 400) if submitted else page()
    on_refusal(page)
    with form_errors(form) as outcome:
        lead = leads.request_contact(
            actor=current_user,
            firm_org_id=firm.id,
            product_id=form.product_id.data or None,
            financing_need_id=form.financing_need_id.data or None,
            message=form.message.data or "",
            meeting_id=meeting_id,
        )
    if not outcome.ok:
        return page(), 400
    flash(_("对接请求已发送，企业同意后即可联系。"), "success")
    return redirect(url_for("finance.lead", lead_id=lead.id))


def _lead(lead_id: int) -> Lead:
    return leads.get_lead(actor=current_user, lead_id=lead_id)


def _approve_form(lead: Lead, *, submitted: bool = False) -> ApproveForm:
    form = ApproveForm() if submitted else ApproveForm(formdata=None)
    form.product_id.choices = [
        (p.id, p.name)
        for p in loan_products.bank_products(lead.bank_org_id)
        if p.status != ProductStatus.DRAFT
    ]
    if not submitted and lead.product_id:
        form.product_id.data = lead.product_id
    return form


def _render_lead(lead: Lead, **bound: object) -> str:
    bank_side = can_work_lead(current_user, lead)
    return render_template(
        "finance/lead.html",
        lead=lead,
        bank_side=bank_side,
        firm_side=can_answer_lead(current_user, lead),
        steps=leads.history(lead),
        firm_open=bank_side and consent.live_grant(lead.firm_org_id) is not None,
        action_form=ActionForm(formdata=None),
        answer_form=bound.get("answer") or AnswerForm(formdata=None),
        approve_form=bound.get("approve") or _approve_form(lead),
        reject_form=bound.get("reject") or RejectForm(formdata=None),
        disburse_form=bound.get("disburse") or DisburseForm(formdata=None),
    )


@bp.get("/leads/<int:lead_id>")
@login_required
def lead(lead_id: int) -> str:
    """A lead: the request, the firm's answer, credit and disbursement, and its history."""
    return _render_lead(_lead(lead_id))


def _lead_step(
    lead_id: int,
    *,
    side: Callable[..., bool],
    form: FlaskForm,
    name: str,
    call: Callable[[Lead], object],
    done: str,
) -> Response | tuple[str, int]:
    item = _lead(lead_id)
    if not side(current_user, item):
        abort(404)
    if not form.validate_on_submit():
        return _render_lead(item, **{name: form}), 400
    on_refusal(lambda: _render_lead(item))
    with form_errors(form) as outcome:
        call(item)
    if not outcome.ok:
        return _render_lead(item, **{name: form}), 400
    flash(done, "success")
    return redirect(url_for("finance.lead", lead_id=item.id))


@bp.post("/leads/<int:lead_id>/answer")
@permission_required(Permission.FIRM_PROFILE)
def answer_lead(lead_id: int) -> Response | tuple[str, int]:
    """The firm accepts or declines the contact request."""
    form = AnswerForm()
    return _lead_step(
        lead_id,
        side=can_answer_lead,
        form=form,
        name="answer",
        call=lambda item: leads.answer_lead(
            actor=current_user,
            lead=item,
            accept=form.decision.data == "accept",
            reply=form.reply.data or "",
        ),
        done=_("已答复银行。"),
    )


@bp.post("/leads/<int:lead_id>/withdraw")
@permission_required(Permission.LOAN_PRODUCT)
def withdraw_lead(lead_id: int) -> Response | tuple[str, int]:
    """The bank takes back an unanswered request."""
    return _lead_step(
        lead_id,
        side=can_work_lead,
        form=ActionForm(),
        name="action",
        call=lambda item: leads.withdraw_lead(actor=current_user, lead=item),
        done=_("对接请求已撤回。"),
    )


@bp.post("/leads/<int:lead_id>/contact")
@permission_required(Permission.LOAN_PRODUCT)
def contact_lead(lead_id: int) -> Response | tuple[str, int]:
    """The bank records that it is in touch with the firm."""
    return _lead_step(
        lead_id,
        side=can_work_lead,
        form=ActionForm(),
        name="action",
        call=lambda item: leads.mark_in_contact(actor=current_user, lead=item),
        done=_("已标记为对接中。"),
    )


@bp.post("/leads/<int:lead_id>/approve")
@permission_required(Permission.LOAN_PRODUCT)
def approve_lead(lead_id: int) -> Response | tuple[str, int]:
    """The bank records credit approved: amount and product."""
    item = _lead(lead_id)
    form = _approve_form(item, submitted=True)
    return _lead_step(
        lead_id,
        side=can_work_lead,
        form=form,
        name="approve",
        call=lambda it: leads.approve_credit(
            actor=current_user,
            lead=it,
            amount_wan=form.amount_wan.data,
            product_id=form.product_id.data,
        ),
        done=_("授信已记录。"),
    )


@bp.post("/leads/<int:lead_id>/reject")
@permission_required(Permission.LOAN_PRODUCT)
def reject_lead(lead_id: int) -> Response | tuple[str, int]:
    """The bank records that it declines credit, with a reason code."""
    form = RejectForm()
    return _lead_step(
        lead_id,
        side=can_work_lead,
        form=form,
        name="reject",
        call=lambda item: leads.reject_credit(
            actor=current_user, lead=item, reason=form.reason.data, note=form.note.data or ""
        ),
        done=_("未授信结果已记录。"),
    )


@bp.post("/leads/<int:lead_id>/disburse")
@permission_required(Permission.LOAN_PRODUCT)
def disburse_lead(lead_id: int) -> Response | tuple[str, int]:
    """The bank records the loan paid out (and whether it is the firm's first loan)."""
    form = DisburseForm()
    return _lead_step(
        lead_id,
        side=can_work_lead,
        form=form,
        name="disburse",
        call=lambda item: leads.record_disbursement(
            actor=current_user,
            lead=item,
            amount_wan=form.amount_wan.data,
            first_loan=bool(form.first_loan.data),
        ),
        done=_("放款已记录。"),
    )


# --- statistics --------------------------------------------------------------------------------
@bp.get("/stats")
@permission_required(Permission.FINANCE_STATS)
def stats() -> str:
    """The bureau's lending figures: totals, funnel, per bank and per month."""
    return render_template(
        "finance/stats.html",
        overview=finance_stats.overview(),
        banks=finance_stats.per_bank(),
        months=finance_stats.per_month(),
    )
