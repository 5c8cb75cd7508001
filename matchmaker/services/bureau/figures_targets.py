"""The city's targets as a figure: each metric's years, this year's target first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask_babel import gettext as _

from matchmaker.services.bureau import targets
from matchmaker.services.bureau.figures import (
    Column,
    ColumnKind,
    Filters,
    Record,
    Table,
    figure,
    records_of,
)
from matchmaker.services.bureau.figures_records import (
    deal_records,
    event_records,
    firm_records,
    lead_records,
    listing_records,
)


def _status(year: targets.YearProgress) -> str:
    if year.is_current:
        return _("本年度")
    return _("已过去") if year.is_past else _("未来年度")


@figure("targets")
def targets_figure(filters: Filters) -> Table:
    """Every target year of every metric against what the platform's records have done.

    The city's targets are the whole city's: the filters do not narrow them."""
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, dict[str, str]]] = []
    kinds: list[dict[str, ColumnKind]] = []
    for metric in targets.progress():
        money = metric.metric.unit == "wan"
        for year in metric.years:
            rows.append(
                {
                    "metric": str(metric.metric.label),
                    "year": str(year.year),
                    "done": year.done,
                    "target": year.target if money else int(year.target),
                    "unit": metric.unit_label,
                    "share": year.share,
                    "status": _status(year),
                }
            )
            drill.append({"done": {"metric": metric.code, "year": str(year.year)}})
            kinds.append({"done": "money", "target": "money"} if money else {})
    return Table(
        name="targets",
        title=_("目标完成情况"),
        columns=[
            Column("metric", _("指标"), "text"),
            Column("year", _("年度"), "text"),
            Column("done", _("已完成")),
            Column("target", _("目标")),
            Column("unit", _("单位"), "text"),
            Column("share", _("完成率"), "percent"),
            Column("status", _("年度状态"), "text"),
        ],
        rows=rows,
        chart="target",
        x="metric",
        series=["done", "target"],
        drill=drill,
        cell_kinds=kinds,
        total_keys=[],
        note=_("全市目标，不受筛选条件影响；按平台自身记录统计，本年度（或下一个目标年度）在前。"),
    )


@records_of("targets")
def targets_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The records counted towards one metric's target for one year."""
    metric, year = drill.get("metric", ""), drill.get("year", "")
    if metric not in targets.METRICS or not year.isdigit():
        return []
    items = targets.counted(metric, int(year))
    ids = [i.id for i in items]
    if metric == "results_converted":
        days = {i.id: i.day for i in items}
        return [replace(r, day=days.get(r.id)) for r in listing_records("result", ids)]
    if metric == "high_tech_firms":
        return firm_records(ids)
    if metric in ("talent_events", "bank_enterprise_events"):
        return event_records(ids)
    if metric == "credit_granted":
        return lead_records(ids)
    return deal_records(ids)
