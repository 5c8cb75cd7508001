"""Deals (技术合同) and their milestones (验收): the operations of the deal pages
(web/pipeline/deal_views.py) over services/challenges/deals.py and trials.py.

Deals are never public: every operation needs a token, and only the deal's parties (members of
either organisation) and admins see a deal; for anyone else it does not exist (404).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from marshmallow import RAISE
from werkzeug.wrappers import Response

from matchmaker.api.auth import BEARER, caller, signed_caller, token_required
from matchmaker.api.common import bp, conditional, documented_errors, paged
from matchmaker.api.schemas import deals as s
from matchmaker.models import Deal, Milestone, User
from matchmaker.services.challenges import applications, conversion, deals, trials
from matchmaker.services.connect import enquiries
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.web.policy import accepts_files

SOURCES = ("application_id", "adoption_id", "enquiry_id")


# --- answers ------------------------------------------------------------------------------------
def _side(user: User | None, deal: Deal) -> str | None:
    org = user.organisation_id if user is not None else None
    if org is not None and org == deal.provider_org_id:
        return "provider"
    if org is not None and org == deal.client_org_id:
        return "client"
    return None


def _milestone_dict(deal: Deal, m: Milestone) -> dict[str, Any]:
    return {
        "id": m.id,
        "position": m.position,
        "title": m.title,
        "due_on": m.due_on,
        "status": str(m.status),
        "note": m.note or "",
        "rework_reason": m.rework_reason,
        "submitted_at": m.submitted_at,
        "accepted_at": m.accepted_at,
        "created_at": m.created_at,
        "evidence": [
            {
                "id": e.id,
                "name": e.original_name,
                "content_type": e.content_type,
                "size": e.size,
                "uploaded_at": e.created_at,
                "url": url_for(
                    "pipeline.download_evidence", deal_id=deal.id, evidence_id=e.id, _external=True
                ),
            }
            for e in m.evidence
        ],
    }


def _summary(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.id,
        "title": deals.title_of(deal),
        "status": str(deal.status),
        "side": _side(caller(), deal),
        "provider": {"id": deal.provider.id, "name": deal.provider.name},
        "client": {"id": deal.client.id, "name": deal.client.name},
        "mode": str(deal.mode),
        "amount_wan": deal.amount_wan,
        "payment_form": str(deal.payment_form),
        "signed_on": deal.signed_on,
        "created_at": deal.created_at,
        "closed_at": deal.closed_at,
        "url": url_for("pipeline.show_deal", deal_id=deal.id, _external=True),
    }


def _source(deal: Deal) -> dict[str, Any]:
    if deal.application_id is not None:
        return {"kind": "application", "id": deal.application_id}
    if deal.adoption_request_id is not None:
        return {"kind": "adoption", "id": deal.adoption_request_id}
    return {"kind": "enquiry", "id": deal.enquiry_id}


def _detail(deal: Deal) -> dict[str, Any]:
    broker = deal.broker
    return {
        **_summary(deal),
        "contract_number": deal.contract_number,
        "trial_start": deal.trial_start,
        "trial_end": deal.trial_end,
        "trial_outcome": str(deal.trial_outcome) if deal.trial_outcome else None,
        "termination_reason": deal.termination_reason,
        "source": _source(deal),
        "broker": (
            {"id": broker.id, "name": broker.user.name, "licence_number": broker.licence_number}
            if broker is not None
            else None
        ),
        "broker_fee_wan": deal.broker_fee_wan,
        "milestones": [_milestone_dict(deal, m) for m in deal.milestones],
    }


def _deal(deal_id: int) -> Deal:
    return deals.get_deal(actor=signed_caller(), deal_id=deal_id)


def _milestone(deal: Deal, milestone_id: int) -> Milestone:
    milestone = next((m for m in deal.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound
    return milestone


# --- deals --------------------------------------------------------------------------------------
@bp.route("/deals", methods=["GET"])
@token_required("read", "deals")
@bp.doc(security=BEARER)
@bp.arguments(s.DealQuerySchema, location="query")
@bp.response(200, s.DealPageSchema)
@documented_errors(401, 403, 422)
def list_deals(query: dict[str, Any]) -> dict[str, Any]:
    """技术合同: the deals of the caller's organisation (provider or client), newest first."""
    user = signed_caller()
    org = user.organisation_id
    items = deals.organisation_deals(organisation_id=org) if org else []
    if query["status"]:
        items = [d for d in items if d.status == query["status"]]
    if query["side"]:
        items = [d for d in items if _side(user, d) == query["side"]]
    return paged(items, query).as_dict(_summary)


