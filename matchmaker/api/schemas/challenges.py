"""Schemas of the challenges area's API operations: 揭榜挂帅 challenges and applications."""

from __future__ import annotations

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
from matchmaker.models import (
    ApplicationStatus,
    DeclineReason,
    IpOwnership,
    LicenceKind,
    PaymentForm,
    ReviewReason,
    Visibility,
)
from matchmaker.services.challenges.browsing import BOUNTY_BANDS

_ID = validate.Range(min=1, max=2**31 - 1)
#: No NUL character (PostgreSQL cannot store one); with at least one non-blank character.
_NO_NUL = validate.Regexp(r"^[^\x00]*$")
_FILLED = validate.Regexp(r"^[^\x00]*[^\s\x00][^\x00]*$")


def _text(max_length: int, **kwargs: object) -> fields.Str:
    """A free text of the web form: at most `max_length` characters, no NUL."""
    return fields.Str(validate=[validate.Length(max=max_length), _NO_NUL], **kwargs)  # type: ignore[arg-type]


def _filled(max_length: int, **kwargs: object) -> fields.Str:
    """A required free text that is not blank (a reason someone reads)."""
    return fields.Str(
        required=True,
        validate=[validate.Length(min=1, max=max_length), _FILLED],
        **kwargs,  # type: ignore[arg-type]
    )


# --- challenges: reads --------------------------------------------------------------------------
class ChallengeQuerySchema(PageQuerySchema):
    """The filters of the web list (/challenges): field, region, bounty band, open or closed."""

    field = fields.Str(load_default="", validate=validate.Length(max=32))
    region = fields.Str(load_default="", validate=validate.Length(max=32))
    band = fields.Str(load_default="", validate=validate.OneOf(("", *BOUNTY_BANDS)))
    status = fields.Str(
        load_default="open",
        validate=validate.OneOf(("open", "closed")),
        metadata={
            "description": "open (soonest deadline first) or closed (latest deadline first), "
            "the web list's order."
        },
    )
    kind = fields.Str(
        load_default="challenge",
        validate=validate.OneOf(("challenge", "scenario")),
        metadata={"description": "challenge (榜单, the default) or scenario (场景清单)."},
    )


class ChallengeNeedSchema(ma.Schema):
    """The need a challenge is published on (what its public page shows)."""

    id = Int(required=True)
    title = fields.Str(required=True)
    description = fields.Str(required=True)
    targets = fields.Str(required=True)


class ChallengeSummarySchema(ma.Schema):
    """A challenge as the lists show it."""

    id = Int(required=True)
    title = fields.Str(required=True, metadata={"description": "The need's title."})
    status = fields.Str(required=True, metadata={"description": "The state of the challenge."})
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    field = fields.Nested(FieldSchema, allow_none=True, required=True)
    region = fields.Str(required=True)
    bounty_wan = fields.Decimal(
        as_string=True,
        places=2,
        required=True,
        metadata={"description": "榜额 in 万元; 0: 面议 (negotiable)."},
    )
    deadline_at = fields.DateTime(required=True)
    visibility = fields.Str(required=True)
    is_government = fields.Bool(required=True, metadata={"description": "政府榜"})
    kind = fields.Str(
        required=True, metadata={"description": "challenge (榜) or scenario (场景, a 政府榜)."}
    )
    scenario_owner = fields.Str(
        required=True, metadata={"description": "场景方: who offers the site; empty for a 榜."}
    )
    scenario_site = fields.Str(
        required=True, metadata={"description": "Where the scenario's site is; empty for a 榜."}
    )
    accepting = fields.Bool(required=True, metadata={"description": "Open for applications."})
    published_at = fields.DateTime(required=True)
    url = fields.Str(required=True, metadata={"description": "The public web page."})


