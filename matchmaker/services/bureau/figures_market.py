"""Figures about the market per field: listings by state, and supply against demand."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import NeedStatus, ResultStatus
from matchmaker.services.bureau.figures import Column, Filters, Record, Table, figure, records_of
from matchmaker.services.bureau.figures_common import (
    field_from_key,
    field_key,
    field_names,
    scope_listings,
    within,
)
from matchmaker.services.bureau.figures_listings import LISTING_MODELS, listing_query
from matchmaker.services.bureau.figures_records import listing_records

KIND_LABELS = {"result": _l("成果"), "need": _l("需求")}

#: The states a listing reaches once public, as the figure's columns (the msgids of web/labels).
STATES: dict[str, dict[str, Any]] = {
    "result": {
        ResultStatus.LISTED: _l("已上架"),
        ResultStatus.TRANSFERRED: _l("已转化"),
        ResultStatus.EXPIRED: _l("已过期"),
        ResultStatus.WITHDRAWN: _l("已撤下"),
    },
    "need": {
        NeedStatus.OPEN: _l("征集中"),
        NeedStatus.EVALUATING: _l("评审中"),
        NeedStatus.AWARDED: _l("已揭榜"),
        NeedStatus.CONTRACTED: _l("已签约"),
        NeedStatus.IN_PROGRESS: _l("实施中"),
        NeedStatus.ACCEPTED: _l("已解决"),
        NeedStatus.UNAWARDED: _l("未揭榜"),
        NeedStatus.TERMINATED: _l("已终止"),
        NeedStatus.EXPIRED: _l("已过期"),
        NeedStatus.WITHDRAWN: _l("已撤下"),
    },
}


def _state_key(kind: str, state: str) -> str:
    return f"{kind}_{state}"


def _ordered_fields(present: set[int | None], filters: Filters) -> list[tuple[int | None, str]]:
    """The fields with a count (the filtered one alone when set), in taxonomy order."""
    names = field_names()
    if filters.field_id is not None:
        present = {filters.field_id}
    return [(fid, name) for fid, name in names.items() if fid in present]


@figure("listings_by_state")
def listings_by_state(filters: Filters) -> Table:
    """Results and needs per field and state (those created within the range and made public)."""
    counts: dict[tuple[int | None, str], int] = {}
    for kind, model in LISTING_MODELS.items():
        query = (
            listing_query(model, filters)
            .where(model.published_at.is_not(None), model.status.in_(list(STATES[kind])))
            .with_only_columns(model.field_id, model.status, sa.func.count())
            .group_by(model.field_id, model.status)
        )
        for fid, status, n in db.session.execute(query):
            counts[(fid, _state_key(kind, str(status)))] = n
    keys = [_state_key(kind, str(state)) for kind in STATES for state in STATES[kind]]
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, dict[str, str]]] = []
    for fid, name in _ordered_fields({fid for fid, _key in counts}, filters):
        rows.append({"field": name, **{key: counts.get((fid, key), 0) for key in keys}})
        drill.append(
            {
                _state_key(kind, str(state)): {
                    "kind": kind,
                    "state": str(state),
                    "field_id": field_key(fid),
                }
                for kind in STATES
                for state in STATES[kind]
            }
        )
    columns = [Column("field", _("技术领域"), "text")] + [
        Column(_state_key(kind, str(state)), f"{KIND_LABELS[kind]}·{label}", stack=kind)
        for kind in STATES
        for state, label in STATES[kind].items()
    ]
    return Table(
        name="listings_by_state",
        title=_("各技术领域成果与需求的状态"),
        columns=columns,
        rows=rows,
        chart="stacked_bar",
        x="field",
        series=keys,
        drill=drill,
        note=_("统计区间内创建并经审核公开过的成果与需求，按技术领域和当前状态计数。"),
    )


@records_of("listings_by_state")
def listings_by_state_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The listings of one kind, field and state behind a cell."""
    kind, state = drill.get("kind", ""), drill.get("state", "")
    model = LISTING_MODELS.get(kind)
    given, fid = field_from_key(drill.get("field_id", ""))
    if model is None or state not in {str(s) for s in STATES[kind]} or not given:
        return []
    ids = db.session.scalars(
        listing_query(model, filters)
        .where(
            model.published_at.is_not(None),
            model.status == state,
            model.field_id.is_(None) if fid is None else model.field_id == fid,
        )
        .with_only_columns(model.id)
        .order_by(model.id)
    )
    return listing_records(kind, ids)


# --- supply and demand ------------------------------------------------------------------------

LIVE_STATE = {"result": ResultStatus.LISTED, "need": NeedStatus.OPEN}


def _supply_query(kind: str, filters: Filters) -> sa.Select[Any]:
    """Listings live now or published within the range, narrowed by the filters."""
    model = LISTING_MODELS[kind]
    query = sa.select(model.id).where(
        sa.or_(model.status == LIVE_STATE[kind], within(model.published_at, filters))
    )
    return scope_listings(query, model, filters)


def _supply_counts(filters: Filters) -> dict[str, dict[int | None, int]]:
    counts: dict[str, dict[int | None, int]] = {}
    for kind, model in LISTING_MODELS.items():
        query = (
            _supply_query(kind, filters)
            .with_only_columns(model.field_id, sa.func.count())
            .group_by(model.field_id)
        )
        counts[kind] = dict(db.session.execute(query).tuples().all())
    return counts


@figure("supply_demand")
def supply_demand(filters: Filters) -> Table:
    """Per field: results on offer against needs posted, and the needs no result answers."""
    counts = _supply_counts(filters)
    present = set(counts["result"]) | set(counts["need"])
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, dict[str, str]]] = []
    for fid, name in _ordered_fields(present, filters):
        results, needs = counts["result"].get(fid, 0), counts["need"].get(fid, 0)
        rows.append(
            {
                "field": name,
                "result": results,
                "need": needs,
                "gap": needs if results == 0 else 0,
                "shortfall": max(needs - results, 0),
            }
        )
        key = field_key(fid)
        drill.append(
            {
                "result": {"kind": "result", "field_id": key},
                "need": {"kind": "need", "field_id": key},
                "gap": {"kind": "gap", "field_id": key},
            }
        )
    return Table(
        name="supply_demand",
        title=_("各技术领域供需对比"),
        columns=[
            Column("field", _("技术领域"), "text"),
            Column("result", _("在架成果")),
            Column("need", _("征集中的需求")),
            Column("gap", _("无成果对应的需求")),
            Column("shortfall", _("需求多于成果")),
        ],
        rows=rows,
        chart="bar",
        x="field",
        series=["result", "need", "gap"],
        drill=drill,
        note=_(
            "成果：现在在架或在统计区间内发布的成果；需求：现在征集中或在统计区间内发布的需求；"
            "无成果对应：该领域没有任何成果时的需求数；需求多于成果：需求数减成果数。"
        ),
    )


@records_of("supply_demand")
def supply_demand_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The results or needs of one field behind a cell (the gap: its needs, when it has no
    result)."""
    kind = drill.get("kind", "")
    given, fid = field_from_key(drill.get("field_id", ""))
    if kind not in ("result", "need", "gap") or not given:
        return []
    if filters.field_id is not None and fid != filters.field_id:
        return []
    if kind == "gap":
        if _supply_counts(filters)["result"].get(fid, 0):
            return []
        kind = "need"
    model = LISTING_MODELS[kind]
    field = model.field_id.is_(None) if fid is None else model.field_id == fid
    ids = db.session.scalars(_supply_query(kind, filters).where(field).order_by(model.id))
    return listing_records(kind, ids)