@bp.route("/deals/<int:deal_id>", methods=["GET"])
@token_required("read", "deals")
@bp.doc(security=BEARER)
@bp.response(200, s.DealSchema)
@documented_errors(401, 403, 404)
def get_deal(deal_id: int) -> Response:
    """A deal with its parties, terms, state and milestones (ETag; If-None-Match: 304)."""
    return conditional(s.DealSchema().dump(_detail(_deal(deal_id))))


def _terms(data: dict[str, Any]) -> deals.DealTerms:
    return deals.DealTerms(
        mode=data["mode"],
        amount_wan=data["amount_wan"],
        payment_form=data["payment_form"],
        contract_number=(data["contract_number"] or "").strip() or None,
        signed_on=data["signed_on"],
        trial_start=data["trial_start"],
        trial_end=data["trial_end"],
        broker_fee_wan=data["broker_fee_wan"],
    )


@bp.route("/deals", methods=["POST"])
@token_required("write", "deals")
@bp.doc(security=BEARER)
@bp.arguments(s.DealCreateSchema)
@bp.response(201, s.DealSchema)
@documented_errors(401, 403, 404, 409, 422)
def create_deal(data: dict[str, Any]) -> dict[str, Any]:
    """登记合同: record the contract of a selected application (the challenge owner), an
    accepted adoption request or an accepted enquiry (either party), as the web forms do."""
    given = [name for name in SOURCES if data[name] is not None]
    if len(given) != 1:
        message = _("请只填写 application_id、adoption_id、enquiry_id 中的一项。")
        raise ValidationFailed({name: [message] for name in (given or SOURCES)})
    actor = signed_caller()
    terms = _terms(data)
    if data["application_id"] is not None:
        application = applications.get_application(
            actor=actor, application_id=data["application_id"]
        )
        deal = deals.record_deal(actor=actor, terms=terms, application=application)
    elif data["adoption_id"] is not None:
        adoption = conversion.get_adoption(actor=actor, request_id=data["adoption_id"])
        deal = deals.record_deal(actor=actor, terms=terms, adoption=adoption)
    else:
        enquiry = enquiries.get_enquiry(actor=actor, enquiry_id=data["enquiry_id"])
        deal = deals.record_deal(actor=actor, terms=terms, enquiry=enquiry)
    return _detail(deal)


@bp.route("/deals/<int:deal_id>/terminate", methods=["POST"])
@token_required("write", "deals")
@bp.doc(security=BEARER)
@bp.arguments(s.DealReasonSchema)
@bp.response(200, s.DealSchema)
@documented_errors(401, 403, 404, 409, 422)
def terminate_deal(data: dict[str, Any], deal_id: int) -> dict[str, Any]:
    """The client ends the contract early, with the reason the other party sees."""
    deal = _deal(deal_id)
    deals.terminate_deal(actor=signed_caller(), deal=deal, reason=data["reason"])
    return _detail(deal)


@bp.route("/deals/<int:deal_id>/trial", methods=["POST"])
@token_required("write", "deals")
@bp.doc(security=BEARER)
@bp.arguments(s.DealTrialSchema)
@bp.response(200, s.DealSchema)
@documented_errors(401, 403, 404, 409, 422)
def end_deal_trial(data: dict[str, Any], deal_id: int) -> dict[str, Any]:
    """The client ends a 先使用后付费 trial: pay, return, or extend (with `new_end`)."""
    deal = _deal(deal_id)
    trials.end_trial(
        actor=signed_caller(), deal=deal, outcome=data["outcome"], new_end=data["new_end"]
    )
    return _detail(deal)


