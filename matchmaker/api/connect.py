"""对接 through the API: enquiries (the inbox, sending one, the answers and steps of
services/connect/enquiry_states.py). Their messages, conversations and brokers' introductions
are in `conversations.py`.

Parties only: an enquiry exists for the members of its two organisations
(`enquiry_states.is_party`, the web's rule); anyone else, admins and brokers included, gets
404, as on the web. See api/common.py for the conventions of an operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import url_for
from werkzeug.wrappers import Response

from matchmaker.api.auth import BEARER, signed_caller, token_required
from matchmaker.api.common import bp, conditional, documented_errors, paged
from matchmaker.api.schemas import connect as s
from matchmaker.models import Enquiry, User
from matchmaker.models.enquiry import ENQUIRY_STATUS_LABELS
from matchmaker.services.connect import conversations, enquiries, introductions, targets
from matchmaker.services.connect.enquiry_states import ENQUIRY, is_member

#: The caller's side -> the steps it may take (the names of the POST operations), each with the
#: state machine's action that must be legal now.
_SIDE_ACTIONS = {
    "owner": (("accept", "accept"), ("decline", "decline"), ("ask", "ask_info")),
    "sender": (
        ("answer", "provide_info"),
        ("withdraw", "withdraw"),
        ("consent", "consent"),
        ("refuse", "refuse"),
    ),
}
_BOTH_ACTIONS = (("message", "message"), ("close", "close"))


# --- shaping ------------------------------------------------------------------------------------
def target(enquiry: Enquiry) -> dict[str, Any]:
    kind, target_id = enquiry.listing_kind, enquiry.listing.id
    if kind == "expert":
        url = url_for("talent.show_expert", expert_id=target_id, _external=True)
    else:
        url = url_for(f"market.{kind}", listing_id=target_id, _external=True)
    return {"kind": kind, "id": target_id, "title": targets.subject_title(enquiry), "url": url}


def org(org: Any) -> dict[str, Any]:
    return {"id": org.id, "name": org.name}


def _side(user: User, enquiry: Enquiry) -> str:
    return "owner" if is_member(user, enquiry.owner_org_id) else "sender"


def _actions(user: User, enquiry: Enquiry) -> list[str]:
    legal = set(ENQUIRY.allowed(enquiry))
    offered = (*_SIDE_ACTIONS[_side(user, enquiry)], *_BOTH_ACTIONS)
    return [name for name, action in offered if action in legal]


def _enquiry(enquiry: Enquiry, user: User, unread: set[int]) -> dict[str, Any]:
    broker = enquiry.broker if enquiry.is_introduction else None
    return {
        "id": enquiry.id,
        "status": str(enquiry.status),
        "status_label": str(ENQUIRY_STATUS_LABELS[enquiry.status]),
        "side": _side(user, enquiry),
        "target": target(enquiry),
        "intent": str(enquiry.intent),
        "message": enquiry.message,
        "nda_requested": enquiry.nda_requested,
        "source": str(enquiry.source),
        "sender_organisation": org(enquiry.sender_org),
        "owner_organisation": org(enquiry.owner_org),
        "created_at": enquiry.created_at,
        "answered_at": enquiry.answered_at,
        "info_request": enquiry.info_request,
        "decline_code": str(enquiry.decline_code) if enquiry.decline_code else None,
        "decline_reason": enquiry.decline_reason,
        "outcome": str(enquiry.outcome) if enquiry.outcome else None,
        "outcome_reason": enquiry.outcome_reason,
        "closed_at": enquiry.closed_at,
        "contacts": enquiries.contacts(enquiry),
        "broker": {"id": broker.id, "name": broker.user.name} if broker is not None else None,
        "for_need_id": enquiry.for_need_id,
        "actions": _actions(user, enquiry),
        "unread": enquiry.id in unread,
    }


def _answer(enquiry: Enquiry) -> dict[str, Any]:
    user = signed_caller()
    return _enquiry(enquiry, user, conversations.unread_enquiry_ids(user))


def party(enquiry_id: int) -> Enquiry:
    return enquiries.get_enquiry(actor=signed_caller(), enquiry_id=enquiry_id)


# --- the inbox and one enquiry ------------------------------------------------------------------
@bp.route("/enquiries", methods=["GET"])
@token_required("read", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.EnquiryListQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, s.EnquiryPageSchema)
@documented_errors(401, 403, 422)
def list_enquiries(query: dict[str, Any]) -> dict[str, Any]:
    """对接记录: the caller's organisation's enquiries, received or sent, newest first."""
    user = signed_caller()
    items = enquiries.inbox(actor=user, box=query["box"], status=query["status"] or None)
    unread = conversations.unread_enquiry_ids(user)
    return paged(items, query).as_dict(lambda e: _enquiry(e, user, unread))


@bp.route("/enquiries/<int:enquiry_id>", methods=["GET"])
@token_required("read", "connect")
@bp.doc(security=BEARER)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404)
def get_enquiry(enquiry_id: int) -> Response:
    """An enquiry of the caller's organisation (either side; ETag, If-None-Match gives 304)."""
    return conditional(s.EnquirySchema().dump(_answer(party(enquiry_id))))


