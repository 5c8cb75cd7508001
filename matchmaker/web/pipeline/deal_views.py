"""Adoption decisions and deals (技术合同): terms, milestones, evidence, acceptance, trials."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import AdoptionRequest, Application, Deal, Enquiry, Milestone, Mode
from matchmaker.models.base import CHINA
from matchmaker.permissions import can_manage_challenge, can_manage_offer
from matchmaker.services.challenges import applications, conversion, deals, trials
from matchmaker.services.connect import enquiries
from matchmaker.services.connect.enquiry_states import ENQUIRY, REFUSALS
from matchmaker.services.platform.files import blob_of
from matchmaker.web.downloads import send_stored_file
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import id_arg
from matchmaker.web.pipeline.blueprint import bp
from matchmaker.web.pipeline.forms import (
    ActionForm,
    AdoptionDecisionForm,
    DealForm,
    EvidenceForm,
    MilestoneForm,
    ReasonForm,
    TrialForm,
)
from matchmaker.web.pipeline_labels import days_until
from matchmaker.web.policy import accepts_files, login_required
from matchmaker.web.refusals import on_refusal


def _adoption(adoption_id: int) -> AdoptionRequest:
    return conversion.get_adoption(actor=current_user, request_id=adoption_id)


def _render_adoption(adoption: AdoptionRequest, form: AdoptionDecisionForm | None = None) -> str:
    return render_template(
        "pipeline/adoption.html",
        adoption=adoption,
        form=form or AdoptionDecisionForm(formdata=None),
    )


@bp.route("/adoptions/<int:adoption_id>/decide", methods=["GET", "POST"])
@login_required
def decide_adoption(adoption_id: int) -> Response | str | tuple[str, int]:
    """The result's owner accepts (then records the deal) or declines with a reason."""
    adoption = _adoption(adoption_id)
    if not can_manage_offer(current_user, adoption.offer):
        abort(404)
    form = AdoptionDecisionForm()
    if form.validate_on_submit():
        accept = form.decision.data == "accept"
        on_refusal(lambda: _render_adoption(adoption))
        with form_errors(form) as outcome:
            conversion.decide_adoption(
                actor=current_user, request=adoption, accept=accept, reason=form.reason.data or ""
            )
        if outcome.ok and accept:
            flash(_("已同意承接申请，请登记技术合同。"), "success")
            return redirect(url_for("pipeline.new_deal", adoption=adoption.id))
        if outcome.ok:  # declined
            flash(_("已婉拒，申请方会看到原因。"), "success")
            return redirect(url_for("pipeline.decide_adoption", adoption_id=adoption.id))
    return _render_adoption(adoption, form), 400 if request.method == "POST" else 200


def _source() -> tuple[Application | None, AdoptionRequest | None]:
    """The selected application or accepted adoption named in the query string."""
    application_id = id_arg("application")
    adoption_id = id_arg("adoption")
    if (application_id is None) == (adoption_id is None):
        abort(404)
    if application_id is not None:
        application = applications.get_application(
            actor=current_user, application_id=application_id
        )
        if not can_manage_challenge(current_user, application.challenge):
            abort(404)
        return application, None
    adoption = _adoption(adoption_id)  # type: ignore[arg-type]
    if current_user.organisation_id not in (
        adoption.organisation_id,
        adoption.offer.organisation_id,
    ):
        abort(404)
    return None, adoption


@bp.route("/deals/new", methods=["GET", "POST"])
@login_required
def new_deal() -> Response | str | tuple[str, int]:
    """Record the contract of a selected application or an accepted adoption request."""
    application, adoption = _source()
    form = DealForm()
    if request.method == "GET":
        form.payment_form.data = str(
            application.challenge.payment_form if application else "lump_sum"
        )
        if adoption is not None and adoption.wants_trial:
            form.mode.data = form.payment_form.data = "use_first_pay_later"

    def page() -> str:
        return render_template(
            "pipeline/deal_new.html", form=form, application=application, adoption=adoption
        )

    if form.validate_on_submit():
        on_refusal(page)
        with form_errors(form) as outcome:
            deal = deals.record_deal(
                actor=current_user,
                terms=form.to_terms(),
                application=application,
                adoption=adoption,
            )
        if outcome.ok:
            flash(_("技术合同已登记。"), "success")
            return redirect(url_for("pipeline.show_deal", deal_id=deal.id))
    return (page(), 400) if request.method == "POST" else page()