# --- milestones ---------------------------------------------------------------------------------
@bp.route("/deals/<int:deal_id>/milestones", methods=["GET"])
@token_required("read", "deals")
@bp.doc(security=BEARER)
@bp.response(200, s.DealMilestoneListSchema)
@documented_errors(401, 403, 404)
def list_deal_milestones(deal_id: int) -> dict[str, Any]:
    """A deal's milestones in order, with their 验收 state and evidence files (metadata)."""
    deal = _deal(deal_id)
    return {"items": [_milestone_dict(deal, m) for m in deal.milestones]}


@bp.route("/deals/<int:deal_id>/milestones", methods=["POST"])
@token_required("write", "deals")
@bp.doc(security=BEARER)
@bp.arguments(s.DealMilestoneCreateSchema)
@bp.response(201, s.DealMilestoneSchema)
@documented_errors(401, 403, 404, 409, 422)
def add_deal_milestone(data: dict[str, Any], deal_id: int) -> dict[str, Any]:
    """The client adds a delivery milestone to an active deal."""
    deal = _deal(deal_id)
    milestone = deals.add_milestone(
        actor=signed_caller(), deal=deal, title=data["title"], due_on=data["due_on"]
    )
    return _milestone_dict(deal, milestone)


@bp.route("/deals/<int:deal_id>/milestones/<int:milestone_id>/evidence", methods=["POST"])
@token_required("write", "deals")
@accepts_files
@bp.doc(security=BEARER)
@bp.arguments(s.DealDeliverySchema, location="files", unknown=RAISE)
@bp.response(200, s.DealMilestoneSchema)
@documented_errors(401, 403, 404, 409, 413, 422)
def submit_deal_evidence(data: dict[str, Any], deal_id: int, milestone_id: int) -> dict[str, Any]:
    """The provider delivers a milestone: an evidence file and a note, for the client's 验收."""
    deal = _deal(deal_id)
    milestone = _milestone(deal, milestone_id)
    file = data["file"]
    deals.submit_milestone_evidence(
        actor=signed_caller(),
        milestone=milestone,
        files=[(file.stream, file.filename or "")],
        note=data["note"],
    )
    return _milestone_dict(deal, milestone)


@bp.route("/deals/<int:deal_id>/milestones/<int:milestone_id>/accept", methods=["POST"])
@token_required("write", "deals")
@bp.doc(security=BEARER)
@bp.response(200, s.DealMilestoneSchema)
@documented_errors(401, 403, 404, 409)
def accept_deal_milestone(deal_id: int, milestone_id: int) -> dict[str, Any]:
    """验收通过 (the client, once the provider has submitted evidence); the last accepted
    milestone completes the deal."""
    deal = _deal(deal_id)
    milestone = _milestone(deal, milestone_id)
    deals.accept_milestone(actor=signed_caller(), milestone=milestone)
    return _milestone_dict(deal, milestone)


@bp.route("/deals/<int:deal_id>/milestones/<int:milestone_id>/rework", methods=["POST"])
@token_required("write", "deals")
@bp.doc(security=BEARER)
@bp.arguments(s.DealReasonSchema)
@bp.response(200, s.DealMilestoneSchema)
@documented_errors(401, 403, 404, 409, 422)
def rework_deal_milestone(data: dict[str, Any], deal_id: int, milestone_id: int) -> dict[str, Any]:
    """验收不通过: the client asks for rework, with the reason the provider sees."""
    deal = _deal(deal_id)
    milestone = _milestone(deal, milestone_id)
    deals.request_rework(actor=signed_caller(), milestone=milestone, reason=data["reason"])
    return _milestone_dict(deal, milestone)
