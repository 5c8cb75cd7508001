"""The whole 对接 funnel: from the funnel the platform records (docs/funnel.md) and from the
challenge applications: viewed → recommended → enquiry → accepted → application → selected →
contracted → accepted (验收)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    ApplicationStatus,
    Challenge,
    FunnelEvent,
    FunnelStep,
    Need,
    Result,
)
from matchmaker.models.enquiry import FUNNEL_LABELS
from matchmaker.services.bureau.figures import Column, Filters, Record, Table, figure, records_of
from matchmaker.services.bureau.figures_common import (
    china_date,
    day_range,
    field_from_key,
    field_key,
    field_names,
    kind_orgs,
    month_key,
    narrowed,
    org_kind,
    valid_month,
    within,
)
from matchmaker.services.bureau.figures_listings import months
from matchmaker.services.bureau.figures_records import (
    application_records,
    deal_records,
    enquiry_records,
    listing_records,
)
from matchmaker.services.connect import funnel

#: The stages in order: the recorded steps (no recommendation clicks) and the applications.
STAGES: tuple[str, ...] = (
    "view",
    "impression",
    "enquiry",
    "accepted",
    "application",
    "selected",
    "deal",
    "deal_accepted",
)
RECORDED = frozenset({"view", "impression", "enquiry", "accepted", "deal", "deal_accepted"})
#: Stages whose drill-down lists listings with their counts (not one record per count).
PER_LISTING = frozenset({"view", "impression"})
#: Stages whose events name the object they count ("enquiry:12", "deal:3").
KEYED = {"enquiry": "enquiry", "accepted": "enquiry", "deal": "deal", "deal_accepted": "deal"}

STAGE_LABELS: dict[str, Any] = {
    "view": FUNNEL_LABELS[FunnelStep.VIEW],
    "impression": FUNNEL_LABELS[FunnelStep.IMPRESSION],
    "enquiry": FUNNEL_LABELS[FunnelStep.ENQUIRY],
    "accepted": FUNNEL_LABELS[FunnelStep.ACCEPTED],
    "application": _l("揭榜申请"),
    "selected": _l("揭榜入选"),
    "deal": FUNNEL_LABELS[FunnelStep.DEAL],
    "deal_accepted": FUNNEL_LABELS[FunnelStep.DEAL_ACCEPTED],
}

_R = aliased(Result, name="funnel_result")
_N = aliased(Need, name="funnel_need")


def _scope_events(query: sa.Select[Any], filters: Filters) -> sa.Select[Any]:
    """Funnel events narrowed by the listing owner's kind and the listing's region (the field
    is a column of the event)."""
    kind = org_kind(filters)
    if kind is not None:
        query = query.where(FunnelEvent.owner_org_id.in_(kind_orgs(kind)))
    if filters.region:
        query = (
            query.outerjoin(
                _R, sa.and_(FunnelEvent.listing_kind == "result", _R.id == FunnelEvent.listing_id)
            )
            .outerjoin(
                _N, sa.and_(FunnelEvent.listing_kind == "need", _N.id == FunnelEvent.listing_id)
            )
            .where(sa.func.coalesce(_R.region, _N.region) == filters.region)
        )
    return query


#: A drill-down's field: (given, field id); given with None is the unclassified listings.
OnlyField = tuple[bool, int | None]
ANY_FIELD: OnlyField = (False, None)


def _field_where(
    query: sa.Select[Any], column: Any, filters: Filters, only: OnlyField
) -> sa.Select[Any]:
    """Narrowed by the filters' field, or by one field of a drill-down (None: unclassified)."""
    given, fid = only
    if given:
        if filters.field_id is not None and fid != filters.field_id:
            return query.where(sa.false())
        return query.where(column.is_(None) if fid is None else column == fid)
    if filters.field_id is not None:
        return query.where(column == filters.field_id)
    return query