#: The deal mode a conversation's intent suggests (others: the form's default).
INTENT_MODES = {
    "transfer": "transfer",
    "co_develop": "cooperation",
    "trial": "use_first_pay_later",
}
LICENCE_MODES = (Mode.LICENSE_EXCLUSIVE, Mode.LICENSE_NON_EXCLUSIVE, Mode.LICENSE_OPEN)


def _enquiry_mode(enquiry: Enquiry) -> str | None:
    """The mode to fill in: from the intent; a licence the result offers (else 普通许可)."""
    if enquiry.intent == "license":
        offered = enquiry.result.modes if enquiry.result is not None else 0
        mode = next((m for m in LICENCE_MODES if offered & m), Mode.LICENSE_NON_EXCLUSIVE)
        return str(mode.name).lower()
    return INTENT_MODES.get(str(enquiry.intent))


@bp.route("/deals/new/enquiry/<int:enquiry_id>", methods=["GET", "POST"])
@login_required
def new_enquiry_deal(enquiry_id: int) -> Response | str | tuple[str, int]:
    """登记合同 from a conversation: parties, mode and listing come from the enquiry."""
    enquiry = enquiries.get_enquiry(actor=current_user, enquiry_id=enquiry_id)
    form = DealForm()
    if request.method == "GET":
        recorded = deals.deal_of_enquiry(enquiry)
        if recorded is not None:  # "登记合同" again: the deal it already has
            flash(_("这项合作已经登记过合同。"), "info")
            return redirect(url_for("pipeline.show_deal", deal_id=recorded.id))
        ENQUIRY.check(enquiry, "record_deal", REFUSALS["record_deal"])
        form.payment_form.data = "lump_sum"
        mode = _enquiry_mode(enquiry)
        if mode is not None:
            form.mode.data = mode
        if mode == "use_first_pay_later":
            form.payment_form.data = mode

    def page() -> str:
        return render_template(
            "pipeline/deal_new.html",
            form=form,
            enquiry=enquiry,
            parties=deals.enquiry_parties(enquiry),
        )

    if form.validate_on_submit():
        on_refusal(page)
        with form_errors(form) as outcome:
            deal = deals.record_deal(actor=current_user, terms=form.to_terms(), enquiry=enquiry)
        if outcome.ok:
            flash(_("技术合同已登记。"), "success")
            return redirect(url_for("pipeline.show_deal", deal_id=deal.id))
    return (page(), 400) if request.method == "POST" else page()


@bp.get("/deals")
@login_required
def list_deals() -> str:
    """My organisation's deals, as provider or client."""
    items = (
        deals.organisation_deals(organisation_id=current_user.organisation_id)
        if current_user.organisation_id
        else []
    )
    return render_template("pipeline/deals.html", items=items, title_of=deals.title_of)


def _deal(deal_id: int) -> Deal:
    return deals.get_deal(actor=current_user, deal_id=deal_id)


def _milestone(deal: Deal, milestone_id: int) -> Milestone:
    milestone = next((m for m in deal.milestones if m.id == milestone_id), None)
    if milestone is None:
        abort(404)
    return milestone


def _render_deal(deal: Deal, **bound: object) -> str:
    today = datetime.now(CHINA).date()
    return render_template(
        "pipeline/deal.html",
        deal=deal,
        title=deals.title_of(deal),
        days_left=days_until(deal.trial_end, today) if deal.has_trial else None,
        action_form=ActionForm(formdata=None),
        milestone_form=bound.get("milestone") or MilestoneForm(formdata=None),
        evidence_forms={
            m.id: bound.get(f"evidence-{m.id}")
            or EvidenceForm(formdata=None, prefix=f"evidence-{m.id}")
            for m in deal.milestones
        },
        rework_forms={
            m.id: bound.get(f"rework-{m.id}") or ReasonForm(formdata=None, prefix=f"rework-{m.id}")
            for m in deal.milestones
        },
        terminate_form=bound.get("terminate") or ReasonForm(formdata=None, prefix="terminate"),
        trial_form=bound.get("trial") or TrialForm(formdata=None),
    )


@bp.get("/deals/<int:deal_id>")
@login_required
def show_deal(deal_id: int) -> str:
    """Parties, terms, milestones with evidence and acceptance, the trial panel."""
    return _render_deal(_deal(deal_id))


def _done(deal: Deal, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("pipeline.show_deal", deal_id=deal.id))


