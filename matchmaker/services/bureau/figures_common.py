"""What the bureau's figures share: field names and order, China days and months, the filters
applied to listings, enquiries and deals (the subject of each through one set of joins)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    Application,
    Challenge,
    ConversionOffer,
    Deal,
    Enquiry,
    ExpertProfile,
    Need,
    Organisation,
    OrgKind,
    Result,
    TechField,
)
from matchmaker.models.base import CHINA
from matchmaker.services.bureau.figures import Filters
from matchmaker.services.bureau.figures_listings import utc_bounds
from matchmaker.services.errors import ValidationFailed

#: Deals that count: signed and not undone (as services/platform/stats.py counts them).
LIVE_DEAL_STATES = ("active", "completed")
#: The drill-down's key of an unclassified field.
NO_FIELD = "0"


def org_kind(filters: Filters) -> OrgKind | None:
    """The filters' organisation kind; ValidationFailed for an unknown one."""
    if not filters.org_kind:
        return None
    try:
        return OrgKind(filters.org_kind)
    except ValueError:
        raise ValidationFailed({"org_kind": _("机构类型无效。")}) from None


def kind_orgs(kind: OrgKind) -> sa.Select[Any]:
    """The ids of the organisations of a kind (a subquery for IN)."""
    return sa.select(Organisation.id).where(Organisation.kind == kind)


def china_date(value: datetime) -> date:
    """A stored UTC time's China day."""
    return value.astimezone(CHINA).date()


def month_key(day: date) -> str:
    """A day's month, YYYY-MM."""
    return f"{day.year:04d}-{day.month:02d}"


def day_range(filters: Filters, month: str = "") -> tuple[date, date]:
    """The filters' days, narrowed to one month ("YYYY-MM") when given."""
    start, end = filters.start, filters.end
    if month:
        year, mon = (int(part) for part in month.split("-"))
        first = date(year, mon, 1)
        nxt = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
        start = max(start, first)
        end = min(end, date.fromordinal(nxt.toordinal() - 1))
    return start, end


def narrowed(filters: Filters, month: str = "") -> Filters:
    """The filters with their days narrowed to one month (for a drill-down)."""
    if not month:
        return filters
    start, end = day_range(filters, month)
    return Filters(start, end, filters.field_id, filters.region, filters.org_kind)


def valid_month(month: str) -> bool:
    """Whether a drill-down's month is YYYY-MM."""
    return len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit()


def locale_name() -> str:
    """The reader's locale (Chinese outside a request)."""
    if has_request_context():
        return str(get_locale() or "zh_Hans_CN")
    return "zh_Hans_CN"


def field_names() -> dict[int | None, str]:
    """Every field's name in the reader's language (None: unclassified), in taxonomy order."""
    locale = locale_name()
    names: dict[int | None, str] = {
        f.id: f.label(locale)
        for f in db.session.scalars(sa.select(TechField).order_by(TechField.position, TechField.id))
    }
    names[None] = _("未分类")
    return names


def field_key(field_id: int | None) -> str:
    """A field id as a drill-down parameter."""
    return NO_FIELD if field_id is None else str(field_id)


def field_from_key(value: str) -> tuple[bool, int | None]:
    """(given, field id) of a drill-down's field parameter; (False, None) when absent or bad."""
    if value == NO_FIELD:
        return True, None
    if value.isdigit():
        return True, int(value)
    return False, None


def median(values: Iterable[float]) -> float | None:
    """The median rounded to one decimal, None for no values."""
    items = list(values)
    return round(statistics.median(items), 1) if items else None


def average(values: Iterable[float]) -> float | None:
    """The mean rounded to one decimal, None for no values."""
    items = list(values)
    return round(sum(items) / len(items), 1) if items else None


# --- listings ---------------------------------------------------------------------------------


def scope_listings(
    query: sa.Select[Any], model: type[Result] | type[Need], filters: Filters
) -> sa.Select[Any]:
    """A listing query narrowed by the filters' field, region and owner's kind (no dates)."""
    if filters.field_id is not None:
        query = query.where(model.field_id == filters.field_id)
    if filters.region:
        query = query.where(model.region == filters.region)
    kind = org_kind(filters)
    if kind is not None:
        query = query.where(model.organisation_id.in_(kind_orgs(kind)))
    return query


def within(column: Any, filters: Filters) -> sa.ColumnElement[bool]:
    """A stored UTC time within the filters' China days."""
    start, end = utc_bounds(filters)
    return sa.and_(column >= start, column < end)


# --- enquiries: the listing they are about ----------------------------------------------------