@bp.route("/enquiries", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.EnquiryCreateSchema)
@bp.response(201, s.EnquirySchema)
@documented_errors(401, 403, 404, 409, 422, 429)
def create_enquiry(data: dict[str, Any]) -> dict[str, Any]:
    """发起对接 on a public result, need or expert (the web form's rules: a verified sender,
    not one's own, no block, one open enquiry per target, the daily cap: 429 with
    Retry-After, the seconds until midnight China time)."""
    enquiry = enquiries.create_enquiry(
        actor=signed_caller(),
        kind=data["kind"],
        listing_id=data["target_id"],
        data=enquiries.EnquiryData(
            intent=data["intent"],
            message=data["message"],
            nda_requested=data["nda_requested"],
        ),
    )
    return _answer(enquiry)


# --- the steps ----------------------------------------------------------------------------------
def _step(enquiry_id: int, take: Callable[[User, Enquiry], object]) -> dict[str, Any]:
    enquiry = party(enquiry_id)
    take(signed_caller(), enquiry)
    return _answer(enquiry)


@bp.route("/enquiries/<int:enquiry_id>/accept", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404, 409)
def accept_enquiry(enquiry_id: int) -> dict[str, Any]:
    """The owner accepts: both people's contacts are disclosed, the conversation opens."""
    return _step(enquiry_id, lambda u, e: enquiries.accept_enquiry(actor=u, enquiry=e))


@bp.route("/enquiries/<int:enquiry_id>/decline", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.EnquiryDeclineSchema)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404, 409, 422)
def decline_enquiry(data: dict[str, Any], enquiry_id: int) -> dict[str, Any]:
    """The owner declines with a reason code and the text the sender reads."""
    return _step(
        enquiry_id,
        lambda u, e: enquiries.decline_enquiry(
            actor=u, enquiry=e, code=data["code"], reason=data["reason"]
        ),
    )


@bp.route("/enquiries/<int:enquiry_id>/ask", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.EnquiryAskSchema)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404, 409, 422)
def ask_enquiry_information(data: dict[str, Any], enquiry_id: int) -> dict[str, Any]:
    """The owner asks the sender for more information before answering."""
    return _step(
        enquiry_id,
        lambda u, e: enquiries.ask_for_information(actor=u, enquiry=e, question=data["question"]),
    )


@bp.route("/enquiries/<int:enquiry_id>/answer", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.EnquiryAnswerSchema)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404, 409, 422)
def answer_enquiry_question(data: dict[str, Any], enquiry_id: int) -> dict[str, Any]:
    """The sender answers the owner's question (kept as a message of the thread)."""
    return _step(
        enquiry_id,
        lambda u, e: enquiries.provide_information(actor=u, enquiry=e, text=data["text"]),
    )


@bp.route("/enquiries/<int:enquiry_id>/withdraw", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404, 409)
def withdraw_enquiry(enquiry_id: int) -> dict[str, Any]:
    """The sender withdraws an enquiry not yet accepted or declined."""
    return _step(enquiry_id, lambda u, e: enquiries.withdraw_enquiry(actor=u, enquiry=e))


#: The close body's rule across fields, in the document: no_deal needs a reason (not blank).
_CLOSE_BODY = {
    "allOf": [
        s.EnquiryCloseSchema,
        {
            "anyOf": [
                {"properties": {"outcome": {"enum": ["contract", "offline"]}}},
                {
                    "properties": {
                        "outcome": {"const": "no_deal"},
                        "reason": {"type": "string", "pattern": s.NOT_BLANK_PATTERN},
                    },
                    "required": ["reason"],
                },
            ]
        },
    ]
}


@bp.route("/enquiries/<int:enquiry_id>/close", methods=["POST"])
@token_required("write", "connect")
@bp.doc(
    security=BEARER,
    requestBody={"content": {"application/json": {"schema": _CLOSE_BODY}}},
)
@bp.arguments(s.EnquiryCloseSchema)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404, 409, 422)
def close_enquiry(data: dict[str, Any], enquiry_id: int) -> dict[str, Any]:
    """Either side ends the conversation: contract, no_deal (with a reason) or offline."""
    return _step(
        enquiry_id,
        lambda u, e: conversations.close_conversation(
            actor=u, enquiry=e, outcome=data["outcome"], reason=data["reason"]
        ),
    )


@bp.route("/enquiries/<int:enquiry_id>/consent", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404, 409, 429)
def consent_introduction(enquiry_id: int) -> dict[str, Any]:
    """The need owner agrees to a broker's introduction (proposed): it is sent as its enquiry."""
    return _step(enquiry_id, lambda u, e: introductions.consent_introduction(actor=u, enquiry=e))


@bp.route("/enquiries/<int:enquiry_id>/refuse", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.IntroductionRefuseSchema)
@bp.response(200, s.EnquirySchema)
@documented_errors(401, 403, 404, 409, 422)
def refuse_introduction(data: dict[str, Any], enquiry_id: int) -> dict[str, Any]:
    """The need owner declines a broker's introduction, with the reason the broker reads."""
    return _step(
        enquiry_id,
        lambda u, e: introductions.refuse_introduction(actor=u, enquiry=e, reason=data["reason"]),
    )