def _event_counts(filters: Filters) -> Counter[tuple[str, int | None, str]]:
    """(month, field, step) → events, read grouped by (day, step, field) as platform_funnel
    reads them."""
    query = funnel.platform_query(start=filters.start, end=filters.end, field_id=filters.field_id)
    counts: Counter[tuple[str, int | None, str]] = Counter()
    for day, step, fid, n in db.session.execute(_scope_events(query, filters)):
        if str(step) in RECORDED:
            counts[(month_key(day), fid, str(step))] += n
    return counts


def _application_query(filters: Filters, stage: str, only: OnlyField = ANY_FIELD) -> sa.Select[Any]:
    """Applications created (or, for `selected`, selected) within the range: (id, when,
    field)."""
    when = Application.decided_at if stage == "selected" else Application.created_at
    query = (
        sa.select(Application.id, when, Need.field_id)
        .join(Challenge, Challenge.id == Application.challenge_id)
        .join(Need, Need.id == Challenge.need_id)
        .where(within(when, filters))
    )
    if stage == "selected":
        query = query.where(Application.status == ApplicationStatus.SELECTED)
    query = _field_where(query, Need.field_id, filters, only)
    if filters.region:
        query = query.where(Need.region == filters.region)
    kind = org_kind(filters)
    if kind is not None:
        query = query.where(Need.organisation_id.in_(kind_orgs(kind)))
    return query


def _counts(filters: Filters) -> Counter[tuple[str, int | None, str]]:
    """(month, field, stage) → count."""
    counts = _event_counts(filters)
    for stage in ("application", "selected"):
        for _id, when, fid in db.session.execute(_application_query(filters, stage)):
            counts[(month_key(china_date(when)), fid, stage)] += 1
    return counts


def _columns_by_stage() -> list[Column]:
    return [Column(stage, str(STAGE_LABELS[stage])) for stage in STAGES]


@figure("funnel")
def funnel_figure(filters: Filters) -> Table:
    """The whole funnel over the range: one row per stage, with its rate from the stage before."""
    counts = _counts(filters)
    totals = {stage: 0 for stage in STAGES}
    for (_month, _fid, stage), n in counts.items():
        totals[stage] += n
    rows: list[dict[str, Any]] = []
    previous: int | None = None
    for stage in STAGES:
        n = totals[stage]
        rate = (n / previous) if previous else None
        rows.append({"stage": str(STAGE_LABELS[stage]), "count": n, "rate": rate})
        previous = n
    return Table(
        name="funnel",
        title=_("对接漏斗"),
        columns=[
            Column("stage", _("环节"), "text"),
            Column("count", _("数量")),
            Column("rate", _("较上一环节"), "percent"),
        ],
        rows=rows,
        chart="funnel",
        x="stage",
        series=["count"],
        drill=[{"count": {"stage": stage}} for stage in STAGES],
        note=_(
            "浏览、推荐展示、对接请求、接受对接、签订合同和验收来自平台记录的漏斗事件；"
            "揭榜申请按创建时间、揭榜入选按选定时间统计。"
        ),
        total_keys=[],
    )


@figure("funnel_by_month")
def funnel_by_month(filters: Filters) -> Table:
    """The funnel month by month: one row per month, one column per stage."""
    counts: Counter[tuple[str, str]] = Counter()
    for (month, _fid, stage), n in _counts(filters).items():
        counts[(month, stage)] += n
    rows = [
        {"month": m, **{stage: counts.get((m, stage), 0) for stage in STAGES}}
        for m in months(filters)
    ]
    return Table(
        name="funnel_by_month",
        title=_("对接漏斗（按月）"),
        columns=[Column("month", _("月份"), "month"), *_columns_by_stage()],
        rows=rows,
        chart="line",
        x="month",
        series=list(STAGES),
        drill=[
            {stage: {"stage": stage, "month": str(row["month"])} for stage in STAGES}
            for row in rows
        ],
        note=_("每月各环节的数量（北京时间）。"),
    )


