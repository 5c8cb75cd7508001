"""Schemas of the market area's owner and reviewer operations (results and needs: working
copies, create, update, transitions) and of the site search. The public reads' schemas are in
`schemas/__init__.py`."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from matchmaker.api.schemas import (
    FieldSchema,
    OrganisationRefSchema,
    PageQuerySchema,
    PageSchema,
    WriteSchema,
)
from matchmaker.api.schemas.numbers import Int
from matchmaker.models import Mode, NeedStatus, ResultStatus
from matchmaker.models.listing import PATENT_STATUS_LABELS, ReviewReason
from matchmaker.services.market.listings import MAX_KEYWORD_LENGTH, MAX_KEYWORDS
from matchmaker.services.platform.amounts import MAX_AMOUNT_WAN
from matchmaker.services.platform.regions import REGIONS

#: The transaction modes of a result by their API names (transfer, license_exclusive, ...).
MODE_NAMES: dict[str, Mode] = {m.name.lower(): m for m in Mode if m.name}
_ID = validate.Range(min=1, max=2**31 - 1)
#: Text is stored as typed: never a NUL character (PostgreSQL cannot store one; the web refuses
#: it in every form, web/hooks.py). One pattern per field (JSON Schema has one), so the other
#: patterns exclude NUL themselves.
_NO_NUL = r"^[^\x00]*$"
#: Not only white space (the service's "请填写标题" rule, told in the document), and no NUL.
_NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
#: the web form's patterns (web/listings/forms.py), empty allowed as there (the service strips
#: the text it stores, so a trailing newline that `$` lets through is not kept)
_PHONE = r"^(?:\+?[0-9][0-9 -]{6,19})?$"
_EMAIL = r"^(?:[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+)?$"
#: The service's amount rule (services/platform/amounts.py: not negative, at most
#: MAX_AMOUNT_WAN, two decimals), checked by the service with its messages; told in the
#: document as numbers (a Range validator on a Decimal would put strings there).
_AMOUNT = {"minimum": 0, "maximum": int(MAX_AMOUNT_WAN)}
_REGION = validate.OneOf(tuple(REGIONS))


def _text(max_length: int, *, blank: bool = True, **kwargs: Any) -> fields.Str:
    """A text field of at most `max_length` characters, without NUL; `blank=False`: at least
    one character that is not white space."""
    rule = [validate.Length(min=0 if blank else 1, max=max_length)]
    return fields.Str(validate=[*rule, validate.Regexp(_NO_NUL if blank else _NOT_BLANK)], **kwargs)


# --- writes -------------------------------------------------------------------------------------
class PatentSchema(ma.Schema):
    """A patent of a result."""

    class Meta:
        unknown = ma.RAISE

    number = _text(60, blank=False, required=True)
    status = fields.Str(
        load_default="granted", validate=validate.OneOf(tuple(PATENT_STATUS_LABELS))
    )


class _ListingWriteSchema(WriteSchema):
    """The fields every listing has; all optional here (an update changes what it names)."""

    title = _text(200, blank=False)
    field_id = Int(
        allow_none=True, validate=_ID, metadata={"description": "A technology field id."}
    )
    keywords = fields.List(_text(MAX_KEYWORD_LENGTH), validate=validate.Length(max=MAX_KEYWORDS))
    region = fields.Str(validate=_REGION, metadata={"description": "A region code."})
    contact_name = _text(100)
    contact_phone = fields.Str(
        validate=validate.Regexp(_PHONE), metadata={"description": "Empty, or a phone number."}
    )
    contact_email = fields.Str(
        validate=[validate.Length(max=254), validate.Regexp(_EMAIL)],
        metadata={"description": "Empty, or an e-mail address."},
    )


class ResultUpdateSchema(_ListingWriteSchema):
    """A result's fields to change (partial). Status, organisation, owner, dates: refused."""

    summary = _text(500)
    description = _text(20000)
    trl = Int(allow_none=True, validate=validate.Range(min=1, max=9))
    patents = fields.List(fields.Nested(PatentSchema), validate=validate.Length(max=50))
    software_copyrights = fields.List(_text(100), validate=validate.Length(max=100))
    modes = fields.List(
        fields.Str(validate=validate.OneOf(tuple(MODE_NAMES))),
        validate=validate.Length(max=len(MODE_NAMES)),
        metadata={"description": "Transaction modes: " + ", ".join(MODE_NAMES)},
    )
    trial_terms = _text(2000)
    price_wan = fields.Decimal(
        allow_none=True,
        as_string=True,
        metadata={
            "description": "Price in 万元 (two decimals at most); null: negotiable.",
            **_AMOUNT,
        },
    )
    team = _text(2000)


class ResultCreateSchema(ResultUpdateSchema):
    """A new result (a draft of the caller's organisation)."""

    title = _text(200, blank=False, required=True)
    region = fields.Str(required=True, validate=_REGION, metadata={"description": "A region code."})
    summary = _text(500, required=True)


class NeedUpdateSchema(_ListingWriteSchema):
    """A need's fields to change (partial). Status, organisation, owner, dates: refused."""

    description = _text(20000)
    targets = _text(5000)
    existing_base = _text(5000)
    budget_wan = fields.Decimal(
        as_string=True,
        metadata={
            "description": "Budget in 万元 (two decimals at most); 0: negotiable.",
            **_AMOUNT,
        },
    )
    deadline = fields.Date(allow_none=True)


