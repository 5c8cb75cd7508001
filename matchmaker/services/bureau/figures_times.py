"""How fast the platform and the owners answer: listing review times, enquiry response times."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Enquiry
from matchmaker.services.bureau.figures import Column, Filters, Record, Table, figure, records_of
from matchmaker.services.bureau.figures_common import (
    average,
    china_date,
    median,
    month_key,
    scope_enquiries,
    scope_listings,
    valid_month,
    within,
)
from matchmaker.services.bureau.figures_listings import LISTING_MODELS, months
from matchmaker.services.bureau.figures_records import enquiry_records, listing_records
from matchmaker.services.connect.enquiry_states import never_sent_clause

DAY = 86400.0
HOUR = 3600.0


def _reviewed(filters: Filters, kind: str) -> sa.Select[Any]:
    """Listings of a kind reviewed within the range: (id, submitted_at, reviewed_at)."""
    model = LISTING_MODELS[kind]
    query = sa.select(model.id, model.submitted_at, model.reviewed_at).where(
        within(model.reviewed_at, filters), model.submitted_at.is_not(None)
    )
    return scope_listings(query, model, filters)


def _review_rows(filters: Filters) -> dict[str, list[tuple[str, int, float]]]:
    """month → [(kind, id, days from submission to review)]."""
    out: dict[str, list[tuple[str, int, float]]] = {m: [] for m in months(filters)}
    for kind in LISTING_MODELS:
        for lid, submitted, reviewed in db.session.execute(_reviewed(filters, kind)):
            days = max((reviewed - submitted).total_seconds(), 0) / DAY
            out.setdefault(month_key(china_date(reviewed)), []).append((kind, lid, days))
    return out


@figure("review_times")
def review_times(filters: Filters) -> Table:
    """Listings reviewed per month, with the median and average days the review took."""
    rows: list[dict[str, Any]] = []
    for month, items in _review_rows(filters).items():
        days = [d for _k, _i, d in items]
        rows.append(
            {
                "month": month,
                "reviewed": len(items),
                "median_days": median(days),
                "average_days": average(days),
            }
        )
    return Table(
        name="review_times",
        title=_("审核用时"),
        columns=[
            Column("month", _("月份"), "month"),
            Column("reviewed", _("审核的成果与需求")),
            Column("median_days", _("用时中位数（天）"), "days"),
            Column("average_days", _("平均用时（天）"), "days"),
        ],
        rows=rows,
        chart="bar",
        x="month",
        series=["reviewed", "median_days"],
        line=["median_days"],
        drill=[{"reviewed": {"month": str(row["month"])}} for row in rows],
        note=_("按审核时间统计（通过或退回），用时自最近一次提交审核起算。"),
    )


@records_of("review_times")
def review_times_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The results and needs reviewed in one month (or in the range)."""
    month = drill.get("month", "")
    if month and not valid_month(month):
        return []
    out: list[Record] = []
    for m, items in _review_rows(filters).items():
        if month and m != month:
            continue
        for kind in LISTING_MODELS:
            out += listing_records(kind, sorted(i for k, i, _d in items if k == kind))
    return out


# --- enquiries --------------------------------------------------------------------------------


def _enquiries(filters: Filters) -> sa.Select[Any]:
    """Enquiries the owner received within the range (introductions never sent are not):
    (id, created_at, answered_at)."""
    query = sa.select(Enquiry.id, Enquiry.created_at, Enquiry.answered_at).where(
        within(Enquiry.created_at, filters), sa.not_(never_sent_clause())
    )
    return scope_enquiries(query, filters)


def _response_rows(filters: Filters) -> dict[str, list[tuple[int, float | None]]]:
    """month → [(enquiry id, hours to the owner's first answer or None)]."""
    out: dict[str, list[tuple[int, float | None]]] = {m: [] for m in months(filters)}
    for eid, created, answered in db.session.execute(_enquiries(filters)):
        hours = max((answered - created).total_seconds(), 0) / HOUR if answered else None
        out.setdefault(month_key(china_date(created)), []).append((eid, hours))
    return out


@figure("response_times")
def response_times(filters: Filters) -> Table:
    """Enquiries received per month, how many the owner answered and the median hours taken."""
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, dict[str, str]]] = []
    for month, items in _response_rows(filters).items():
        hours = [h for _i, h in items if h is not None]
        rows.append(
            {
                "month": month,
                "enquiries": len(items),
                "answered": len(hours),
                "median_hours": median(hours),
            }
        )
        drill.append(
            {
                "enquiries": {"month": month},
                "answered": {"month": month, "answered": "1"},
            }
        )
    return Table(
        name="response_times",
        title=_("对接请求的答复用时"),
        columns=[
            Column("month", _("月份"), "month"),
            Column("enquiries", _("收到的对接请求")),
            Column("answered", _("已答复")),
            Column("median_hours", _("答复用时中位数（小时）"), "hours"),
        ],
        rows=rows,
        chart="bar",
        x="month",
        series=["enquiries", "answered", "median_hours"],
        line=["median_hours"],
        drill=drill,
        note=_(
            "按发出时间统计；答复指发布方首次接受、婉拒或请求补充信息，"
            "用时与机构主页的响应时间同一口径。"
        ),
    )


@records_of("response_times")
def response_times_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The enquiries of one month (answered ones only when asked)."""
    month = drill.get("month", "")
    if month and not valid_month(month):
        return []
    answered = drill.get("answered") == "1"
    ids = [
        eid
        for m, items in _response_rows(filters).items()
        if not month or m == month
        for eid, hours in items
        if not answered or hours is not None
    ]
    return enquiry_records(ids)