@figure("funnel_by_field")
def funnel_by_field(filters: Filters) -> Table:
    """The funnel per field: one row per field with a count, one column per stage."""
    counts: Counter[tuple[int | None, str]] = Counter()
    for (_month, fid, stage), n in _counts(filters).items():
        counts[(fid, stage)] += n
    present = {fid for fid, _stage in counts}
    if filters.field_id is not None:
        present = {filters.field_id}
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, dict[str, str]]] = []
    for fid, name in field_names().items():
        if fid not in present:
            continue
        rows.append({"field": name, **{stage: counts.get((fid, stage), 0) for stage in STAGES}})
        drill.append({stage: {"stage": stage, "field_id": field_key(fid)} for stage in STAGES})
    return Table(
        name="funnel_by_field",
        title=_("对接漏斗（按技术领域）"),
        columns=[Column("field", _("技术领域"), "text"), *_columns_by_stage()],
        rows=rows,
        chart="bar",
        x="field",
        series=list(STAGES),
        drill=drill,
        note=_("各技术领域在统计区间内各环节的数量；揭榜申请与入选按榜单需求的技术领域。"),
    )


def _event_listing_counts(
    filters: Filters, step: str, only: OnlyField
) -> dict[tuple[str, int], int]:
    """(listing kind, id) → events of one step within the filters."""
    query = (
        sa.select(FunnelEvent.listing_kind, FunnelEvent.listing_id, sa.func.count())
        .where(
            FunnelEvent.step == FunnelStep(step),
            FunnelEvent.day >= filters.start,
            FunnelEvent.day <= filters.end,
        )
        .group_by(FunnelEvent.listing_kind, FunnelEvent.listing_id)
    )
    query = _scope_events(_field_where(query, FunnelEvent.field_id, filters, only), filters)
    return {(kind, lid): n for kind, lid, n in db.session.execute(query)}


def _keyed_ids(filters: Filters, step: str, only: OnlyField) -> list[int]:
    """The ids of the enquiries or deals named by one step's events within the filters."""
    query = sa.select(FunnelEvent.visitor).where(
        FunnelEvent.step == FunnelStep(step),
        FunnelEvent.day >= filters.start,
        FunnelEvent.day <= filters.end,
    )
    query = _field_where(query, FunnelEvent.field_id, filters, only)
    prefix = KEYED[step] + ":"
    ids = []
    for visitor in db.session.scalars(_scope_events(query, filters)):
        if visitor.startswith(prefix) and visitor[len(prefix) :].isdigit():
            ids.append(int(visitor[len(prefix) :]))
    return ids


def _stage_records(filters: Filters, stage: str, only: OnlyField) -> list[Record]:
    if stage in PER_LISTING:
        counts = _event_listing_counts(filters, stage, only)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        out: list[Record] = []
        for kind in ("result", "need", "expert"):
            ids = [lid for (k, lid), _n in ranked if k == kind]
            out += listing_records(
                kind, ids, counts={lid: n for (k, lid), n in ranked if k == kind}
            )
        return sorted(out, key=lambda r: (-(r.count or 0), r.kind, r.id))
    if stage in ("enquiry", "accepted"):
        return enquiry_records(_keyed_ids(filters, stage, only))
    if stage in ("deal", "deal_accepted"):
        return deal_records(_keyed_ids(filters, stage, only))
    ids = [i for i, _when, _fid in db.session.execute(_application_query(filters, stage, only))]
    return application_records(ids, by_decision=stage == "selected")


def funnel_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The records behind one stage (in one month, or of one field): enquiries, applications or
    deals; for views and impressions, the listings with their counts."""
    stage, month = drill.get("stage", ""), drill.get("month", "")
    if stage not in STAGES or (month and not valid_month(month)):
        return []
    only = ANY_FIELD
    if "field_id" in drill:
        only = field_from_key(drill["field_id"])
        if not only[0]:
            return []
    if month:
        start, end = day_range(filters, month)
        if start > end:
            return []
    return _stage_records(narrowed(filters, month), stage, only)


records_of("funnel")(funnel_records)
records_of("funnel_by_month")(funnel_records)
records_of("funnel_by_field")(funnel_records)