_E_RESULT = aliased(Result, name="enquiry_result")
_E_NEED = aliased(Need, name="enquiry_need")
_E_EXPERT = aliased(ExpertProfile, name="enquiry_expert")


def scope_enquiries(query: sa.Select[Any], filters: Filters) -> sa.Select[Any]:
    """An enquiry query narrowed by the field and region of the result, need or expert it is
    about and by the owner's kind (no dates)."""
    if filters.field_id is not None or filters.region:
        query = (
            query.outerjoin(_E_RESULT, _E_RESULT.id == Enquiry.result_id)
            .outerjoin(_E_NEED, _E_NEED.id == Enquiry.need_id)
            .outerjoin(_E_EXPERT, _E_EXPERT.id == Enquiry.expert_id)
        )
    if filters.field_id is not None:
        field = sa.func.coalesce(_E_RESULT.field_id, _E_NEED.field_id, _E_EXPERT.field_id)
        query = query.where(field == filters.field_id)
    if filters.region:
        query = query.where(sa.func.coalesce(_E_RESULT.region, _E_NEED.region) == filters.region)
    kind = org_kind(filters)
    if kind is not None:
        query = query.where(Enquiry.owner_org_id.in_(kind_orgs(kind)))
    return query


# --- deals: the listing they came from --------------------------------------------------------


def deal_subjects() -> sa.Subquery:
    """(deal_id, field_id, region) of every deal: the field and region of the need of its
    challenge, of the result adopted from the conversion list, or of the listing (or expert)
    its 对接 was about. One row per deal (a deal has exactly one source)."""
    app, ch, c_need = aliased(Application), aliased(Challenge), aliased(Need)
    adopt, offer, a_result = aliased(AdoptionRequest), aliased(ConversionOffer), aliased(Result)
    enq, e_result, e_need = aliased(Enquiry), aliased(Result), aliased(Need)
    expert = aliased(ExpertProfile)
    return (
        sa.select(
            Deal.id.label("deal_id"),
            sa.func.coalesce(
                c_need.field_id,
                a_result.field_id,
                e_result.field_id,
                e_need.field_id,
                expert.field_id,
            ).label("field_id"),
            sa.func.coalesce(c_need.region, a_result.region, e_result.region, e_need.region).label(
                "region"
            ),
        )
        .outerjoin(app, app.id == Deal.application_id)
        .outerjoin(ch, ch.id == app.challenge_id)
        .outerjoin(c_need, c_need.id == ch.need_id)
        .outerjoin(adopt, adopt.id == Deal.adoption_request_id)
        .outerjoin(offer, offer.id == adopt.offer_id)
        .outerjoin(a_result, a_result.id == offer.result_id)
        .outerjoin(enq, enq.id == Deal.enquiry_id)
        .outerjoin(e_result, e_result.id == enq.result_id)
        .outerjoin(e_need, e_need.id == enq.need_id)
        .outerjoin(expert, expert.id == enq.expert_id)
        .subquery("deal_subjects")
    )


def scope_deals(query: sa.Select[Any], filters: Filters) -> sa.Select[Any]:
    """A deal query narrowed by its subject's field and region and by the kind of either party
    (no dates)."""
    if filters.field_id is not None or filters.region:
        subjects = deal_subjects()
        query = query.join(subjects, subjects.c.deal_id == Deal.id)
        if filters.field_id is not None:
            query = query.where(subjects.c.field_id == filters.field_id)
        if filters.region:
            query = query.where(subjects.c.region == filters.region)
    kind = org_kind(filters)
    if kind is not None:
        orgs = kind_orgs(kind)
        query = query.where(sa.or_(Deal.provider_org_id.in_(orgs), Deal.client_org_id.in_(orgs)))
    return query


def deal_day(signed_on: date | None, created_at: datetime) -> date:
    """The day a deal counts on: its signing date, else the day it was recorded (China)."""
    return signed_on or china_date(created_at)


def deals_in_range(filters: Filters) -> sa.Select[Any]:
    """Live deals signed (or, without a signing date, recorded) within the filters' days,
    narrowed by the filters: (id, signed_on, created_at, amount_wan)."""
    query = sa.select(Deal.id, Deal.signed_on, Deal.created_at, Deal.amount_wan).where(
        Deal.status.in_(LIVE_DEAL_STATES),
        sa.or_(
            sa.and_(Deal.signed_on >= filters.start, Deal.signed_on <= filters.end),
            sa.and_(Deal.signed_on.is_(None), within(Deal.created_at, filters)),
        ),
    )
    return scope_deals(query, filters)
