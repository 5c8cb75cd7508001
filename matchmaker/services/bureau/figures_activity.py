"""The people who make matches: 技术经纪人 (the rule of services/talent/broker_stats.py, within
the filters) and the experts of the 人才库."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    BrokerProfile,
    BrokerStatus,
    Deal,
    Enquiry,
    EnquirySource,
    ExpertProfile,
    Need,
    Organisation,
    User,
)
from matchmaker.services.bureau.figures import Column, Filters, Record, Table, figure, records_of
from matchmaker.services.bureau.figures_common import (
    LIVE_DEAL_STATES,
    china_date,
    deals_in_range,
    kind_orgs,
    month_key,
    org_kind,
    valid_month,
    within,
)
from matchmaker.services.bureau.figures_listings import months
from matchmaker.services.bureau.figures_records import (
    deal_records,
    enquiry_records,
    listing_records,
)
from matchmaker.services.connect.enquiry_states import never_sent_clause
from matchmaker.services.talent.broker_stats import ACCEPTED_STATES, BrokerStats


def _verified_brokers() -> list[tuple[int, str]]:
    """(broker id, name) of every verified broker, by name."""
    return [
        (bid, name)
        for bid, name in db.session.execute(
            sa.select(BrokerProfile.id, User.name)
            .join(User, User.id == BrokerProfile.user_id)
            .where(BrokerProfile.status == BrokerStatus.VERIFIED)
            .order_by(User.name, BrokerProfile.id)
        )
    ]


def _scope_need(query: sa.Select[Any], filters: Filters) -> sa.Select[Any]:
    """Narrowed by the field, region and owner's kind of the need introduced for."""
    if filters.field_id is None and not filters.region and not filters.org_kind:
        return query
    query = query.join(Need, Need.id == Enquiry.for_need_id)
    if filters.field_id is not None:
        query = query.where(Need.field_id == filters.field_id)
    if filters.region:
        query = query.where(Need.region == filters.region)
    kind = org_kind(filters)
    if kind is not None:
        query = query.where(Need.organisation_id.in_(kind_orgs(kind)))
    return query


def _introductions(filters: Filters, broker_ids: list[int]) -> sa.Select[Any]:
    """Introductions made within the range: (id, broker id, status)."""
    query = sa.select(Enquiry.id, Enquiry.broker_id, Enquiry.status).where(
        Enquiry.broker_id.in_(broker_ids),
        Enquiry.source == EnquirySource.INTRODUCTION,
        within(Enquiry.created_at, filters),
    )
    return _scope_need(query, filters)


def _broker_deals(filters: Filters, broker_ids: list[int]) -> sa.Select[Any]:
    """Live deals recording a broker, signed within the range (and, with a field, region or
    kind, from an introduction for a need that matches)."""
    query = (
        sa.select(Deal.id, Deal.broker_id, Deal.amount_wan, Deal.signed_on, Deal.created_at)
        .where(Deal.broker_id.in_(broker_ids), Deal.status.in_(LIVE_DEAL_STATES))
        .where(
            Deal.id.in_(
                deals_in_range(Filters(filters.start, filters.end)).with_only_columns(Deal.id)
            )
        )
    )
    if filters.field_id is not None or filters.region or filters.org_kind:
        query = query.join(Enquiry, Enquiry.id == Deal.enquiry_id)
        query = _scope_need(query, filters)
    return query


def _stats(filters: Filters, broker_ids: list[int]) -> dict[int, BrokerStats]:
    stats = {bid: BrokerStats() for bid in broker_ids}
    if not broker_ids:
        return stats
    for _eid, bid, status in db.session.execute(_introductions(filters, broker_ids)):
        counts = stats[bid].by_status
        counts[str(status)] = counts.get(str(status), 0) + 1
    for _did, bid, amount, _signed, _created in db.session.execute(
        _broker_deals(filters, broker_ids)
    ):
        stats[bid].deals += 1
        stats[bid].deal_amount_wan += Decimal(amount or 0)
    return stats


