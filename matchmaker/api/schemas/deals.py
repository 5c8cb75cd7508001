"""Schemas of the deals area's API operations: deals (技术合同), their milestones and evidence."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import has_request_context, request
from flask_smorest.fields import Upload
from marshmallow import fields, validate
from werkzeug.datastructures import FileStorage

from matchmaker.api.schemas import PageQuerySchema, PageSchema, WriteSchema
from matchmaker.api.schemas.numbers import Int
from matchmaker.models import DealMode, DealStatus, MilestoneStatus, PaymentForm, TrialOutcome
from matchmaker.services.platform.amounts import MAX_AMOUNT_WAN

_ID = validate.Range(min=1, max=2**31 - 1)
#: Free text: no NUL character (PostgreSQL cannot store one; the web refuses it too).
_TEXT = validate.Regexp(r"^[^\x00]*$")
_REASON = [validate.Length(min=1, max=2000), _TEXT]
_AMOUNT_HELP = "万元, at most two decimals."
_AMOUNT = validate.Range(min=0, max=MAX_AMOUNT_WAN)


# --- reading ------------------------------------------------------------------------------------
class DealQuerySchema(PageQuerySchema):
    """The caller's deals: newest first, optionally one status or one side only."""

    status = fields.Str(load_default=None, validate=validate.OneOf([str(s) for s in DealStatus]))
    side = fields.Str(
        load_default=None,
        validate=validate.OneOf(("provider", "client")),
        metadata={"description": "Only the deals where the caller's organisation is this side."},
    )


class DealPartySchema(ma.Schema):
    """One side of a deal: the organisation's id and name."""

    id = Int(required=True)
    name = fields.Str(required=True)


class DealBrokerSchema(ma.Schema):
    """The 技术经纪人 whose introduction led to the deal (as the deal page shows it)."""

    id = Int(required=True)
    name = fields.Str(required=True)
    licence_number = fields.Str(required=True)


class DealSourceSchema(ma.Schema):
    """What the deal was recorded from."""

    kind = fields.Str(
        required=True, validate=validate.OneOf(("application", "adoption", "enquiry"))
    )
    id = Int(required=True)


class DealEvidenceSchema(ma.Schema):
    """A delivery file of a milestone (metadata only; the file is on the web page's link)."""

    id = Int(required=True)
    name = fields.Str(required=True)
    content_type = fields.Str(required=True)
    size = Int(required=True, metadata={"description": "Bytes."})
    uploaded_at = fields.DateTime(required=True)
    url = fields.Str(required=True, metadata={"description": "Download (signed-in parties)."})


