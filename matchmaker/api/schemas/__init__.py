"""Marshmallow schemas: they validate what the API reads and describe what it answers (the
OpenAPI document is generated from them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from matchmaker.api.schemas.numbers import Int
from matchmaker.services.accounts import api_tokens
from matchmaker.services.market import browsing

#: A decimal as Python's Decimal reads it from a string (sign, digits with single underscores,
#: fraction, exponent, surrounding blanks); NaN and Infinity are not numbers here.
DECIMAL_PATTERN = (
    r"^\s*[+-]?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)"
    r"(?:[eE][+-]?[0-9](?:_?[0-9])*)?\s*$"
)


def decimal_as_string(self: Any, field: ma.fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function for `fields.Decimal`: with as_string=True it answers a JSON
    string (the generated document said "number"; requests may send the string or a number),
    and the bounds of its Range are JSON numbers (apispec wrote them as the field dumps them)."""
    if not isinstance(field, fields.Decimal):
        return {}
    ret = kwargs.get("ret", {})
    out: dict[str, Any] = {}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(ret.get(key), (Decimal, str)):  # serialised by the field: "0.00"
            bound = Decimal(ret[key])
            out[key] = int(bound) if bound == bound.to_integral_value() else float(bound)
    if field.as_string and "type" not in field.metadata:
        kinds = ["string", "number"]
        held = ret.get("type")
        if field.allow_none or (isinstance(held, list) and "null" in held):
            kinds.append("null")
        out.update(type=kinds, pattern=DECIMAL_PATTERN)
    return out


#: The largest page a list answers (browsing.browse_page caps its pages at this size too).
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20


class ErrorSchema(ma.Schema):  # "ApiError" in the OpenAPI document
    """Every error: a stable code, a message in the caller's language, and field errors."""

    class Meta:
        register = True

    code = fields.Str(required=True, metadata={"description": "Machine-readable error code."})
    message = fields.Str(required=True, metadata={"description": "In the caller's language."})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.Str(),
        values=fields.List(fields.Str()),
        required=True,
        metadata={"description": "Messages per request field (422); empty otherwise."},
    )


# --- tokens -------------------------------------------------------------------------------------
class TokenRequestSchema(ma.Schema):
    """Credentials for a new token; `otp` for an account with two-step verification."""

    class Meta:
        unknown = ma.RAISE

    email = fields.Str(required=True, validate=validate.Length(min=1, max=254))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=1000))
    otp = fields.Str(
        load_default=None,
        validate=validate.Length(max=32),
        metadata={
            "description": "For an account with two-step verification (required for admin and "
            "bank accounts): the 6-digit code of the authenticator app, or one unused recovery "
            "code. Missing or wrong: 401 otp_required / invalid_otp."
        },
    )
    name = fields.Str(load_default="API", validate=validate.Length(min=1, max=100))
    scopes = fields.List(
        fields.Str(validate=validate.OneOf(api_tokens.all_scopes())),
        load_default=lambda: ["read"],
        validate=validate.Length(min=1, max=len(api_tokens.all_scopes())),
        metadata={
            "description": "read, write (every area), or read:AREA / write:AREA with AREA one of "
            + ", ".join(api_tokens.AREAS)
            + "; write includes read. Never wider than the account's role."
        },
    )
    expires_in_days = Int(
        load_default=api_tokens.DEFAULT_DAYS,
        validate=validate.Range(min=1, max=api_tokens.MAX_DAYS),
    )


class TokenSchema(ma.Schema):
    """A new token: the secret is in this answer and nowhere else, ever."""

    token = fields.Str(required=True)
    expires_at = fields.DateTime(required=True)
    scopes = fields.List(fields.Str(), required=True)


