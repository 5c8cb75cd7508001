"""Figures about the listings themselves: what was posted, month by month."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Need, Organisation, Result
from matchmaker.models.base import CHINA
from matchmaker.services.bureau.figures import Column, Filters, Record, Table, figure, records_of

LISTING_MODELS: dict[str, type[Result] | type[Need]] = {"result": Result, "need": Need}


def utc_bounds(filters: Filters) -> tuple[datetime, datetime]:
    """The filters' China days as a half-open UTC range [start, end)."""
    start = datetime.combine(filters.start, time.min, tzinfo=CHINA).astimezone(UTC)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=CHINA)
    return start, end.astimezone(UTC)


def months(filters: Filters) -> list[str]:
    """The months the filters cover, as YYYY-MM, oldest first."""
    out: list[str] = []
    year, month = filters.start.year, filters.start.month
    while (year, month) <= (filters.end.year, filters.end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_of(value: datetime) -> str:
    """A stored UTC time's China month, YYYY-MM."""
    return value.astimezone(CHINA).strftime("%Y-%m")


def listing_query(model: type[Result] | type[Need], filters: Filters) -> sa.Select[Any]:
    """The listings created within the filters (field, region, owner's kind)."""
    start, end = utc_bounds(filters)
    query = (
        sa.select(model)
        .join(Organisation, Organisation.id == model.organisation_id)
        .where(model.created_at >= start, model.created_at < end)
    )
    if filters.field_id is not None:
        query = query.where(model.field_id == filters.field_id)
    if filters.region:
        query = query.where(model.region == filters.region)
    if filters.org_kind:
        query = query.where(Organisation.kind == filters.org_kind)
    return query


@figure("listings_by_month")
def listings_by_month(filters: Filters) -> Table:
    """Results and needs posted per month."""
    counts = {(kind, m): 0 for kind in LISTING_MODELS for m in months(filters)}
    for kind, model in LISTING_MODELS.items():
        for created in db.session.scalars(
            listing_query(model, filters).with_only_columns(model.created_at)
        ):
            key = (kind, month_of(created))
            if key in counts:
                counts[key] += 1
    rows = [
        {"month": m, "result": counts[("result", m)], "need": counts[("need", m)]}
        for m in months(filters)
    ]
    drill = [
        {kind: {"kind": kind, "month": str(row["month"])} for kind in LISTING_MODELS}
        for row in rows
    ]
    return Table(
        name="listings_by_month",
        title=_("每月发布的成果与需求"),
        columns=[
            Column("month", _("月份"), "month"),
            Column("result", _("成果")),
            Column("need", _("需求")),
        ],
        rows=rows,
        chart="bar",
        x="month",
        series=["result", "need"],
        drill=drill,
        note=_("按创建时间统计（北京时间）。"),
    )


@records_of("listings_by_month")
def listings_by_month_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The listings of one kind created in one month (within the filters)."""
    model = LISTING_MODELS.get(drill.get("kind", ""))
    month = drill.get("month", "")
    if model is None:
        return []
    from matchmaker.services.bureau.figures_records import listing_records  # a cycle at import

    kind = "result" if model is Result else "need"
    wanted = [
        listing_id
        for listing_id, created in db.session.execute(
            listing_query(model, filters)
            .with_only_columns(model.id, model.created_at)
            .order_by(model.id)
        )
        if not month or month_of(created) == month
    ]
    return listing_records(kind, wanted)


def default_filters(today: date) -> Filters:
    """This year so far."""
    return Filters(start=date(today.year, 1, 1), end=today)