class DealMilestoneSchema(ma.Schema):
    """A delivery milestone and its 验收 state."""

    id = Int(required=True)
    position = Int(required=True)
    title = fields.Str(required=True)
    due_on = fields.Date(required=True)
    status = fields.Str(required=True, validate=validate.OneOf([str(s) for s in MilestoneStatus]))
    note = fields.Str(required=True, metadata={"description": "The provider's delivery note."})
    rework_reason = fields.Str(allow_none=True, required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    accepted_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    evidence = fields.List(fields.Nested(DealEvidenceSchema), required=True)


class DealMilestoneListSchema(ma.Schema):
    """A deal's milestones in their order."""

    items = fields.List(fields.Nested(DealMilestoneSchema), required=True)


class DealSummarySchema(ma.Schema):
    """A deal as the list shows it."""

    id = Int(required=True)
    title = fields.Str(required=True, metadata={"description": "What the deal is about."})
    status = fields.Str(required=True, validate=validate.OneOf([str(s) for s in DealStatus]))
    side = fields.Str(
        allow_none=True,
        required=True,
        metadata={"description": "provider or client: the caller's side (null for an admin)."},
    )
    provider = fields.Nested(DealPartySchema, required=True)
    client = fields.Nested(DealPartySchema, required=True)
    mode = fields.Str(required=True, validate=validate.OneOf([str(m) for m in DealMode]))
    amount_wan = fields.Decimal(
        as_string=True, places=2, required=True, metadata={"description": "万元"}
    )
    payment_form = fields.Str(required=True, validate=validate.OneOf([str(p) for p in PaymentForm]))
    signed_on = fields.Date(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)
    url = fields.Str(required=True, metadata={"description": "The web page of the deal."})


class DealSchema(DealSummarySchema):
    """A deal in full: terms, trial, source, broker and milestones."""

    contract_number = fields.Str(allow_none=True, required=True)
    trial_start = fields.Date(allow_none=True, required=True)
    trial_end = fields.Date(allow_none=True, required=True)
    trial_outcome = fields.Str(
        allow_none=True, required=True, validate=validate.OneOf([str(t) for t in TrialOutcome])
    )
    termination_reason = fields.Str(allow_none=True, required=True)
    source = fields.Nested(DealSourceSchema, required=True)
    broker = fields.Nested(DealBrokerSchema, allow_none=True, required=True)
    broker_fee_wan = fields.Decimal(
        as_string=True, places=2, allow_none=True, required=True, metadata={"description": "万元"}
    )
    milestones = fields.List(fields.Nested(DealMilestoneSchema), required=True)


class DealPageSchema(PageSchema):
    """One page of the caller's deals."""

    items = fields.List(fields.Nested(DealSummarySchema), required=True)


# --- writing ------------------------------------------------------------------------------------
class DealCreateSchema(WriteSchema):
    """The terms of the 登记合同 form, and exactly one source (application_id: a selected
    application; adoption_id: an accepted adoption request; enquiry_id: an accepted enquiry).
    The parties, the status and the broker come from the source."""

    application_id = Int(load_default=None, validate=_ID)
    adoption_id = Int(load_default=None, validate=_ID)
    enquiry_id = Int(load_default=None, validate=_ID)
    mode = fields.Str(required=True, validate=validate.OneOf([str(m) for m in DealMode]))
    amount_wan = fields.Decimal(
        as_string=True,
        required=True,
        validate=_AMOUNT,
        metadata={"description": _AMOUNT_HELP},
    )
    payment_form = fields.Str(required=True, validate=validate.OneOf([str(p) for p in PaymentForm]))
    contract_number = fields.Str(
        load_default=None, allow_none=True, validate=[validate.Length(max=64), _TEXT]
    )
    signed_on = fields.Date(load_default=None, allow_none=True)
    trial_start = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Required (with trial_end) for use_first_pay_later."},
    )
    trial_end = fields.Date(load_default=None, allow_none=True)
    broker_fee_wan = fields.Decimal(
        as_string=True,
        load_default=None,
        allow_none=True,
        validate=_AMOUNT,
        metadata={
            "description": "经纪服务费 (万元): only for a deal from a broker's introduction."
        },
    )


class DealMilestoneCreateSchema(WriteSchema):
    """A delivery milestone the client adds."""

    title = fields.Str(required=True, validate=[validate.Length(min=1, max=200), _TEXT])
    due_on = fields.Date(required=True)


class DealReasonSchema(WriteSchema):
    """A required reason (rework, termination), shown to the other party."""

    reason = fields.Str(required=True, validate=_REASON)


class DealTrialSchema(WriteSchema):
    """How a 先使用后付费 trial ends: pay, return, or extend to `new_end`."""

    outcome = fields.Str(required=True, validate=validate.OneOf([str(t) for t in TrialOutcome]))
    new_end = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Only to extend."}
    )


class _EvidenceFile(Upload):
    """An uploaded file (a text field of the same name is not one)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise ma.ValidationError("Not a valid file.")
        return value


class DealDeliverySchema(WriteSchema):
    """The provider's delivery (multipart/form-data): the evidence file and a note."""

    file = _EvidenceFile(
        required=True,
        metadata={
            "description": "PDF, Word, Excel, PowerPoint or an image, at most 10 MB (checked "
            "by content, as on the web)."
        },
    )
    note = fields.Str(load_default="", validate=[validate.Length(max=2000), _TEXT])

    @ma.pre_load
    def with_the_form(self, data: Any, **_kwargs: Any) -> dict[str, Any]:
        """Parsed from the files, joined by the text fields of the same multipart body (so an
        unknown text field is refused like an unknown file)."""
        merged: dict[str, Any] = dict(request.form.items()) if has_request_context() else {}
        merged.update({key: data[key] for key in data})
        return merged