@bp.post("/deals/<int:deal_id>/milestones")
@login_required
def add_milestone(deal_id: int) -> Response | tuple[str, int]:
    """The client adds a delivery milestone."""
    deal = _deal(deal_id)
    form = MilestoneForm()
    if form.validate_on_submit():
        on_refusal(lambda: _render_deal(deal))
        with form_errors(form) as outcome:
            deals.add_milestone(
                actor=current_user, deal=deal, title=form.title.data, due_on=form.due_on.data
            )
        if outcome.ok:
            return _done(deal, _("里程碑已添加。"))
    return _render_deal(deal, milestone=form), 400


@bp.post("/deals/<int:deal_id>/milestones/<int:milestone_id>/evidence")
@login_required
@accepts_files
def submit_evidence(deal_id: int, milestone_id: int) -> Response | tuple[str, int]:
    """The provider uploads delivery evidence (PDF or image) with a note."""
    deal = _deal(deal_id)
    milestone = _milestone(deal, milestone_id)
    key = f"evidence-{milestone.id}"
    form = EvidenceForm(prefix=key)
    if form.validate_on_submit():
        upload = form.file.data
        on_refusal(lambda: _render_deal(deal))
        with form_errors(form) as outcome:
            deals.submit_milestone_evidence(
                actor=current_user,
                milestone=milestone,
                files=[(upload.stream, upload.filename or "")],
                note=form.note.data or "",
            )
        if outcome.ok:
            return _done(deal, _("交付材料已提交，等待对方验收。"))
    return _render_deal(deal, **{key: form}), 400


@bp.get("/deals/<int:deal_id>/evidence/<int:evidence_id>")
@login_required
def download_evidence(deal_id: int, evidence_id: int) -> Response:
    """Download a delivery file (parties and admins only)."""
    deal = _deal(deal_id)
    item = next((e for m in deal.milestones for e in m.evidence if e.id == evidence_id), None)
    blob = blob_of(item) if item is not None else None
    if item is None or blob is None or not blob.exists():
        abort(404)
    return send_stored_file(blob, content_type=item.content_type, name=item.original_name)


@bp.post("/deals/<int:deal_id>/milestones/<int:milestone_id>/accept")
@login_required
def accept_milestone(deal_id: int, milestone_id: int) -> Response | tuple[str, int]:
    """验收 passed."""
    deal = _deal(deal_id)
    milestone = _milestone(deal, milestone_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: _render_deal(deal))
    deals.accept_milestone(actor=current_user, milestone=milestone)
    return _done(deal, _("已验收通过。"))


@bp.post("/deals/<int:deal_id>/milestones/<int:milestone_id>/rework")
@login_required
def rework_milestone(deal_id: int, milestone_id: int) -> Response | tuple[str, int]:
    """验收 not passed: rework, with the reason the provider sees."""
    deal = _deal(deal_id)
    milestone = _milestone(deal, milestone_id)
    key = f"rework-{milestone.id}"
    form = ReasonForm(prefix=key)
    if form.validate_on_submit():
        on_refusal(lambda: _render_deal(deal))
        with form_errors(form) as outcome:
            deals.request_rework(actor=current_user, milestone=milestone, reason=form.reason.data)
        if outcome.ok:
            return _done(deal, _("已要求返工，对方会看到原因。"))
    return _render_deal(deal, **{key: form}), 400


@bp.post("/deals/<int:deal_id>/terminate")
@login_required
def terminate_deal(deal_id: int) -> Response | tuple[str, int]:
    """The client ends the contract early, with a reason."""
    deal = _deal(deal_id)
    form = ReasonForm(prefix="terminate")
    if form.validate_on_submit():
        on_refusal(lambda: _render_deal(deal))
        with form_errors(form) as outcome:
            deals.terminate_deal(actor=current_user, deal=deal, reason=form.reason.data)
        if outcome.ok:
            return _done(deal, _("技术合同已终止。"))
    return _render_deal(deal, terminate=form), 400


@bp.post("/deals/<int:deal_id>/trial")
@login_required
def end_trial(deal_id: int) -> Response | tuple[str, int]:
    """End a 先使用后付费 trial: pay, return or extend."""
    deal = _deal(deal_id)
    form = TrialForm()
    if form.validate_on_submit():
        on_refusal(lambda: _render_deal(deal))
        with form_errors(form) as outcome:
            trials.end_trial(
                actor=current_user, deal=deal, outcome=form.outcome.data, new_end=form.new_end.data
            )
        if outcome.ok:
            return _done(deal, _("试用期结果已记录。"))
    return _render_deal(deal, trial=form), 400
