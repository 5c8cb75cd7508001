"""The city's targets (seed 003 and seed 000) and the platform's progress against them, counted
on its own records; the admin may set any year's target (a CityTarget row over the default)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    Application,
    CityTarget,
    ConversionOffer,
    Deal,
    Enquiry,
    Event,
    EventKind,
    EventStatus,
    FirmProfile,
    Lead,
    LeadStatus,
    Organisation,
    OrgStatus,
    Result,
    ResultStatus,
    User,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.bureau.figures_common import LIVE_DEAL_STATES, china_date, deal_day
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit

Unit = Literal["count", "wan"]
#: How the records count towards a year: all up to the year's end (a plan's running total),
#: only those within the year, or all there are now (a number of firms: no history is kept).
Counting = Literal["cumulative", "annual", "stock"]

PLAN_YEARS = range(2025, 2031)
#: 2024 技术合同成交额 (seed 000): 17.3亿 = 173,000 万元, every later year's default target.
TURNOVER_BASELINE = Decimal(173_000)


@dataclass(frozen=True)
class Metric:
    """One target: what is counted, in which unit, how, and the seed's figures by year."""

    code: str
    label: Any  # lazy, in the reader's language
    unit: Unit
    counting: Counting
    default: dict[int, Decimal]
    source: Any  # where the default comes from
    unit_label: Any = None  # the word after a count (项, 家, 场); None: UNIT_LABELS[unit]


def _yearly(value: int | Decimal) -> dict[int, Decimal]:
    return {year: Decimal(value) for year in PLAN_YEARS}


METRICS: dict[str, Metric] = {
    m.code: m
    for m in (
        Metric(
            "results_converted",
            _l("科技成果转化"),
            "count",
            "cumulative",
            {2025: Decimal(350), 2027: Decimal(440), 2030: Decimal(700)},
            _l("长春市科技成果转化目标：2025年350项、2027年440项、2030年700项。"),
        ),
        Metric(
            "high_tech_firms",
            _l("高新技术企业"),
            "count",
            "stock",
            {2025: Decimal(320), 2027: Decimal(390), 2030: Decimal(500)},
            _l("高新技术企业目标：2025年320家、2027年390家、2030年500家。"),
            _l("家"),
        ),
        Metric(
            "talent_events",
            _l("人才活动"),
            "count",
            "cumulative",
            {2025: Decimal(150), 2027: Decimal(450), 2030: Decimal(750)},
            _l("人才活动目标（累计）：2025年150场、2027年450场、2030年750场。"),
            _l("场"),
        ),
        Metric(
            "bank_enterprise_events",
            _l("银企对接活动"),
            "count",
            "annual",
            _yearly(50),
            _l("每年举办银企对接活动50场以上。"),
            _l("场"),
        ),
        Metric(
            "credit_granted",
            _l("授信金额"),
            "wan",
            "annual",
            _yearly(1_000_000),
            _l("每年为科技企业授信100亿元。"),
        ),
        Metric(
            "contract_turnover",
            _l("技术合同成交额"),
            "wan",
            "annual",
            _yearly(TURNOVER_BASELINE),
            _l("2024年技术合同成交额17.3亿元，以后各年默认以此为目标，由管理员设定。"),
        ),
    )
}

UNIT_LABELS: dict[str, Any] = {"count": _l("项"), "wan": _l("万元")}


def targets_for(metric: str) -> dict[int, Decimal]:
    """A metric's target by year: the defaults, overridden by the admin's rows (years in order)."""
    if metric not in METRICS:
        raise ValidationFailed({"metric": _("未知的目标指标。")})
    values = dict(METRICS[metric].default)
    for year, value in db.session.execute(
        sa.select(CityTarget.year, CityTarget.value).where(CityTarget.metric == metric)
    ):
        values[year] = Decimal(value)
    return dict(sorted(values.items()))


def overridden_years(metric: str) -> set[int]:
    """The years of a metric the admin has set."""
    return set(db.session.scalars(sa.select(CityTarget.year).where(CityTarget.metric == metric)))


