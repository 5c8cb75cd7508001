"""Schemas of the events API: the public list of events of every kind and an event's page."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from matchmaker.api.schemas import OrganisationRefSchema, PageQuerySchema, PageSchema
from matchmaker.api.schemas.numbers import Int
from matchmaker.models import EventKind


class EventQuerySchema(PageQuerySchema):
    """Upcoming events (default) or past ones, of one kind or all."""

    kind = fields.Str(
        load_default="",
        validate=validate.OneOf(("", *(k.value for k in EventKind))),
        metadata={"description": "matchmaking, roadshow, bank_enterprise, salon or talent."},
    )
    status = fields.Str(
        load_default="upcoming",
        validate=validate.OneOf(("upcoming", "past")),
        metadata={"description": "upcoming (open for registration or scheduled) or past."},
    )


class OutcomeCountsSchema(ma.Schema):
    """What came of an event."""

    contacts = Int(required=True)
    intentions = Int(required=True)
    intention_wan = fields.Decimal(as_string=True, required=True)
    deals = Int(required=True)


class EventSummarySchema(ma.Schema):
    """An event in the public list."""

    id = Int(required=True)
    kind = fields.Str(required=True)
    title = fields.Str(required=True)
    status = fields.Str(required=True)
    organiser = fields.Nested(OrganisationRefSchema, required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    registration_closes_at = fields.DateTime(required=True)
    location = fields.Str(required=True)
    online = fields.Bool(
        required=True, metadata={"description": "Held online (link to registrants)."}
    )
    capacity = Int(allow_none=True, required=True, metadata={"description": "Null: no limit."})
    registered = Int(required=True)
    checked_in = Int(required=True)
    outcomes = fields.Nested(OutcomeCountsSchema, required=True)
    url = fields.Str(required=True)


class EventPageSchema(PageSchema):
    """One page of events."""

    items = fields.List(fields.Nested(EventSummarySchema), required=True)


class FeatureSchema(ma.Schema):
    """A featured public listing; a result with its matched public needs."""

    kind = fields.Str(required=True, metadata={"description": "result or need"})
    id = Int(required=True)
    title = fields.Str(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    matched_need_ids = fields.List(Int(), required=True)


class OutcomeSchema(ma.Schema):
    """An outcome between two organisations; a deal outcome names the deal record."""

    kind = fields.Str(required=True, metadata={"description": "contact, intention or deal"})
    first_organisation = fields.Nested(OrganisationRefSchema, required=True)
    second_organisation = fields.Nested(OrganisationRefSchema, allow_none=True, required=True)
    intention_wan = fields.Decimal(as_string=True, allow_none=True, required=True)
    deal_id = Int(allow_none=True, required=True)


class EventDetailSchema(EventSummarySchema):
    """An event's public page."""

    description = fields.Str(required=True)
    features = fields.List(fields.Nested(FeatureSchema), required=True)
    outcome_list = fields.List(fields.Nested(OutcomeSchema), required=True)
    outcome_summary = fields.Str(required=True)
