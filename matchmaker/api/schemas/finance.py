"""Schemas of the finance area's API operations: firms (a bank's view, consented scopes only),
loan products and leads."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import fields, validate

from matchmaker.api.schemas import (
    FieldSchema,
    OrganisationRefSchema,
    PageQuerySchema,
    PageSchema,
    WriteSchema,
)
from matchmaker.api.schemas.numbers import Int
from matchmaker.models import Collateral, CreditRejection, LeadStatus, ProductKind, ProductStatus
from matchmaker.services.finance.firm_browser import SCORE_BANDS, SORTS
from matchmaker.services.platform.regions import REGIONS

ID = validate.Range(min=1, max=2**31 - 1)
#: The largest amount a filter takes (the web filter's bound, bank_forms.MAX_AMOUNT).
MAX_FILTER_AMOUNT = 999_999_999
#: A generous bound on free text (the services give the real limits, with their messages).
TEXT = validate.Length(max=100_000)


def _amount(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(as_string=True, **kwargs)


def _id(**kwargs: Any) -> Int:
    return Int(validate=ID, **kwargs)


# --- firms ----------------------------------------------------------------------------------------
class FirmQuerySchema(PageQuerySchema):
    """The firm browser's filters and sort (each filter only matches firms that consented to the
    scope it reads)."""

    field_id = _id(load_default=None, metadata={"description": "Industry (taxonomy id): BASIC."})
    region = fields.Str(load_default="", validate=validate.OneOf(("", *REGIONS)))
    band = fields.Str(
        load_default="",
        validate=validate.OneOf(("", *SCORE_BANDS)),
        metadata={"description": "创新积分 band: INNOVATION."},
    )
    high_tech = fields.Bool(load_default=False)
    specialised = fields.Bool(load_default=False)
    need_min = _amount(
        load_default=None,
        allow_nan=False,
        metadata={"description": f"万元, 0 to {MAX_FILTER_AMOUNT}"},
    )
    need_max = _amount(
        load_default=None,
        allow_nan=False,
        metadata={"description": f"万元, 0 to {MAX_FILTER_AMOUNT}"},
    )
    active = fields.Bool(load_default=False, metadata={"description": "Recent activity: ACTIVITY."})
    sort = fields.Str(load_default="score", validate=validate.OneOf(SORTS))
    product = _id(
        load_default=None,
        metadata={"description": "sort=fit: one of the bank's published products."},
    )

    @ma.validates_schema
    def _coherent(self, data: dict[str, Any], **kwargs: Any) -> None:
        low, high = data.get("need_min"), data.get("need_max")
        for name, value in (("need_min", low), ("need_max", high)):
            if value is not None and not 0 <= value <= MAX_FILTER_AMOUNT:
                raise ma.ValidationError(_("请填写 0 到 999999999 之间的金额。"), name)
        if low is not None and high is not None and low > high:
            raise ma.ValidationError(_("上限不能低于下限。"), "need_max")
        if data.get("sort") == "fit" and not data.get("product"):
            raise ma.ValidationError(_("按匹配度排序时请选择本行的一个产品。"), "product")


class FirmBasicSchema(ma.Schema):
    """基本信息 (scope BASIC)."""

    field = fields.Nested(FieldSchema, required=True, allow_none=True)
    size = fields.Str(required=True, allow_none=True)
    employees = Int(required=True, allow_none=True)
    region = fields.Str(required=True)
    founded_year = Int(required=True, allow_none=True)
    key_products = fields.Str(required=True)
    contact_name = fields.Str(required=True, allow_none=True)
    contact_phone = fields.Str(required=True, allow_none=True)
    contact_email = fields.Str(required=True, allow_none=True)


class FirmInnovationSchema(ma.Schema):
    """创新指标 (scope INNOVATION)."""

    high_tech = fields.Bool(required=True)
    high_tech_valid = fields.Bool(required=True)
    high_tech_cert_no = fields.Str(required=True, allow_none=True)
    high_tech_expires_on = fields.Date(required=True, allow_none=True)
    specialised = fields.Str(required=True)
    specialised_valid = fields.Bool(required=True)
    specialised_cert_no = fields.Str(required=True, allow_none=True)
    specialised_expires_on = fields.Date(required=True, allow_none=True)
    patents_invention = Int(required=True)
    patents_utility = Int(required=True)
    patents_design = Int(required=True)
    software_copyrights = Int(required=True)
    awards = fields.Str(required=True)
    rd_intensity = _amount(required=True, allow_none=True, metadata={"description": "%"})
    score = _amount(required=True, allow_none=True, metadata={"description": "创新积分 0–100"})
    score_version = Int(required=True, allow_none=True)
    score_computed_at = fields.DateTime(required=True, allow_none=True)
    score_stale = fields.Bool(required=True)


class FirmFinancialYearSchema(ma.Schema):
    """One declared year (scope FINANCIALS), in 万元."""

    year = Int(required=True)
    revenue_wan = _amount(required=True)
    rd_spend_wan = _amount(required=True)


class FirmActivitySchema(ma.Schema):
    """What the platform itself counts of the firm (scope ACTIVITY)."""

    needs_posted = Int(required=True)
    challenges_won = Int(required=True)
    challenges_solved = Int(required=True)
    results_adopted = Int(required=True)
    deals = Int(required=True)
    deal_amount_wan = _amount(required=True)
    milestones_accepted = Int(required=True)
    decisions = Int(required=True)
    median_response_hours = fields.Float(required=True, allow_none=True)


class FirmFinancingNeedSchema(ma.Schema):
    """An open financing need (posted for banks: every consenting firm's come along)."""

    id = Int(required=True)
    title = fields.Str(required=True)
    amount_wan = _amount(required=True)
    term_months = Int(required=True)
    purpose = fields.Str(required=True)
    collateral = fields.List(fields.Str(), required=True)


class ProductFitSchema(ma.Schema):
    """A product's verdict on the firm (the firm's consented data only)."""

    product = fields.Nested(OrganisationRefSchema, required=True)
    eligible = fields.Bool(required=True)
    percent = Int(required=True, metadata={"description": "匹配度 0–100"})
    financing_need_id = Int(required=True, allow_none=True)
    failed = fields.List(
        fields.Str(), required=True, metadata={"description": "Rules the firm does not meet."}
    )


class FirmSchema(ma.Schema):
    """A consenting firm as the bank may see it now: each scope's data, or null (未授权)."""

    id = Int(required=True, metadata={"description": "The firm's organisation id."})
    name = fields.Str(required=True)
    scopes = fields.List(
        fields.Str(), required=True, metadata={"description": "basic, innovation, ..."}
    )
    basic = fields.Nested(FirmBasicSchema, required=True, allow_none=True)
    innovation = fields.Nested(FirmInnovationSchema, required=True, allow_none=True)
    financials = fields.List(fields.Nested(FirmFinancialYearSchema), required=True, allow_none=True)
    recently_active = fields.Bool(required=True, allow_none=True)
    financing_needs = fields.List(fields.Nested(FirmFinancingNeedSchema), required=True)
    shortlisted = fields.Bool(required=True)
    fit = fields.Nested(
        ProductFitSchema, required=True, allow_none=True, metadata={"description": "sort=fit"}
    )


class FirmPageSchema(PageSchema):
    """A page of the firm browser."""

    items = fields.List(fields.Nested(FirmSchema), required=True)


class FirmDetailSchema(FirmSchema):
    """One firm (the read is written to the firm's "who viewed me" log)."""

    activity = fields.Nested(FirmActivitySchema, required=True, allow_none=True)
    consent_expires_at = fields.DateTime(required=True)
    products = fields.List(
        fields.Nested(ProductFitSchema),
        required=True,
        metadata={"description": "The bank's published products judged against the firm."},
    )
    live_lead_id = Int(required=True, allow_none=True)


# --- loan products --------------------------------------------------------------------------------
class LoanProductQuerySchema(PageQuerySchema):
    """The catalogue's filters, or the bank's own products (mine=true, every state)."""

    kind = fields.Str(
        load_default="", validate=validate.OneOf(("", *(k.value for k in ProductKind)))
    )
    bank = _id(load_default=None, metadata={"description": "Catalogue: one bank's products."})
    mine = fields.Bool(
        load_default=False,
        metadata={"description": "The caller's bank's products in every state (banks only)."},
    )
    status = fields.Str(
        load_default="",
        validate=validate.OneOf(("", *(s.value for s in ProductStatus))),
        metadata={"description": "With mine=true: one state only."},
    )


class LoanProductSchema(ma.Schema):
    """A loan product: ranges and eligibility rules."""

    id = Int(required=True)
    bank = fields.Nested(OrganisationRefSchema, required=True)
    name = fields.Str(required=True)
    kind = fields.Str(
        required=True, metadata={"description": ", ".join(k.value for k in ProductKind)}
    )
    description = fields.Str(required=True)
    amount_min_wan = _amount(required=True)
    amount_max_wan = _amount(required=True)
    term_min_months = Int(required=True)
    term_max_months = Int(required=True)
    rate_min = _amount(required=True, metadata={"description": "annual %"})
    rate_max = _amount(required=True, metadata={"description": "annual %"})
    field_ids = fields.List(Int(), required=True, metadata={"description": "[]: any"})
    min_score = _amount(required=True, allow_none=True)
    requires_high_tech = fields.Bool(required=True)
    requires_specialised = fields.Bool(required=True)
    collateral = fields.List(fields.Str(), required=True)
    status = fields.Str(required=True, metadata={"description": "draft, published, withdrawn"})
    published_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class LoanProductPageSchema(PageSchema):
    """A page of loan products."""

    items = fields.List(fields.Nested(LoanProductSchema), required=True)


#: Collateral flags by name (models.Collateral, a bit set in the database).
COLLATERAL = {str(c.name).lower(): c for c in Collateral if c}
COLLATERAL_NAMES = tuple(COLLATERAL)


class LoanProductWriteSchema(WriteSchema):
    """A loan product's terms; the bank, the status and the dates are the server's."""

    name = fields.Str(required=True, validate=TEXT)
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in ProductKind]))
    description = fields.Str(load_default="", validate=TEXT)
    amount_min_wan = _amount(required=True, places=2, allow_nan=False)
    amount_max_wan = _amount(required=True, places=2, allow_nan=False)
    term_min_months = Int(required=True, validate=validate.Range(min=-(2**31), max=2**31))
    term_max_months = Int(required=True, validate=validate.Range(min=-(2**31), max=2**31))
    rate_min = _amount(required=True, places=2, allow_nan=False)
    rate_max = _amount(required=True, places=2, allow_nan=False)
    field_ids = fields.List(_id(), load_default=list, validate=validate.Length(max=100))
    min_score = _amount(load_default=None, allow_none=True, places=0, allow_nan=False)
    requires_high_tech = fields.Bool(load_default=False)
    requires_specialised = fields.Bool(load_default=False)
    collateral = fields.List(
        fields.Str(validate=validate.OneOf(COLLATERAL_NAMES)),
        load_default=lambda: ["unsecured"],
        validate=validate.Length(max=len(COLLATERAL_NAMES)),
        metadata={"description": "Accepted: " + ", ".join(COLLATERAL_NAMES)},
    )


