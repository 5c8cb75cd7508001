"""Schemas of the directory area's API operations: organisations and expert profiles."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from matchmaker.api.schemas import (
    FieldSchema,
    MatchSchema,
    OrganisationRefSchema,
    PageQuerySchema,
    PageSchema,
    WriteSchema,
)
from matchmaker.api.schemas.numbers import Int
from matchmaker.models import OrgKind
from matchmaker.models.expert import OFFER_KEYS, ExpertStatus
from matchmaker.models.listing import ReviewReason
from matchmaker.services.accounts import directory
from matchmaker.services.platform.regions import REGIONS

_ID = validate.Range(min=1, max=2**31 - 1)
OFFERS = tuple(OFFER_KEYS)
VISIBILITIES = ("members", "signed_in")


class StrictBool(fields.Boolean):
    """true or false only (a JSON boolean: not 1, "yes" or "true", which Boolean would take)."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# --- organisations ------------------------------------------------------------------------------
class OrganisationQuerySchema(PageQuerySchema):
    """The directory's filters: kind, region, words of the name; the order."""

    kind = fields.Str(load_default="", validate=validate.OneOf(("", *(k.value for k in OrgKind))))
    region = fields.Str(load_default="", validate=validate.OneOf(("", *REGIONS)))
    q = fields.Str(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "Words of the name (all must occur)."},
    )
    sort = fields.Str(
        load_default=directory.SORTS[0],
        validate=validate.OneOf(directory.SORTS),
        metadata={"description": "name (default) or newest (most recently verified first)."},
    )


class OrganisationCountsSchema(ma.Schema):
    """What an organisation has on the public pages."""

    results = Int(required=True, metadata={"description": "Public results."})
    needs = Int(required=True, metadata={"description": "Open public needs."})
    experts = Int(required=True, metadata={"description": "Public expert profiles."})


class OrganisationSummarySchema(ma.Schema):
    """An organisation as the directory lists it."""

    id = Int(required=True)
    name = fields.Str(required=True)
    kind = fields.Str(required=True, metadata={"description": ", ".join(k.value for k in OrgKind)})
    region = fields.Str(required=True, metadata={"description": "Region code."})
    region_name = fields.Str(required=True, metadata={"description": "In the caller's language."})
    status = fields.Str(
        required=True,
        metadata={"description": "verified; pending or rejected only for members and admins."},
    )
    counts = fields.Nested(OrganisationCountsSchema, required=True)
    url = fields.Str(required=True, metadata={"description": "The public web page."})


class OrganisationResponseSchema(ma.Schema):
    """How the organisation answers 对接 enquiries (as its public page shows it)."""

    rate_percent = Int(required=True)
    median_hours = fields.Float(allow_none=True, required=True)
    received = Int(required=True)


class OrganisationDetailSchema(OrganisationSummarySchema):
    """An organisation's public page; its credit code and review reason only for its own
    members and the admins who verify organisations (null for everyone else)."""

    description = fields.Str(allow_none=True, required=True)
    response = fields.Nested(
        OrganisationResponseSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Null until its first enquiry is a month old."},
    )
    credit_code = fields.Str(allow_none=True, required=True)
    review_reason = fields.Str(allow_none=True, required=True)


class OrganisationPageSchema(PageSchema):
    """One page of the directory."""

    items = fields.List(fields.Nested(OrganisationSummarySchema), required=True)


# --- experts: the public 人才 pages -------------------------------------------------------------
class ExpertQuerySchema(PageQuerySchema):
    """The 人才 page's search and facets."""

    q = fields.Str(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "Words of the name, directions, keywords or unit."},
    )
    field = fields.Str(
        load_default="",
        validate=validate.Length(max=32),
        metadata={"description": "A technology field code (unknown codes are ignored)."},
    )
    offer = fields.Str(load_default="", validate=validate.OneOf(("", *OFFERS)))
    org = Int(load_default=None, validate=_ID, metadata={"description": "Organisation id."})