def _amount_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _validate(metric: str, year: Any, value: Any) -> tuple[int, Decimal]:
    errors: dict[str, str] = {}
    if metric not in METRICS:
        errors["metric"] = _("未知的目标指标。")
    try:
        year_int = int(year)
    except (TypeError, ValueError):
        year_int = 0
    if not 2000 <= year_int <= 2100 or str(year).strip() != str(year_int):
        errors["year"] = _("年份须在 2000 到 2100 之间。")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = Decimal(-1)
        errors["value"] = _("目标值须为数字。")
    if "value" not in errors and (not amount.is_finite() or amount < 0):
        errors["value"] = _("目标值不能为负数。")
    elif "value" not in errors and amount >= Decimal("1e14"):
        errors["value"] = _("目标值过大。")
    if errors:
        raise ValidationFailed(errors)
    return year_int, amount.quantize(Decimal("0.01"))


def set_target(*, actor: User, metric: str, year: Any, value: Any) -> CityTarget:
    """Set a metric's target for a year (over the default); audited."""
    if not has_permission(actor, Permission.TARGETS_EDIT):
        raise PermissionDenied(_("只有管理员可以修改目标。"))
    year_int, amount = _validate(metric, year, value)
    row = db.session.scalar(
        sa.select(CityTarget).where(CityTarget.metric == metric, CityTarget.year == year_int)
    )
    before = targets_for(metric).get(year_int)
    if row is None:
        row = CityTarget(metric=metric, year=year_int, value=amount)
        db.session.add(row)
    row.value = amount
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    db.session.flush()
    record_audit(
        actor=actor,
        action="city_target.update",
        object_type="city_target",
        object_id=row.id,
        before={"metric": metric, "year": year_int, "value": _amount_text(before)}
        if before is not None
        else None,
        after={"metric": metric, "year": year_int, "value": _amount_text(amount)},
    )
    return row


def clear_target(*, actor: User, metric: str, year: int) -> None:
    """Remove the admin's target for a year: the default (if any) applies again; audited."""
    if not has_permission(actor, Permission.TARGETS_EDIT):
        raise PermissionDenied(_("只有管理员可以修改目标。"))
    if metric not in METRICS:
        raise ValidationFailed({"metric": _("未知的目标指标。")})
    row = db.session.scalar(
        sa.select(CityTarget).where(CityTarget.metric == metric, CityTarget.year == year)
    )
    if row is None:
        return
    record_audit(
        actor=actor,
        action="city_target.delete",
        object_type="city_target",
        object_id=row.id,
        before={"metric": metric, "year": year, "value": _amount_text(Decimal(row.value))},
    )
    db.session.delete(row)
    db.session.flush()


# --- what the platform's records have done ---------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One record counted towards a metric: its id, the day it counts on, its amount."""

    id: int
    day: date | None
    amount: Decimal = Decimal(1)


def converted_results() -> list[Item]:
    """Results converted (the one rule: the admin dashboard's count in services/platform/stats.py
    reads it too): a live deal about them, or marked transferred; each counts once, on the day
    of its first deal (a transferred result without one: its last update, the transfer)."""
    live = Deal.status.in_(LIVE_DEAL_STATES)
    routes: list[sa.Select[Any]] = [
        sa.select(Application.source_result_id, Deal.signed_on, Deal.created_at)
        .join(Deal, Deal.application_id == Application.id)
        .where(live, Application.source_result_id.is_not(None)),
        sa.select(ConversionOffer.result_id, Deal.signed_on, Deal.created_at)
        .join(AdoptionRequest, AdoptionRequest.offer_id == ConversionOffer.id)
        .join(Deal, Deal.adoption_request_id == AdoptionRequest.id)
        .where(live),
        sa.select(Enquiry.result_id, Deal.signed_on, Deal.created_at)
        .join(Deal, Deal.enquiry_id == Enquiry.id)
        .where(live, Enquiry.result_id.is_not(None)),
    ]
    first: dict[int, date] = {}
    for route in routes:
        for result_id, signed_on, created_at in db.session.execute(route):
            day = deal_day(signed_on, created_at)
            first[result_id] = min(day, first.get(result_id, day))
    for result_id, updated_at in db.session.execute(
        sa.select(Result.id, Result.updated_at).where(Result.status == ResultStatus.TRANSFERRED)
    ):
        first.setdefault(result_id, china_date(updated_at))
    return [Item(rid, day) for rid, day in sorted(first.items())]


def _high_tech_firms() -> list[Item]:
    """Verified organisations whose firm profile declares 高新技术企业 (counted as they are now)."""
    query = (
        sa.select(FirmProfile.id)
        .join(Organisation, Organisation.id == FirmProfile.organisation_id)
        .where(FirmProfile.high_tech.is_(True), Organisation.status == OrgStatus.VERIFIED)
        .order_by(FirmProfile.id)
    )
    return [Item(pid, None) for pid in db.session.scalars(query)]