class LoanProductPatchSchema(LoanProductWriteSchema):
    """Some of a product's terms (a draft or withdrawn product only): the fields sent change,
    the others keep their values (partial: no defaults are filled in)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


# --- leads ----------------------------------------------------------------------------------------
class LeadQuerySchema(PageQuerySchema):
    """The leads list of the caller's side (a bank's, a firm's, or every lead for the bureau)."""

    status = fields.Str(
        load_default="", validate=validate.OneOf(("", *(s.value for s in LeadStatus)))
    )


class LeadNeedSchema(ma.Schema):
    """The financing need a lead answers."""

    id = Int(required=True)
    title = fields.Str(required=True)
    amount_wan = _amount(required=True)


class LeadStepSchema(ma.Schema):
    """One step of a lead's history (who: the organisation, not the person)."""

    action = fields.Str(required=True)
    at = fields.DateTime(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True, allow_none=True)
    reason = fields.Str(required=True, allow_none=True)


class LeadSchema(ma.Schema):
    """A lead: the bank's request, the firm's answer, credit and disbursement."""

    id = Int(required=True)
    status = fields.Str(required=True, metadata={"description": ", ".join(LeadStatus)})
    bank = fields.Nested(OrganisationRefSchema, required=True)
    firm = fields.Nested(OrganisationRefSchema, required=True)
    product = fields.Nested(OrganisationRefSchema, required=True, allow_none=True)
    financing_need = fields.Nested(LeadNeedSchema, required=True, allow_none=True)
    meeting_id = Int(required=True, allow_none=True)
    message = fields.Str(required=True)
    firm_reply = fields.Str(required=True)
    approved_amount_wan = _amount(required=True, allow_none=True)
    approved_product = fields.Nested(OrganisationRefSchema, required=True, allow_none=True)
    disbursed_amount_wan = _amount(required=True, allow_none=True)
    first_loan = fields.Bool(required=True)
    rejection_reason = fields.Str(required=True, allow_none=True)
    rejection_note = fields.Str(required=True)
    created_at = fields.DateTime(required=True)
    answered_at = fields.DateTime(required=True, allow_none=True)
    approved_at = fields.DateTime(required=True, allow_none=True)
    disbursed_at = fields.DateTime(required=True, allow_none=True)
    closed_at = fields.DateTime(required=True, allow_none=True)


