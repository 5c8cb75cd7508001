"""Schemas of the connect area's API operations: 对接 enquiries, their answers and their
conversations (the enquiry row is the conversation once accepted), and brokers' introductions."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from matchmaker.api.schemas import OrganisationRefSchema, PageQuerySchema, PageSchema, WriteSchema
from matchmaker.api.schemas.numbers import Int
from matchmaker.models.enquiry import (
    ConversationOutcome,
    EnquiryDecline,
    EnquiryIntent,
    EnquiryStatus,
)
from matchmaker.services.connect import enquiry_states, inbox, introductions, targets

_ID = validate.Range(min=1, max=2**31 - 1)
#: Free text: no NUL character (PostgreSQL cannot store one; the web refuses it too).
_NO_NUL = validate.Regexp(r"^[^\x00]*$")
#: White space for Python (str.strip) and for JSON Schema's ECMA regular expressions alike.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
#: Required text: something besides white space (the services strip it), no NUL; the document
#: says so, and the pattern matches in linear time.
NOT_BLANK_PATTERN = rf"^[{_SPACE}]*[^{_SPACE}\x00][^\x00]*$"
_NOT_BLANK = validate.Regexp(NOT_BLANK_PATTERN)
#: The longest text the services take (enquiry_states.MAX_TEXT, introductions.MAX_NOTE).
MAX_TEXT = enquiry_states.MAX_TEXT
MAX_NOTE = introductions.MAX_NOTE


class StrictBool(fields.Boolean):
    """true or false only (marshmallow's Boolean also takes 0, 1, "yes"...: not JSON booleans)."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _text(max_length: int = MAX_TEXT, **kwargs: Any) -> fields.Str:
    """Required free text, as the services accept it (the document says so too)."""
    return fields.Str(
        required=True, validate=[validate.Length(min=1, max=max_length), _NOT_BLANK], **kwargs
    )


STATUSES = tuple(str(s) for s in EnquiryStatus)
INTENTS = tuple(str(i) for i in EnquiryIntent)
DECLINE_CODES = tuple(str(c) for c in EnquiryDecline)
OUTCOMES = tuple(str(o) for o in ConversationOutcome)
#: The steps a caller may take on an enquiry (each is `POST /enquiries/{id}/<action>`).
ACTIONS = (
    "accept",
    "decline",
    "ask",
    "answer",
    "withdraw",
    "consent",
    "refuse",
    "message",
    "close",
)


# --- requests -----------------------------------------------------------------------------------
class EnquiryListQuerySchema(PageQuerySchema):
    """The inbox's tabs and state filter (the web inbox's `box` and `status`)."""

    box = fields.Str(
        load_default="received",
        validate=validate.OneOf(inbox.BOXES),
        metadata={
            "description": "received: enquiries to the caller's organisation; sent: those it "
            "sent, brokers' introductions made for it included."
        },
    )
    status = fields.Str(load_default="", validate=validate.OneOf(("", *STATUSES)))


class EnquiryCreateSchema(WriteSchema):
    """发起对接: what the web form takes. Status, organisations, the sender and the source are
    set by the server (sending any of them is a 422)."""

    kind = fields.Str(
        required=True,
        validate=validate.OneOf(targets.KINDS),
        metadata={"description": "What the enquiry is about: a result, a need or an expert."},
    )
    target_id = Int(required=True, validate=_ID)
    intent = fields.Str(required=True, validate=validate.OneOf(INTENTS))
    message = _text(metadata={"description": "What the other side reads before it answers."})
    nda_requested = StrictBool(load_default=False)


class EnquiryDeclineSchema(WriteSchema):
    """The owner declines: a reason code and the text the sender reads."""

    code = fields.Str(required=True, validate=validate.OneOf(DECLINE_CODES))
    reason = _text()


class EnquiryAskSchema(WriteSchema):
    """The owner asks the sender for more information."""

    question = _text()


class EnquiryAnswerSchema(WriteSchema):
    """The sender's answer to the owner's question."""

    text = _text()


class EnquiryCloseSchema(WriteSchema):
    """End the conversation with an outcome (no_deal needs a reason)."""

    outcome = fields.Str(required=True, validate=validate.OneOf(OUTCOMES))
    reason = fields.Str(
        load_default="",
        validate=[validate.Length(max=MAX_TEXT), _NO_NUL],
        metadata={"description": "Required (not blank) when the outcome is no_deal."},
    )


class IntroductionRefuseSchema(WriteSchema):
    """The need owner declines a broker's introduction, with the reason the broker reads."""

    reason = _text(MAX_NOTE)


class EnquiryMessageCreateSchema(WriteSchema):
    """A message of the conversation (text; files only through the web page)."""

    body = _text()


class EnquiryMessageReportSchema(WriteSchema):
    """Report the other side's message: from then on the platform's admins may read it."""

    reason = _text()


class EnquiryMessageQuerySchema(PageQuerySchema):
    """A page of the thread."""

    order = fields.Str(
        load_default="oldest",
        validate=validate.OneOf(("oldest", "newest")),
        metadata={"description": "oldest first (as the web page) or newest first."},
    )


class ConversationListQuerySchema(PageQuerySchema):
    """The caller's conversations (accepted or ended enquiries)."""

    status = fields.Str(load_default="", validate=validate.OneOf(("", "accepted", "closed")))


# --- answers ------------------------------------------------------------------------------------
class EnquiryTargetSchema(ma.Schema):
    """The public result, need or expert profile an enquiry is about."""

    kind = fields.Str(required=True, metadata={"description": "result, need or expert"})
    id = Int(required=True)
    title = fields.Str(required=True)
    url = fields.Str(required=True, metadata={"description": "Its public web page."})


class EnquiryContactSchema(ma.Schema):
    """One person's contact details (disclosed to both sides once the owner accepts)."""

    name = fields.Str(required=True)
    email = fields.Str(required=True)
    phone = fields.Str(required=True)
    organisation = fields.Str(required=True)


class EnquiryContactsSchema(ma.Schema):
    """Both people's contacts (null before acceptance)."""

    sender = fields.Nested(EnquiryContactSchema, allow_none=True, required=True)
    owner = fields.Nested(EnquiryContactSchema, allow_none=True, required=True)


class EnquiryBrokerSchema(ma.Schema):
    """The 技术经纪人 who introduced the two sides (introductions only)."""

    id = Int(required=True)
    name = fields.Str(required=True)


class EnquirySchema(ma.Schema):
    """An enquiry as its two organisations see it (and, once accepted, its conversation)."""

    id = Int(required=True)
    status = fields.Str(required=True, metadata={"enum": list(STATUSES)})
    status_label = fields.Str(required=True, metadata={"description": "In the caller's language."})
    side = fields.Str(
        required=True,
        metadata={"description": "The caller's side: sender or owner (the one contacted)."},
    )
    target = fields.Nested(EnquiryTargetSchema, required=True)
    intent = fields.Str(required=True, metadata={"enum": list(INTENTS)})
    message = fields.Str(required=True)
    nda_requested = fields.Bool(required=True)
    source = fields.Str(
        required=True, metadata={"description": "listing, recommendation, conversion, introduction"}
    )
    sender_organisation = fields.Nested(OrganisationRefSchema, required=True)
    owner_organisation = fields.Nested(OrganisationRefSchema, required=True)
    created_at = fields.DateTime(required=True)
    answered_at = fields.DateTime(allow_none=True, required=True)
    info_request = fields.Str(allow_none=True, required=True)
    decline_code = fields.Str(allow_none=True, required=True)
    decline_reason = fields.Str(allow_none=True, required=True)
    outcome = fields.Str(allow_none=True, required=True)
    outcome_reason = fields.Str(allow_none=True, required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)
    contacts = fields.Nested(EnquiryContactsSchema, allow_none=True, required=True)
    broker = fields.Nested(EnquiryBrokerSchema, allow_none=True, required=True)
    for_need_id = Int(
        allow_none=True,
        required=True,
        metadata={"description": "Introductions: the sender's need the broker made it for."},
    )
    actions = fields.List(
        fields.Str(),
        required=True,
        metadata={"description": "What the caller may do now: POST /enquiries/{id}/<action>."},
    )
    unread = fields.Bool(
        required=True, metadata={"description": "Messages from the other side not read yet."}
    )


class EnquiryPageSchema(PageSchema):
    """One page of the inbox, newest first."""

    items = fields.List(fields.Nested(EnquirySchema), required=True)


class EnquiryAuthorSchema(ma.Schema):
    """The person who wrote a message."""

    id = Int(required=True)
    name = fields.Str(required=True)


class EnquiryMessageSchema(ma.Schema):
    """One message of a conversation."""

    id = Int(required=True)
    enquiry_id = Int(required=True)
    body = fields.Str(required=True)
    author = fields.Nested(EnquiryAuthorSchema, allow_none=True, required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    mine = fields.Bool(
        required=True, metadata={"description": "Written by the caller's organisation."}
    )
    created_at = fields.DateTime(required=True)
    reported = fields.Bool(required=True)


class EnquiryMessagePageSchema(PageSchema):
    """One page of a thread."""

    items = fields.List(fields.Nested(EnquiryMessageSchema), required=True)


class ConversationSchema(ma.Schema):
    """A conversation: an accepted (or ended) enquiry, seen from the caller's side."""

    id = Int(required=True, metadata={"description": "The enquiry's id."})
    status = fields.Str(required=True, metadata={"enum": ["accepted", "closed"]})
    status_label = fields.Str(required=True)
    target = fields.Nested(EnquiryTargetSchema, required=True)
    other_organisation = fields.Nested(OrganisationRefSchema, required=True)
    messages = Int(required=True, metadata={"description": "How many messages."})
    last_message_at = fields.DateTime(allow_none=True, required=True)
    unread = fields.Bool(required=True)
    can_message = fields.Bool(required=True)
    messages_url = fields.Str(required=True)


class ConversationPageSchema(PageSchema):
    """One page of the caller's conversations, newest first."""

    items = fields.List(fields.Nested(ConversationSchema), required=True)


class IntroductionSchema(ma.Schema):
    """A broker's introduction as the broker sees it: metadata only, never messages."""

    id = Int(required=True)
    status = fields.Str(required=True)
    status_label = fields.Str(required=True)
    created_at = fields.DateTime(required=True)
    need_id = Int(allow_none=True, required=True)
    need_title = fields.Str(required=True)
    sender_organisation = fields.Str(required=True)
    target_kind = fields.Str(required=True)
    target_id = Int(required=True)
    target_title = fields.Str(required=True)
    owner_organisation = fields.Str(required=True)
    intent = fields.Str(required=True)
    outcome = fields.Str(allow_none=True, required=True)
    refusal = fields.Str(allow_none=True, required=True)
    deal_status = fields.Str(allow_none=True, required=True)


class IntroductionPageSchema(PageSchema):
    """One page of the broker's introductions, newest first."""

    items = fields.List(fields.Nested(IntroductionSchema), required=True)