@figure("broker_activity")
def broker_activity(filters: Filters) -> Table:
    """Each verified broker's introductions, those accepted, and the deals that followed."""
    brokers = _verified_brokers()
    stats = _stats(filters, [bid for bid, _name in brokers])
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, dict[str, str]]] = []
    for bid, name in brokers:
        entry = stats[bid]
        rows.append(
            {
                "broker": name,
                "introductions": entry.introductions,
                "accepted": entry.accepted,
                "acceptance_rate": entry.acceptance_rate,
                "deals": entry.deals,
                "amount_wan": entry.deal_amount_wan,
            }
        )
        drill.append(
            {
                key: {"broker": str(bid), "column": key}
                for key in ("introductions", "accepted", "deals", "amount_wan")
            }
        )
    return Table(
        name="broker_activity",
        title=_("技术经纪人活动"),
        columns=[
            Column("broker", _("技术经纪人"), "text"),
            Column("introductions", _("引荐")),
            Column("accepted", _("对方接受")),
            Column("acceptance_rate", _("接受率"), "percent"),
            Column("deals", _("促成合同")),
            Column("amount_wan", _("合同金额"), "money"),
        ],
        rows=rows,
        chart="bar",
        x="broker",
        series=["introductions", "accepted", "deals"],
        drill=drill,
        note=_(
            "已核验的技术经纪人：统计区间内的引荐及其中被接受的，"
            "以及记录该经纪人的执行中或已完成合同（按签订日期）。"
        ),
    )


@records_of("broker_activity")
def broker_activity_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """One broker's introductions (accepted ones) or deals within the filters."""
    raw, column = drill.get("broker", ""), drill.get("column", "")
    if not raw.isdigit() or column not in ("introductions", "accepted", "deals", "amount_wan"):
        return []
    bid = int(raw)
    if column in ("deals", "amount_wan"):
        return deal_records([row[0] for row in db.session.execute(_broker_deals(filters, [bid]))])
    ids = [
        eid
        for eid, _bid, status in db.session.execute(_introductions(filters, [bid]))
        if column == "introductions" or str(status) in ACCEPTED_STATES
    ]
    return enquiry_records(ids)


# --- experts ----------------------------------------------------------------------------------


def _scope_experts(query: sa.Select[Any], filters: Filters) -> sa.Select[Any]:
    """Narrowed by the expert's field and its organisation's region and kind."""
    if filters.field_id is not None:
        query = query.where(ExpertProfile.field_id == filters.field_id)
    if filters.region or filters.org_kind:
        query = query.join(Organisation, Organisation.id == ExpertProfile.organisation_id)
        if filters.region:
            query = query.where(Organisation.region == filters.region)
        kind = org_kind(filters)
        if kind is not None:
            query = query.where(Organisation.kind == kind)
    return query


def _expert_rows(filters: Filters) -> dict[str, dict[str, list[int]]]:
    """month → {"listed": expert ids first published, "enquiries": enquiry ids to experts}."""
    out: dict[str, dict[str, list[int]]] = {
        m: {"listed": [], "enquiries": []} for m in months(filters)
    }
    listed = _scope_experts(
        sa.select(ExpertProfile.id, ExpertProfile.published_at).where(
            within(ExpertProfile.published_at, filters)
        ),
        filters,
    )
    for xid, published in db.session.execute(listed):
        month = month_key(china_date(published))
        out.setdefault(month, {"listed": [], "enquiries": []})["listed"].append(xid)
    asked = _scope_experts(
        sa.select(Enquiry.id, Enquiry.created_at)
        .join(ExpertProfile, ExpertProfile.id == Enquiry.expert_id)
        .where(within(Enquiry.created_at, filters), sa.not_(never_sent_clause())),
        filters,
    )
    for eid, created in db.session.execute(asked):
        month = month_key(china_date(created))
        out.setdefault(month, {"listed": [], "enquiries": []})["enquiries"].append(eid)
    return out


@figure("expert_activity")
def expert_activity(filters: Filters) -> Table:
    """Experts first listed on the 人才 page per month, and the enquiries sent to experts."""
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, dict[str, str]]] = []
    for month, ids in _expert_rows(filters).items():
        rows.append(
            {"month": month, "listed": len(ids["listed"]), "enquiries": len(ids["enquiries"])}
        )
        drill.append({key: {"month": month, "column": key} for key in ("listed", "enquiries")})
    return Table(
        name="expert_activity",
        title=_("专家活动"),
        columns=[
            Column("month", _("月份"), "month"),
            Column("listed", _("新发布的专家")),
            Column("enquiries", _("向专家发出的对接请求")),
        ],
        rows=rows,
        chart="bar",
        x="month",
        series=["listed", "enquiries"],
        drill=drill,
        note=_("专家按首次发布时间、对接请求按发出时间统计（北京时间）。"),
    )


@records_of("expert_activity")
def expert_activity_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The experts first listed, or the enquiries sent to experts, in one month."""
    month, column = drill.get("month", ""), drill.get("column", "")
    if column not in ("listed", "enquiries") or (month and not valid_month(month)):
        return []
    ids = [
        i
        for m, cols in _expert_rows(filters).items()
        if not month or m == month
        for i in cols[column]
    ]
    if column == "listed":
        return listing_records("expert", sorted(ids))
    return enquiry_records(ids)