class ChallengeSchema(ChallengeSummarySchema):
    """A challenge in full: its need and the terms fixed before anyone applies."""

    need = fields.Nested(ChallengeNeedSchema, required=True)
    success_criteria = fields.Str(required=True)
    deliverables = fields.Str(required=True)
    ip_ownership = fields.Str(required=True)
    ip_licence = fields.Str(required=True)
    payment_form = fields.Str(required=True)
    has_panel = fields.Bool(required=True)
    status_reason = fields.Str(
        allow_none=True, required=True, metadata={"description": "Why withdrawn or unawarded."}
    )
    closed_at = fields.DateTime(allow_none=True, required=True)
    awarded_at = fields.DateTime(allow_none=True, required=True)
    review_reason_code = fields.Str(
        allow_none=True,
        required=True,
        metadata={"description": "Why the reviewer sent it back (owners and admins only)."},
    )
    review_reason = fields.Str(allow_none=True, required=True)


class ChallengePageSchema(PageSchema):
    """One page of challenges."""

    items = fields.List(fields.Nested(ChallengeSummarySchema), required=True)


class MyChallengeSchema(ChallengeSummarySchema):
    """A line of 我的榜单: the challenge with its applications."""

    applications = Int(required=True, metadata={"description": "Submitted applications."})
    new_applications = Int(
        required=True, metadata={"description": "Submitted since 我的榜单 was last opened."}
    )


class MyChallengePageSchema(PageSchema):
    """One page of 我的榜单."""

    items = fields.List(fields.Nested(MyChallengeSchema), required=True)


# --- challenges: writes -------------------------------------------------------------------------
class _TermsFields(WriteSchema):
    """The terms of the web publish form (发榜)."""

    bounty_wan = fields.Decimal(
        metadata={"description": "榜额 in 万元; 0: 面议."},
    )
    deadline = fields.Date(
        metadata={"description": "Last day to apply (applications close 23:59:59 China time)."}
    )
    success_criteria = _text(5000)
    deliverables = _text(5000)
    ip_ownership = fields.Str(validate=validate.OneOf([str(v) for v in IpOwnership]))
    ip_licence = fields.Str(validate=validate.OneOf([str(v) for v in LicenceKind]))
    payment_form = fields.Str(validate=validate.OneOf([str(v) for v in PaymentForm]))
    visibility = fields.Str(validate=validate.OneOf([str(v) for v in Visibility]))
    has_panel = fields.Bool()


class ChallengeCreateSchema(_TermsFields):
    """发榜 on one of one's organisation's open needs (an admin: a 政府榜 on any open need)."""

    need_id = Int(required=True, validate=_ID)
    bounty_wan = fields.Decimal(
        required=True,
        metadata={"description": "榜额 in 万元; 0: 面议."},
    )
    deadline = fields.Date(
        required=True,
        metadata={"description": "Last day to apply (applications close 23:59:59 China time)."},
    )
    success_criteria = _text(5000, required=True)
    deliverables = _text(5000, required=True)
    ip_ownership = fields.Str(
        load_default="owner", validate=validate.OneOf([str(v) for v in IpOwnership])
    )
    ip_licence = fields.Str(
        load_default="none", validate=validate.OneOf([str(v) for v in LicenceKind])
    )
    payment_form = fields.Str(
        load_default="instalments", validate=validate.OneOf([str(v) for v in PaymentForm])
    )
    visibility = fields.Str(
        load_default="public", validate=validate.OneOf([str(v) for v in Visibility])
    )
    has_panel = fields.Bool(load_default=False)


class ChallengeUpdateSchema(_TermsFields):
    """New terms for a challenge the reviewer sent back (it is then reviewed again); the
    fields left out keep their values."""


class ChallengeReasonSchema(WriteSchema):
    """Why the challenge is taken down (the applicants see it)."""

    reason = _filled(2000)


class ApplicationReasonSchema(WriteSchema):
    """Why the applicant withdraws (optional)."""

    reason = _text(2000, load_default="")


class ChallengeInviteSchema(WriteSchema):
    """Organisations to invite (verified ones other than the owner; others are skipped)."""

    organisation_ids = fields.List(
        Int(validate=_ID), required=True, validate=validate.Length(min=1, max=50)
    )


class ChallengeInvitedSchema(ma.Schema):
    """The organisations newly invited."""

    organisation_ids = fields.List(Int(), required=True)


class ChallengeRejectSchema(WriteSchema):
    """Send a challenge back: a coded reason and the text its owner sees."""

    code = fields.Str(required=True, validate=validate.OneOf([str(v) for v in ReviewReason]))
    reason = _filled(2000)


