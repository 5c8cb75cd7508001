"""Technology contract turnover: live deals signed per month, their number and amount."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.services.bureau.figures import Column, Filters, Record, Table, figure, records_of
from matchmaker.services.bureau.figures_common import deal_day, deals_in_range, month_key
from matchmaker.services.bureau.figures_listings import months
from matchmaker.services.bureau.figures_records import deal_records


def _by_month(filters: Filters) -> dict[str, list[tuple[int, Decimal]]]:
    """month → [(deal id, amount)] of the live deals counted within the filters."""
    out: dict[str, list[tuple[int, Decimal]]] = {m: [] for m in months(filters)}
    for deal_id, signed_on, created_at, amount in db.session.execute(deals_in_range(filters)):
        day = deal_day(signed_on, created_at)
        if filters.start <= day <= filters.end:
            out.setdefault(month_key(day), []).append((deal_id, Decimal(amount or 0)))
    return out


@figure("contract_turnover")
def contract_turnover(filters: Filters) -> Table:
    """Deals signed per month and their amount (万元)."""
    rows: list[dict[str, Any]] = []
    for month, deals in _by_month(filters).items():
        rows.append(
            {
                "month": month,
                "deals": len(deals),
                "amount_wan": sum((a for _i, a in deals), Decimal(0)),
            }
        )
    return Table(
        name="contract_turnover",
        title=_("技术合同成交额（按月）"),
        columns=[
            Column("month", _("月份"), "month"),
            Column("deals", _("合同数")),
            Column("amount_wan", _("成交额"), "money"),
        ],
        rows=rows,
        chart="bar",
        x="month",
        series=["deals", "amount_wan"],
        line=["amount_wan"],
        drill=[
            {key: {"month": str(row["month"])} for key in ("deals", "amount_wan")} for row in rows
        ],
        note=_("执行中和已完成的技术合同，按签订日期（未填写时按登记日期）统计。"),
    )


@records_of("contract_turnover")
def contract_turnover_records(filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The deals counted in one month (or in the whole range without a month)."""
    month = drill.get("month", "")
    by_month = _by_month(filters)
    if month:
        ids = [i for i, _a in by_month.get(month, [])]
    else:
        ids = [i for deals in by_month.values() for i, _a in deals]
    return deal_records(ids)