class ExpertSummarySchema(ma.Schema):
    """A public expert profile as the 人才 list shows it (its approved version; no contact)."""

    id = Int(required=True)
    name = fields.Str(required=True)
    title = fields.Str(required=True)
    unit = fields.Str(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    field = fields.Nested(FieldSchema, allow_none=True, required=True)
    directions = fields.Str(required=True)
    keywords = fields.List(fields.Str(), required=True)
    offers = fields.List(
        fields.Str(), required=True, metadata={"description": "Of: " + ", ".join(OFFERS)}
    )
    availability = fields.Str(required=True)
    published_at = fields.DateTime(allow_none=True, required=True)
    expires_at = fields.DateTime(allow_none=True, required=True)
    under_review = fields.Bool(
        required=True,
        metadata={"description": "An edit waits for review: this is the approved version."},
    )
    url = fields.Str(required=True, metadata={"description": "The public web page."})


class ExpertResultSchema(ma.Schema):
    """A public result the expert leads."""

    id = Int(required=True)
    title = fields.Str(required=True)
    url = fields.Str(required=True)


class ExpertContactSchema(ma.Schema):
    """The contact: only for whom the staged disclosure allows."""

    phone = fields.Str(required=True)
    email = fields.Str(required=True)


class ExpertDetailSchema(ExpertSummarySchema):
    """A public profile in full; `contact` is null unless the caller may see it (never for a
    visitor; a token needs a directory read scope)."""

    biography = fields.Str(required=True)
    patents = fields.List(fields.Str(), required=True)
    results = fields.List(fields.Nested(ExpertResultSchema), required=True)
    contact = fields.Nested(ExpertContactSchema, allow_none=True, required=True)


class ExpertFieldFacetSchema(ma.Schema):
    """Public profiles per technology field."""

    code = fields.Str(required=True)
    name = fields.Str(required=True)
    count = Int(required=True)


class ExpertOfferFacetSchema(ma.Schema):
    """Public profiles per offer."""

    offer = fields.Str(required=True)
    name = fields.Str(required=True)
    count = Int(required=True)


class ExpertOrganisationFacetSchema(ma.Schema):
    """Public profiles per organisation."""

    id = Int(required=True)
    name = fields.Str(required=True)
    count = Int(required=True)


class ExpertFacetsSchema(ma.Schema):
    """The 人才 page's facet counts (for the words searched, before the facet filters)."""

    fields_ = fields.List(
        fields.Nested(ExpertFieldFacetSchema), attribute="fields", data_key="fields", required=True
    )
    offers = fields.List(fields.Nested(ExpertOfferFacetSchema), required=True)
    organisations = fields.List(fields.Nested(ExpertOrganisationFacetSchema), required=True)


class ExpertPageSchema(PageSchema):
    """One page of the 人才 search, with its facets."""

    items = fields.List(fields.Nested(ExpertSummarySchema), required=True)
    facets = fields.Nested(ExpertFacetsSchema, required=True)


# --- experts: their keepers and reviewers -------------------------------------------------------
class ExpertRecordSchema(ma.Schema):
    """A profile as its keepers (and the reviewers) see it: the working copy, with its state."""

    id = Int(required=True)
    status = fields.Str(required=True, metadata={"description": ", ".join(ExpertStatus)})
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    name = fields.Str(required=True)
    title = fields.Str(required=True)
    unit = fields.Str(required=True)
    field = fields.Nested(FieldSchema, allow_none=True, required=True)
    field_id = Int(allow_none=True, required=True)
    directions = fields.Str(required=True)
    keywords = fields.List(fields.Str(), required=True)
    biography = fields.Str(required=True)
    patents = fields.List(fields.Str(), required=True)
    offers = fields.List(fields.Str(), required=True)
    availability = fields.Str(required=True)
    contact_phone = fields.Str(required=True)
    contact_email = fields.Str(required=True)
    contact_visibility = fields.Str(
        required=True,
        metadata={
            "description": "members: verified organisations' members; signed_in: anyone "
            "signed in. Never visitors."
        },
    )
    result_ids = fields.List(Int(), required=True)
    is_self = fields.Bool(required=True, metadata={"description": "The caller's own profile."})
    is_public = fields.Bool(required=True)
    actions = fields.List(
        fields.Str(),
        required=True,
        metadata={"description": "The steps its state allows now (edit, submit, retract, ...)."},
    )
    review_reason_code = fields.Str(allow_none=True, required=True)
    review_reason = fields.Str(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    reviewed_at = fields.DateTime(allow_none=True, required=True)
    published_at = fields.DateTime(allow_none=True, required=True)
    expires_at = fields.DateTime(allow_none=True, required=True)
    url = fields.Str(allow_none=True, required=True, metadata={"description": "If public."})


class ExpertRecordPageSchema(PageSchema):
    """One page of profiles as their keepers or reviewers see them."""

    items = fields.List(fields.Nested(ExpertRecordSchema), required=True)


class ExpertWriteSchema(WriteSchema):
    """A profile's fields, as on the web form (status, organisation, the linked account and the
    review are set by the server: sending them is a 422)."""

    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    title = fields.Str(load_default="", validate=validate.Length(max=100))
    unit = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    is_self = StrictBool(
        load_default=False, metadata={"description": "This is the caller's own profile."}
    )
    field_id = Int(load_default=None, allow_none=True, validate=_ID)
    directions = fields.Str(load_default="", validate=validate.Length(max=4000))
    keywords = fields.List(
        fields.Str(validate=validate.Length(max=100)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    biography = fields.Str(load_default="", validate=validate.Length(max=4000))
    result_ids = fields.List(
        Int(validate=_ID),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": "Results of the caller's organisation the expert leads."},
    )
    patents = fields.List(
        fields.Str(validate=validate.Length(max=1000)),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": "One per item: number and name."},
    )
    offers = fields.List(
        fields.Str(validate=validate.OneOf(OFFERS)),
        load_default=list,
        validate=validate.Length(max=8),
    )
    availability = fields.Str(load_default="", validate=validate.Length(max=200))
    contact_phone = fields.Str(load_default="", validate=validate.Length(max=32))
    contact_email = fields.Str(load_default="", validate=validate.Length(max=254))
    contact_visibility = fields.Str(load_default="members", validate=validate.OneOf(VISIBILITIES))


class ExpertPatchSchema(ExpertWriteSchema):
    """Only the fields sent are changed (the rest stay as they are)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class ExpertRejectSchema(WriteSchema):
    """A reviewer's coded reason and the text the keepers read."""

    code = fields.Str(required=True, validate=validate.OneOf([r.value for r in ReviewReason]))
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=2000))


# --- an expert's matches ------------------------------------------------------------------------
class ExpertMatchQuerySchema(ma.Schema):
    """How many matches of each kind."""

    class Meta:
        unknown = ma.RAISE

    limit = Int(load_default=5, validate=validate.Range(min=1, max=20))


class ExpertChallengeRefSchema(ma.Schema):
    """An open public 揭榜挂帅 challenge on a matching need."""

    id = Int(required=True)
    bounty_wan = fields.Decimal(
        as_string=True,
        allow_none=True,
        required=True,
        metadata={"description": "榜额 in 万元; null: negotiable."},
    )
    deadline_at = fields.DateTime(required=True)
    url = fields.Str(required=True)


class ExpertChallengeMatchSchema(ma.Schema):
    """A challenge recommended through its need."""

    challenge = fields.Nested(ExpertChallengeRefSchema, required=True)
    match = fields.Nested(MatchSchema, required=True)


class ExpertMatchesSchema(ma.Schema):
    """What a profile is recommended (best first): public needs of other organisations, and
    open public challenges (a need with a challenge is listed once, as its challenge)."""

    needs = fields.List(fields.Nested(MatchSchema), required=True)
    challenges = fields.List(fields.Nested(ExpertChallengeMatchSchema), required=True)


__all__ = [
    "ExpertDetailSchema",
    "ExpertMatchesSchema",
    "ExpertPageSchema",
    "ExpertPatchSchema",
    "ExpertQuerySchema",
    "ExpertRecordPageSchema",
    "ExpertRecordSchema",
    "ExpertWriteSchema",
    "ExpertMatchQuerySchema",
    "OrganisationDetailSchema",
    "OrganisationPageSchema",
    "OrganisationQuerySchema",
    "ExpertRejectSchema",
]