# --- applications -------------------------------------------------------------------------------
class ProposalMilestoneSchema(ma.Schema):
    """A milestone of the plan."""

    class Meta:
        unknown = ma.RAISE

    title = _filled(200)
    due = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "YYYY-MM-DD (the web form asks for a month: its first day)."},
    )


class _ProposalFields(WriteSchema):
    """The standard one-page proposal of the web form (every field optional in a draft)."""

    approach = _text(20000)
    indicators = _text(5000)
    trl = Int(allow_none=True, validate=validate.Range(min=1, max=9))
    plan = fields.List(fields.Nested(ProposalMilestoneSchema), validate=validate.Length(max=24))
    team = _text(5000)
    price_wan = fields.Decimal(
        allow_none=True,
        metadata={"description": "报价 in 万元; null: 面议."},
    )
    terms = _text(5000)


class ApplicationCreateSchema(_ProposalFields):
    """揭榜: a proposal, optionally started from one of the organisation's listed results
    (用我的成果揭榜: its summary, TRL, team and price fill the fields not given)."""

    source_result_id = Int(allow_none=True, validate=_ID)
    submit = fields.Bool(
        load_default=True,
        metadata={"description": "Submit at once (default), or only save the draft."},
    )


class ApplicationUpdateSchema(_ProposalFields):
    """Change a draft (the fields left out keep their values)."""


class ApplicationDeclineSchema(WriteSchema):
    """Decline: a reason code and the text the applicant sees."""

    code = fields.Str(required=True, validate=validate.OneOf([str(v) for v in DeclineReason]))
    reason = _filled(2000)


class ApplicationSelectSchema(WriteSchema):
    """Choose the solver; the other live applications are declined with this reason."""

    others_code = fields.Str(
        required=True, validate=validate.OneOf([str(v) for v in DeclineReason])
    )
    others_reason = _filled(2000)


class ApplicationQuerySchema(PageQuerySchema):
    """Whose applications: the organisation's own, those to its challenges, or both."""

    side = fields.Str(
        load_default="all",
        validate=validate.OneOf(("all", "applicant", "owner")),
        metadata={"description": "applicant: my organisation's; owner: to my challenges."},
    )
    status = fields.Str(
        load_default="", validate=validate.OneOf(["", *[str(v) for v in ApplicationStatus]])
    )
    challenge_id = Int(load_default=None, validate=_ID)


class ApplicationChallengeSchema(ma.Schema):
    """The challenge an application answers."""

    id = Int(required=True)
    title = fields.Str(required=True)
    status = fields.Str(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)


class ApplicationAttachmentSchema(ma.Schema):
    """An attachment's name (downloaded on the web page)."""

    id = Int(required=True)
    name = fields.Str(required=True)
    content_type = fields.Str(required=True)
    size = Int(required=True)


class ApplicationSummarySchema(ma.Schema):
    """An application as the lists show it."""

    id = Int(required=True)
    challenge = fields.Nested(ApplicationChallengeSchema, required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    status = fields.Str(required=True)
    price_wan = fields.Decimal(as_string=True, places=2, allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)


class ApplicationSchema(ApplicationSummarySchema):
    """An application in full (its parties and admins only)."""

    approach = fields.Str(required=True)
    indicators = fields.Str(required=True)
    trl = Int(allow_none=True, required=True)
    plan = fields.List(fields.Dict(keys=fields.Str(), values=fields.Str()), required=True)
    team = fields.Str(required=True)
    terms = fields.Str(required=True)
    source_result_id = Int(allow_none=True, required=True)
    decline_reason_code = fields.Str(allow_none=True, required=True)
    decline_reason = fields.Str(allow_none=True, required=True)
    attachments = fields.List(fields.Nested(ApplicationAttachmentSchema), required=True)


class ApplicationPageSchema(PageSchema):
    """One page of applications."""

    items = fields.List(fields.Nested(ApplicationSummarySchema), required=True)


class ApplicationSelectedSchema(ma.Schema):
    """The selected application, and the ids of those declined on the way."""

    application = fields.Nested(ApplicationSchema, required=True)
    declined = fields.List(Int(), required=True)