class NeedCreateSchema(NeedUpdateSchema):
    """A new need (a draft of the caller's organisation)."""

    title = _text(200, blank=False, required=True)
    region = fields.Str(required=True, validate=_REGION, metadata={"description": "A region code."})
    description = _text(20000, required=True)


class WithdrawListingSchema(WriteSchema):
    """Why the listing is taken off the market (optional)."""

    reason = _text(2000, load_default=None, allow_none=True)


class RejectListingSchema(WriteSchema):
    """A reviewer's reason: a code and the text the owner reads."""

    code = fields.Str(required=True, validate=validate.OneOf(tuple(r.value for r in ReviewReason)))
    reason = _text(2000, blank=False, required=True)


# --- working copies -----------------------------------------------------------------------------
class ListingWorkingSummarySchema(ma.Schema):
    """A listing as its owners (and reviewers) see it: the working copy and its state."""

    id = Int(required=True)
    kind = fields.Str(required=True, metadata={"description": "result or need"})
    status = fields.Str(required=True)
    title = fields.Str(required=True)
    summary = fields.Str(required=True)
    keywords = fields.List(fields.Str(), required=True)
    region = fields.Str(required=True)
    field = fields.Nested(FieldSchema, allow_none=True, required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    has_public_version = fields.Bool(
        required=True, metadata={"description": "An approved version is on the public lists."}
    )
    review_reason_code = fields.Str(allow_none=True, required=True)
    review_reason = fields.Str(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    reviewed_at = fields.DateTime(allow_none=True, required=True)
    published_at = fields.DateTime(allow_none=True, required=True)
    expires_at = fields.DateTime(allow_none=True, required=True)
    url = fields.Str(required=True, metadata={"description": "The owner's web page."})


class _ListingWorkingSchema(ListingWorkingSummarySchema):
    contact_name = fields.Str(required=True)
    contact_phone = fields.Str(required=True)
    contact_email = fields.Str(required=True)
    confirmed_at = fields.DateTime(allow_none=True, required=True)
    actions = fields.List(
        fields.Str(),
        required=True,
        metadata={"description": "The transitions the caller may ask for now."},
    )


class ResultWorkingSchema(_ListingWorkingSchema):
    """A result's working copy in full."""

    description = fields.Str(required=True)
    trl = Int(allow_none=True, required=True)
    patents = fields.List(fields.Nested(PatentSchema), required=True)
    software_copyrights = fields.List(fields.Str(), required=True)
    modes = fields.List(fields.Str(), required=True)
    trial_terms = fields.Str(required=True)
    price_wan = fields.Decimal(places=2, as_string=True, allow_none=True, required=True)
    team = fields.Str(required=True)


class NeedWorkingSchema(_ListingWorkingSchema):
    """A need's working copy in full."""

    description = fields.Str(required=True)
    targets = fields.Str(required=True)
    existing_base = fields.Str(required=True)
    budget_wan = fields.Decimal(places=2, as_string=True, required=True)
    deadline = fields.Date(allow_none=True, required=True)


class OwnListingQuerySchema(PageQuerySchema):
    """Filters of the caller organisation's listings."""

    status = fields.Str(
        load_default="",
        validate=validate.OneOf(
            ("", *sorted({str(s) for s in ResultStatus} | {str(s) for s in NeedStatus}))
        ),
    )
    q = fields.Str(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "Text in the title or keywords."},
    )
    sort = fields.Str(
        load_default="updated",
        validate=validate.OneOf(("updated", "created", "title")),
        metadata={"description": "updated (newest change first), created (newest), title"},
    )


class OwnListingPageSchema(PageSchema):
    """One page of the caller organisation's listings."""

    items = fields.List(fields.Nested(ListingWorkingSummarySchema), required=True)


# --- search -------------------------------------------------------------------------------------
SEARCH_KINDS = ("result", "need", "expert")


class SearchQuerySchema(PageQuerySchema):
    """The text to find, and which kinds of object."""

    q = fields.Str(
        required=True,
        validate=[validate.Length(min=1, max=100), validate.Regexp(r"\S")],
        metadata={"description": "Words that must all occur."},
    )
    kind = fields.Str(
        load_default="",
        validate=validate.OneOf(("", *SEARCH_KINDS)),
        metadata={"description": "result, need or expert; empty: all of them."},
    )


class SearchHitSchema(ma.Schema):
    """A public object that matches: a result, a need or an expert profile."""

    kind = fields.Str(required=True, metadata={"description": "result, need or expert"})
    id = Int(required=True)
    title = fields.Str(required=True)
    summary = fields.Str(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    field = fields.Nested(FieldSchema, allow_none=True, required=True)
    url = fields.Str(required=True, metadata={"description": "The public web page."})
    api_url = fields.Str(
        allow_none=True,
        required=True,
        metadata={"description": "Its API detail (null where the API has none yet)."},
    )


class SearchPageSchema(PageSchema):
    """One page of search hits (the best of each kind first, the kinds interleaved)."""

    items = fields.List(fields.Nested(SearchHitSchema), required=True)