def _events(kind: EventKind) -> list[Item]:
    """Finished events of a kind, on the day they started."""
    query = (
        sa.select(Event.id, Event.starts_at)
        .where(Event.kind == kind, Event.status == EventStatus.FINISHED)
        .order_by(Event.id)
    )
    return [Item(eid, china_date(starts)) for eid, starts in db.session.execute(query)]


def _credit() -> list[Item]:
    """Leads whose credit was approved (approved, or since disbursed): the approved amount, on
    the day of approval."""
    query = (
        sa.select(Lead.id, Lead.approved_at, Lead.approved_amount_wan)
        .where(
            Lead.status.in_([LeadStatus.APPROVED, LeadStatus.DISBURSED]),
            Lead.approved_at.is_not(None),
        )
        .order_by(Lead.id)
    )
    return [
        Item(lid, china_date(at), Decimal(amount or 0))
        for lid, at, amount in db.session.execute(query)
    ]


def _turnover() -> list[Item]:
    """Live deals: their amount, on the day signed (else recorded)."""
    query = (
        sa.select(Deal.id, Deal.signed_on, Deal.created_at, Deal.amount_wan)
        .where(Deal.status.in_(LIVE_DEAL_STATES))
        .order_by(Deal.id)
    )
    return [
        Item(did, deal_day(signed, created), Decimal(amount or 0))
        for did, signed, created, amount in db.session.execute(query)
    ]


#: How each metric's records are read (one or a few queries each).
ITEMS: dict[str, Callable[[], list[Item]]] = {
    "results_converted": converted_results,
    "high_tech_firms": _high_tech_firms,
    "talent_events": lambda: _events(EventKind.TALENT),
    "bank_enterprise_events": lambda: _events(EventKind.BANK_ENTERPRISE),
    "credit_granted": _credit,
    "contract_turnover": _turnover,
}


def counted(metric: str, year: int, items: list[Item] | None = None) -> list[Item]:
    """The records of a metric that count towards a year's target."""
    spec = METRICS[metric]
    items = ITEMS[metric]() if items is None else items
    if spec.counting == "stock":
        return items
    if spec.counting == "annual":
        return [i for i in items if i.day is not None and i.day.year == year]
    return [i for i in items if i.day is not None and i.day <= date(year, 12, 31)]


def done_value(metric: str, items: list[Item]) -> int | Decimal:
    """What counted items amount to: their number, or their sum in 万元."""
    if METRICS[metric].unit == "wan":
        return sum((i.amount for i in items), Decimal(0))
    return len(items)


@dataclass(frozen=True)
class YearProgress:
    """A metric's target for one year and what the platform has done towards it."""

    year: int
    target: Decimal
    done: int | Decimal
    share: float | None  # done / target, not capped (None for a zero target)
    is_current: bool
    is_past: bool
    overridden: bool  # set by the admin rather than the seed's default

    @property
    def bar(self) -> float:
        """The share capped at 1, for drawing."""
        return min(1.0, self.share or 0.0)


@dataclass(frozen=True)
class MetricProgress:
    """One metric: its years, this year's (or the next) first, then later ones, then past."""

    metric: Metric
    years: list[YearProgress]

    @property
    def code(self) -> str:
        return self.metric.code

    @property
    def unit_label(self) -> str:
        """The metric's unit in the reader's language (项, 家, 场, 万元)."""
        return str(self.metric.unit_label or UNIT_LABELS[self.metric.unit])


def order_years(years: list[int], this_year: int) -> list[int]:
    """This year (or the next future one) first, later years, then past years."""
    return sorted(years, key=lambda y: (y < this_year, y))


def progress(today: date | None = None) -> list[MetricProgress]:
    """Every metric's targets with the platform's progress, in METRICS order."""
    this_year = (today or utcnow().astimezone(CHINA).date()).year
    out = []
    for code, spec in METRICS.items():
        targets = targets_for(code)
        mine = overridden_years(code)
        items = ITEMS[code]()
        years = []
        for year in order_years(list(targets), this_year):
            target = targets[year]
            done = done_value(code, counted(code, year, items))
            years.append(
                YearProgress(
                    year=year,
                    target=target,
                    done=done,
                    share=float(Decimal(done) / target) if target else None,
                    is_current=year == this_year,
                    is_past=year < this_year,
                    overridden=year in mine,
                )
            )
        out.append(MetricProgress(spec, years))
    return out