# --- pages (every list) -------------------------------------------------------------------------
class PageQuerySchema(ma.Schema):
    """The page of a list: subclass it and add the list's filters and `sort`."""

    class Meta:
        unknown = ma.RAISE

    page = Int(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = Int(
        load_default=DEFAULT_PAGE_SIZE,
        metadata={"description": f"Items per page; larger values are capped at {MAX_PAGE_SIZE}."},
        validate=validate.Range(min=1, max=10_000),
    )


class PageSchema(ma.Schema):
    """One page of a list: subclass it and add `items = fields.List(fields.Nested(...))`."""

    page = Int(required=True)
    page_size = Int(required=True)
    total = Int(required=True)
    next = fields.Str(allow_none=True, required=True, metadata={"description": "Next page URL."})


class WriteSchema(ma.Schema):
    """The body of a create or update: unknown fields (owner, status, organisation, amounts the
    server sets...) are refused with 422, never ignored (mass assignment protection)."""

    class Meta:
        unknown = ma.RAISE


# --- lists --------------------------------------------------------------------------------------
class ListQuerySchema(ma.Schema):
    """The filters of the web list pages, plus the page."""

    q = fields.Str(load_default="", validate=validate.Length(max=200))
    field = fields.Str(load_default="", validate=validate.Length(max=32))
    stage = fields.Str(load_default="", validate=validate.Length(max=32))
    mode = fields.Str(load_default="", validate=validate.Length(max=32))
    price = fields.Str(load_default="", validate=validate.Length(max=32))
    region = fields.Str(load_default="", validate=validate.Length(max=32))
    org = Int(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    sort = fields.Str(load_default="", validate=validate.OneOf(("", *browsing.SORTS)))
    page = Int(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = Int(
        load_default=DEFAULT_PAGE_SIZE,
        metadata={"description": f"Items per page; larger values are capped at {MAX_PAGE_SIZE}."},
        validate=validate.Range(min=1, max=10_000),
    )


class FieldSchema(ma.Schema):
    """A technology field of the taxonomy."""

    code = fields.Str(required=True)
    name = fields.Str(required=True)


class OrganisationRefSchema(ma.Schema):
    """The organisation a listing belongs to (its public name only)."""

    id = Int(required=True)
    name = fields.Str(required=True)


class ListingSummarySchema(ma.Schema):
    """A listing as the public lists show it (its approved, public version)."""

    id = Int(required=True)
    kind = fields.Str(required=True, metadata={"description": "result or need"})
    title = fields.Str(required=True)
    summary = fields.Str(required=True)
    keywords = fields.List(fields.Str(), required=True)
    region = fields.Str(required=True)
    field = fields.Nested(FieldSchema, allow_none=True, required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    trl = Int(allow_none=True, required=True)
    amount_wan = fields.Decimal(
        as_string=True,
        allow_none=True,
        required=True,
        metadata={"description": "Price (results) or budget (needs) in 万元; null: negotiable."},
    )
    deadline = fields.Date(allow_none=True, required=True)
    published_at = fields.DateTime(required=True)
    approved_at = fields.DateTime(required=True)
    url = fields.Str(required=True, metadata={"description": "The public web page."})


class ListingDetailSchema(ListingSummarySchema):
    """A listing's public version in full (never its contact details)."""

    description = fields.Str(allow_none=True, required=True)
    details = fields.Dict(
        keys=fields.Str(),
        required=True,
        metadata={"description": "The other approved public fields of this kind."},
    )


class ListingPageSchema(ma.Schema):
    """One page of a list."""

    items = fields.List(fields.Nested(ListingSummarySchema), required=True)
    page = Int(required=True)
    page_size = Int(required=True)
    total = Int(required=True)
    next = fields.Str(allow_none=True, required=True, metadata={"description": "Next page URL."})


# --- matches ------------------------------------------------------------------------------------
class ReasonSchema(ma.Schema):
    """A re-ranking factor in points of the 0–100 scale (negative: a penalty)."""

    factor = fields.Str(required=True)
    points = Int(required=True)


class MatchSchema(ma.Schema):
    """A recommended listing of the other side, with its score and why."""

    listing = fields.Nested(ListingSummarySchema, required=True)
    score = Int(required=True, metadata={"description": "匹配度, 0–100."})
    text_points = Int(required=True)
    terms = fields.List(fields.Str(), required=True, metadata={"description": "Shared terms."})
    pairs = fields.List(
        fields.List(fields.Str()),
        required=True,
        metadata={"description": "English→Chinese term pairs that matched."},
    )
    factors = fields.List(fields.Nested(ReasonSchema), required=True)


class MatchListSchema(ma.Schema):
    """The ranked matches of a listing (best first; may be empty)."""

    items = fields.List(fields.Nested(MatchSchema), required=True)


class MatchQuerySchema(ma.Schema):
    """How many matches to return."""

    limit = Int(load_default=10, validate=validate.Range(min=1, max=20))


# --- statistics ---------------------------------------------------------------------------------
class StatsSchema(ma.Schema):
    """The public statistics of the platform (the figures of the home page)."""

    organisations = fields.Dict(
        keys=fields.Str(),
        values=Int(),
        required=True,
        metadata={"description": "Verified organisations by kind."},
    )
    listings = fields.Dict(
        keys=fields.Str(),
        values=Int(),
        required=True,
        metadata={"description": "Public listings by kind (result, need)."},
    )


class MeSchema(ma.Schema):
    """Who the token belongs to."""

    id = Int(required=True)
    name = fields.Str(required=True)
    role = fields.Str(required=True)
    organisation_id = Int(allow_none=True, required=True)
    scopes = fields.List(fields.Str(), required=True)
    token_expires_at = fields.DateTime(required=True)
