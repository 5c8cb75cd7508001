"""对接 through the API: an enquiry's conversation (messages, read state), the caller's
conversations and brokers' introductions (the broker's own list, metadata only). The enquiries
and their steps are in `connect.py`.

Parties only: an enquiry's messages and its conversation exist for the members of its two
organisations (`enquiry_states.is_party`, the web's rule); anyone else, admins and brokers
included, gets 404, as on the web. See api/common.py for the conventions of an operation.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import url_for

from matchmaker.api.auth import BEARER, signed_caller, token_required
from matchmaker.api.common import bp, documented_errors, paged
from matchmaker.api.connect import org, party, target
from matchmaker.api.schemas import PageQuerySchema
from matchmaker.api.schemas import connect as s
from matchmaker.extensions import db
from matchmaker.models import Enquiry, EnquiryMessage, EnquiryStatus, User
from matchmaker.models.enquiry import ENQUIRY_STATUS_LABELS
from matchmaker.services.connect import conversations, enquiries, introductions
from matchmaker.services.connect.enquiry_states import ENQUIRY, is_member
from matchmaker.services.connect.inbox import BOXES
from matchmaker.services.errors import NotFound

_CONVERSATION_STATES = (EnquiryStatus.ACCEPTED, EnquiryStatus.CLOSED)


# --- the conversation ---------------------------------------------------------------------------
def _message(message: EnquiryMessage, user: User) -> dict[str, Any]:
    author = message.author
    return {
        "id": message.id,
        "enquiry_id": message.enquiry_id,
        "body": message.body,
        "author": {"id": author.id, "name": author.name} if author is not None else None,
        "organisation": org(
            message.enquiry.sender_org
            if message.author_org_id == message.enquiry.sender_org_id
            else message.enquiry.owner_org
        ),
        "mine": message.author_org_id == user.organisation_id,
        "created_at": message.created_at,
        "reported": message.reported_at is not None,
    }


@bp.route("/enquiries/<int:enquiry_id>/messages", methods=["GET"])
@token_required("read", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.EnquiryMessageQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, s.EnquiryMessagePageSchema)
@documented_errors(401, 403, 404, 422)
def list_enquiry_messages(query: dict[str, Any], enquiry_id: int) -> dict[str, Any]:
    """The thread, oldest first (order=newest: newest first); reading it marks the
    conversation read for the caller, as opening the web page does."""
    user = signed_caller()
    enquiry = party(enquiry_id)
    thread = conversations.messages(enquiry)
    if query["order"] == "newest":
        thread.reverse()
    conversations.mark_read(actor=user, enquiry=enquiry)
    return paged(thread, query).as_dict(lambda m: _message(m, user))


@bp.route("/enquiries/<int:enquiry_id>/messages", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.EnquiryMessageCreateSchema)
@bp.response(201, s.EnquiryMessageSchema)
@documented_errors(401, 403, 404, 405, 409, 422)
def post_enquiry_message(data: dict[str, Any], enquiry_id: int) -> dict[str, Any]:
    """A message in an accepted conversation (the other side is told, without the text).

    An id above 2147483647 answers 405 here (werkzeug: the list's GET rule matches the path)."""
    user = signed_caller()
    enquiry = party(enquiry_id)
    message = conversations.post_message(actor=user, enquiry=enquiry, body=data["body"])
    return _message(message, user)


@bp.route("/enquiries/<int:enquiry_id>/messages/<int:message_id>/report", methods=["POST"])
@token_required("write", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.EnquiryMessageReportSchema)
@bp.response(200, s.EnquiryMessageSchema)
@documented_errors(401, 403, 404, 409, 422)
def report_enquiry_message(data: dict[str, Any], enquiry_id: int, message_id: int) -> Any:
    """Report a message of the other side (not one's own, once): the admins then read it."""
    user = signed_caller()
    enquiry = party(enquiry_id)
    message = conversations.get_message(actor=user, message_id=message_id)
    if message.enquiry_id != enquiry.id:
        raise NotFound
    conversations.report_message(actor=user, message=message, reason=data["reason"])
    return _message(message, user)


# --- conversations: accepted (or ended) enquiries -----------------------------------------------
def _conversations(user: User, status: str) -> list[Enquiry]:
    """Both boxes of the inbox, in a conversation state, newest first (sent first on a tie)."""
    found = [
        enquiry
        for box in BOXES
        for enquiry in enquiries.inbox(actor=user, box=box, status=status or None)
        if enquiry.status in _CONVERSATION_STATES
    ]
    return sorted(found, key=lambda e: (e.created_at, e.id), reverse=True)


def _thread_figures(ids: list[int]) -> dict[int, tuple[int, Any]]:
    """enquiry id -> (messages, last message time)."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(
            EnquiryMessage.enquiry_id,
            sa.func.count(EnquiryMessage.id),
            sa.func.max(EnquiryMessage.created_at),
        )
        .where(EnquiryMessage.enquiry_id.in_(ids))
        .group_by(EnquiryMessage.enquiry_id)
    ).all()
    return {enquiry_id: (count, last) for enquiry_id, count, last in rows}


def _conversation(
    enquiry: Enquiry, user: User, unread: set[int], figures: dict[int, tuple[int, Any]]
) -> dict[str, Any]:
    count, last = figures.get(enquiry.id, (0, None))
    owner = is_member(user, enquiry.owner_org_id)
    return {
        "id": enquiry.id,
        "status": str(enquiry.status),
        "status_label": str(ENQUIRY_STATUS_LABELS[enquiry.status]),
        "target": target(enquiry),
        "other_organisation": org(enquiry.sender_org if owner else enquiry.owner_org),
        "messages": count,
        "last_message_at": last,
        "unread": enquiry.id in unread,
        "can_message": ENQUIRY.can(enquiry, "message"),
        "messages_url": url_for("api.list_enquiry_messages", enquiry_id=enquiry.id, _external=True),
    }


@bp.route("/conversations", methods=["GET"])
@token_required("read", "connect")
@bp.doc(security=BEARER)
@bp.arguments(s.ConversationListQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, s.ConversationPageSchema)
@documented_errors(401, 403, 422)
def list_conversations(query: dict[str, Any]) -> dict[str, Any]:
    """The caller's conversations (accepted or ended enquiries, either side), newest first;
    a conversation's id is its enquiry's."""
    user = signed_caller()
    page = paged(_conversations(user, query["status"]), query)
    unread = conversations.unread_enquiry_ids(user)
    figures = _thread_figures([e.id for e in page.items])
    return page.as_dict(lambda e: _conversation(e, user, unread, figures))


@bp.route("/conversations/<int:enquiry_id>", methods=["GET"])
@token_required("read", "connect")
@bp.doc(security=BEARER)
@bp.response(200, s.ConversationSchema)
@documented_errors(401, 403, 404)
def get_conversation(enquiry_id: int) -> dict[str, Any]:
    """One conversation of the caller's organisation (404 before the enquiry is accepted)."""
    user = signed_caller()
    enquiry = party(enquiry_id)
    if enquiry.status not in _CONVERSATION_STATES:
        raise NotFound
    unread = conversations.unread_enquiry_ids(user)
    return _conversation(enquiry, user, unread, _thread_figures([enquiry.id]))


# --- the broker's introductions -----------------------------------------------------------------
@bp.route("/introductions", methods=["GET"])
@token_required("read", "connect")
@bp.doc(security=BEARER)
@bp.arguments(PageQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, s.IntroductionPageSchema)
@documented_errors(401, 403, 422)
def list_introductions(query: dict[str, Any]) -> dict[str, Any]:
    """我的引荐 (verified brokers): the broker's introductions, newest first, metadata only
    (states, dates, organisations; never messages). Others: 403."""
    rows = introductions.broker_introductions(actor=signed_caller())
    return paged(rows, query).as_dict(
        lambda r: {
            "id": r.id,
            "status": r.status,
            "status_label": str(ENQUIRY_STATUS_LABELS[EnquiryStatus(r.status)]),
            "created_at": r.created_at,
            "need_id": r.need_id,
            "need_title": r.need_title,
            "sender_organisation": r.sender_org,
            "target_kind": r.target_kind,
            "target_id": r.target_id,
            "target_title": r.target_title,
            "owner_organisation": r.owner_org,
            "intent": r.intent,
            "outcome": r.outcome,
            "refusal": r.refusal,
            "deal_status": r.deal_status,
        }
    )