class LeadDetailSchema(LeadSchema):
    """A lead with its history."""

    history = fields.List(fields.Nested(LeadStepSchema), required=True)


class LeadPageSchema(PageSchema):
    """A page of leads, newest first."""

    items = fields.List(fields.Nested(LeadSchema), required=True)


class LeadRequestSchema(WriteSchema):
    """A bank's request to contact a firm (under its live consent, or after a meeting of the
    two); the bank, the status and the dates are the server's."""

    firm_id = _id(required=True)
    product_id = _id(load_default=None, allow_none=True)
    financing_need_id = _id(load_default=None, allow_none=True)
    message = fields.Str(load_default="", validate=TEXT)
    meeting_id = _id(load_default=None, allow_none=True)


class LeadAnswerSchema(WriteSchema):
    """The firm's answer to a contact request."""

    decision = fields.Str(required=True, validate=validate.OneOf(("accept", "decline")))
    reply = fields.Str(load_default="", validate=TEXT)


class LeadApproveSchema(WriteSchema):
    """Credit approved (授信): the amount and the product."""

    amount_wan = _amount(required=True, places=2, allow_nan=False)
    product_id = _id(required=True)


class LeadRejectSchema(WriteSchema):
    """Credit declined: a reason code (a note is needed with "other")."""

    reason = fields.Str(required=True, validate=validate.OneOf([r.value for r in CreditRejection]))
    note = fields.Str(load_default="", validate=TEXT)


class LeadDisburseSchema(WriteSchema):
    """The loan paid out (放款), at most the approved amount; 首贷 if it is the firm's first."""

    amount_wan = _amount(required=True, places=2, allow_nan=False)
    first_loan = fields.Bool(load_default=False)
