"""The public statistics (开放数据): aggregate counts and trends of the platform, for anyone.

Every dataset is a table of counts over a dimension (a field, a region, a month, a kind of
organisation or event); nothing names an organisation or a person, and no figure belongs to
one firm. The rules that keep it so live here, so the page, the CSV files and the API serve
the same suppressed rows:

- Counts of public things (listed results, open needs, published challenges and scenarios,
  events held, verified organisations) are shown as they are: each one is on a public page.
- Counts of private things (enquiries, acceptances, deals) follow the small-count rule: a cell
  of 1 or 2 is published as "<3" (0 stays 0). They cover completed months only, counted by the
  day the record was made (which never changes), so a month's figures are frozen once shown and
  two readings a day apart cannot isolate one enquiry or deal.
- Contract turnover is a sum over every deal of a month, published only when that month has at
  least MIN_DEALS_FOR_TURNOVER deals; otherwise the cell is empty (suppressed). No total over
  the months is given, so a suppressed month cannot be derived from it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import (
    Challenge,
    ChallengeKind,
    Deal,
    Event,
    EventKind,
    EventStatus,
    FunnelEvent,
    FunnelStep,
    Need,
    NeedStatus,
    OrgKind,
    Publication,
    Result,
    TechField,
    Visibility,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.errors import NotFound
from matchmaker.services.market.browsing import visible
from matchmaker.services.platform import stats
from matchmaker.services.platform.regions import REGIONS

#: How many months the monthly datasets cover.
MONTHS = 24
#: Below this, a count of private records is published as SMALL_COUNT.
SMALL_COUNT_BELOW = 3
SMALL_COUNT = "<3"
#: A month's contract turnover is published only over at least this many deals.
MIN_DEALS_FOR_TURNOVER = 5
#: Seconds a reader (or a shared cache) may keep the page, a CSV file or the API's answer.
MAX_AGE = 300
LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"

ColumnKind = Literal["text", "month", "count", "private_count", "money"]

ORG_KIND_LABELS = {
    OrgKind.ENTERPRISE: _l("企业"),
    OrgKind.UNIVERSITY: _l("高校"),
    OrgKind.INSTITUTE: _l("科研院所"),
    OrgKind.BANK: _l("银行"),
    OrgKind.GOVERNMENT: _l("政府部门"),
}
EVENT_KIND_LABELS = {
    EventKind.MATCHMAKING: _l("对接会"),
    EventKind.ROADSHOW: _l("路演"),
    EventKind.BANK_ENTERPRISE: _l("银企对接"),
    EventKind.SALON: _l("科学家企业家沙龙"),
    EventKind.TALENT: _l("人才活动"),
}
#: Challenge states that were never on the public list (drafts, under review, sent back).
_UNLISTED = (
    NeedStatus.DRAFT,
    NeedStatus.PENDING_REVIEW,
    NeedStatus.CHALLENGE_REVIEW,
    NeedStatus.CHALLENGE_RETURNED,
)


@dataclass(frozen=True)
class DatasetColumn:
    """One column of a dataset: its CSV key, its label and what it holds."""

    key: str
    label: Any  # lazy: in the reader's language
    kind: ColumnKind = "count"
    description: Any = ""


@dataclass
class Dataset:
    """One public table: its rows (already suppressed), and how the page draws it."""

    name: str
    title: Any
    description: Any
    columns: list[DatasetColumn]
    rows: list[dict[str, Any]] = field(default_factory=list)
    x: str = ""  # the column along the chart's x axis ("": no chart)
    series: list[str] = field(default_factory=list)
    note: Any = ""

    def column(self, key: str) -> DatasetColumn:
        """The column with this key."""
        return next(c for c in self.columns if c.key == key)


# --- months -------------------------------------------------------------------------------------
def _today() -> date:
    return utcnow().astimezone(CHINA).date()


def _month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_range(last: date, count: int = MONTHS) -> list[str]:
    """`count` months ending with `last`'s month, oldest first, as YYYY-MM."""
    year, month = last.year, last.month
    out = []
    for _ in range(count):
        out.append(_month_key(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def _utc_span(months: list[str]) -> tuple[datetime, datetime]:
    """The months as a half-open UTC range [first day, day after the last month)."""
    start = _first_day(months[0])
    last = _first_day(months[-1])
    after = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    as_utc = [datetime.combine(d, time.min, tzinfo=CHINA).astimezone(UTC) for d in (start, after)]
    return as_utc[0], as_utc[1]


def _month_of(value: datetime | date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite hands back naive UTC
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(CHINA)
    return _month_key(value.year, value.month)


def _public_months(today: date) -> list[str]:
    return month_range(today)


def _private_months(today: date) -> list[str]:
    """Completed months only: up to the month before `today`'s."""
    return month_range(today.replace(day=1) - timedelta(days=1))


def _count_by_month(stamps: Iterable[datetime | date], months: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(months, 0)
    for stamp in stamps:
        key = _month_of(stamp)
        if key in counts:
            counts[key] += 1
    return counts


# --- the small-count rule -------------------------------------------------------------------------
def small(count: int) -> int | str:
    """A count of private records as published: 1 and 2 become "<3"."""
    return SMALL_COUNT if 0 < count < SMALL_COUNT_BELOW else count


# --- the datasets -------------------------------------------------------------------------------
def _listed_counts(dimension: Any) -> dict[tuple[str, Any], int]:
    now = utcnow()
    counts: dict[tuple[str, Any], int] = {}
    for kind in ("result", "need"):
        rows = db.session.execute(
            sa.select(dimension, sa.func.count()).where(*visible(kind, now)).group_by(dimension)
        ).all()
        for value, n in rows:
            counts[(kind, value)] = n
    return counts


def _listing_columns() -> list[DatasetColumn]:
    return [
        DatasetColumn("results", _l("在架成果"), "count", _l("公开列表上的成果数")),
        DatasetColumn("needs", _l("征集中的需求"), "count", _l("公开列表上的需求数")),
    ]


def listings_by_field(today: date) -> Dataset:
    """Listed results and open needs per technology field, now."""
    counts = _listed_counts(Publication.field_id)
    locale = str(get_locale() or "zh")
    fields = list(
        db.session.scalars(sa.select(TechField).order_by(TechField.position, TechField.id))
    )
    rows = []
    for tech in fields:
        results, needs = counts.get(("result", tech.id), 0), counts.get(("need", tech.id), 0)
        if tech.is_active or results or needs:
            rows.append(
                {"field": tech.label(locale), "code": tech.code, "results": results, "needs": needs}
            )
    results, needs = counts.get(("result", None), 0), counts.get(("need", None), 0)
    if results or needs:
        rows.append({"field": str(_l("未分类")), "code": "", "results": results, "needs": needs})
    return Dataset(
        name="listings_by_field",
        title=_l("各技术领域在架成果与需求"),
        description=_l("当前公开列表上的成果和需求，按技术领域统计。"),
        columns=[
            DatasetColumn("field", _l("技术领域"), "text"),
            DatasetColumn("code", _l("领域代码"), "text"),
            *_listing_columns(),
        ],
        rows=rows,
        x="field",
        series=["results", "needs"],
    )


def listings_by_region(today: date) -> Dataset:
    """Listed results and open needs per region, now."""
    counts = _listed_counts(Publication.region)
    codes = list(REGIONS) + sorted(
        {code for _kind, code in counts if code not in REGIONS and code is not None}
    )
    rows = [
        {
            "region": str(REGIONS.get(code, code)),
            "code": code,
            "results": counts.get(("result", code), 0),
            "needs": counts.get(("need", code), 0),
        }
        for code in codes
    ]
    return Dataset(
        name="listings_by_region",
        title=_l("各地区在架成果与需求"),
        description=_l("当前公开列表上的成果和需求，按所在地区统计。"),
        columns=[
            DatasetColumn("region", _l("地区"), "text"),
            DatasetColumn("code", _l("地区代码"), "text"),
            *_listing_columns(),
        ],
        rows=rows,
        x="region",
        series=["results", "needs"],
    )


def listings_by_month(today: date) -> Dataset:
    """Results and needs first published per month."""
    months = _public_months(today)
    start, end = _utc_span(months)
    published = {}
    for kind, model in (("results", Result), ("needs", Need)):
        stamps = db.session.scalars(
            sa.select(model.published_at).where(
                model.published_at >= start, model.published_at < end
            )
        )
        published[kind] = _count_by_month((s for s in stamps if s is not None), months)
    rows = [
        {"month": m, "results": published["results"][m], "needs": published["needs"][m]}
        for m in months
    ]
    return Dataset(
        name="listings_by_month",
        title=_l("每月新发布的成果与需求"),
        description=_l("每月首次通过审核、进入公开列表的成果和需求数（北京时间）。"),
        columns=[
            DatasetColumn("month", _l("月份"), "month"),
            DatasetColumn("results", _l("新发布成果"), "count"),
            DatasetColumn("needs", _l("新发布需求"), "count"),
        ],
        rows=rows,
        x="month",
        series=["results", "needs"],
    )


def challenges_by_month(today: date) -> Dataset:
    """Public challenges and scenarios published and solved per month."""
    months = _public_months(today)
    start, end = _utc_span(months)
    public = (
        sa.select(Challenge.kind, Challenge.published_at, Challenge.solved_at)
        .join(Need, Challenge.need_id == Need.id)
        .where(Challenge.visibility == Visibility.PUBLIC, Need.status.not_in(_UNLISTED))
        .where(
            sa.or_(
                sa.and_(Challenge.published_at >= start, Challenge.published_at < end),
                sa.and_(Challenge.solved_at >= start, Challenge.solved_at < end),
            )
        )
    )
    keys = ("challenges", "challenges_solved", "scenarios", "scenarios_solved")
    counts = {key: dict.fromkeys(months, 0) for key in keys}
    for kind, published_at, solved_at in db.session.execute(public):
        prefix = "scenarios" if kind == ChallengeKind.SCENARIO else "challenges"
        for key, stamp in ((prefix, published_at), (f"{prefix}_solved", solved_at)):
            if stamp is not None and _month_of(stamp) in counts[key]:
                counts[key][_month_of(stamp)] += 1
    return Dataset(
        name="challenges_by_month",
        title=_l("每月发布和解决的揭榜挂帅与场景"),
        description=_l("公开发布的揭榜挂帅榜单和应用场景，按发布月份和解决（验收）月份统计。"),
        columns=[
            DatasetColumn("month", _l("月份"), "month"),
            DatasetColumn("challenges", _l("发布榜单"), "count"),
            DatasetColumn("challenges_solved", _l("解决榜单"), "count"),
            DatasetColumn("scenarios", _l("发布场景"), "count"),
            DatasetColumn("scenarios_solved", _l("解决场景"), "count"),
        ],
        rows=[{"month": m, **{key: counts[key][m] for key in keys}} for m in months],
        x="month",
        series=list(keys),
    )


def enquiries_by_month(today: date) -> Dataset:
    """Enquiries sent and accepted per completed month (the small-count rule applies)."""
    months = _private_months(today)
    first, last = _first_day(months[0]), _first_day(months[-1])
    last_day = date(last.year + (last.month == 12), last.month % 12 + 1, 1) - timedelta(days=1)
    rows = db.session.execute(
        sa.select(FunnelEvent.step, FunnelEvent.day).where(
            FunnelEvent.step.in_((FunnelStep.ENQUIRY, FunnelStep.ACCEPTED)),
            FunnelEvent.day >= first,
            FunnelEvent.day <= last_day,
        )
    ).all()
    sent = _count_by_month((day for step, day in rows if step == FunnelStep.ENQUIRY), months)
    accepted = _count_by_month((day for step, day in rows if step == FunnelStep.ACCEPTED), months)
    return Dataset(
        name="enquiries_by_month",
        title=_l("每月对接请求与接受数"),
        description=_l("每月发出的对接请求数和被接受的对接请求数（仅计数，不含任何内容）。"),
        columns=[
            DatasetColumn("month", _l("月份"), "month"),
            DatasetColumn("enquiries", _l("对接请求"), "private_count"),
            DatasetColumn("accepted", _l("接受对接"), "private_count"),
        ],
        rows=[
            {"month": m, "enquiries": small(sent[m]), "accepted": small(accepted[m])}
            for m in months
        ],
        x="month",
        series=["enquiries", "accepted"],
        note=_l(
            "只统计已结束的月份，按发出和接受的日期；数量为 1 或 2 时显示为“%(small)s”。",
            small=SMALL_COUNT,
        ),
    )


def deals_by_month(today: date) -> Dataset:
    """Deals recorded per completed month, and their turnover where enough deals add up."""
    months = _private_months(today)
    start, end = _utc_span(months)
    count = dict.fromkeys(months, 0)
    total = dict.fromkeys(months, Decimal(0))
    for created_at, amount in db.session.execute(
        sa.select(Deal.created_at, Deal.amount_wan).where(
            Deal.created_at >= start, Deal.created_at < end
        )
    ):
        month = _month_of(created_at)
        if month in count:
            count[month] += 1
            total[month] += amount or Decimal(0)
    rows = [
        {
            "month": m,
            "deals": small(count[m]),
            "turnover_wan": total[m] if count[m] >= MIN_DEALS_FOR_TURNOVER else None,
        }
        for m in months
    ]
    return Dataset(
        name="deals_by_month",
        title=_l("每月签订的技术合同"),
        description=_l("每月在平台登记的技术合同数，以及所有合同的合同金额合计（万元）。"),
        columns=[
            DatasetColumn("month", _l("月份"), "month"),
            DatasetColumn("deals", _l("合同数"), "private_count"),
            DatasetColumn(
                "turnover_wan",
                _l("合同金额合计（万元）"),
                "money",
                _l("当月合同不足 %(n)s 笔时不公布（留空）", n=MIN_DEALS_FOR_TURNOVER),
            ),
        ],
        rows=rows,
        x="month",
        series=["deals"],
        note=_l(
            "只统计已结束的月份，按合同登记日期；合同数为 1 或 2 时显示为“%(small)s”；"
            "当月合同不足 %(n)s 笔时不公布金额合计，因此无法推算任何一家企业的合同金额。",
            small=SMALL_COUNT,
            n=MIN_DEALS_FOR_TURNOVER,
        ),
    )


def events_by_month(today: date) -> Dataset:
    """Events held per month and kind (public events, not cancelled)."""
    months = _public_months(today)
    start, end = _utc_span(months)
    now = utcnow()
    held = db.session.execute(
        sa.select(Event.kind, Event.starts_at).where(
            Event.status.not_in((EventStatus.DRAFT, EventStatus.CANCELLED)),
            Event.starts_at >= start,
            Event.starts_at < min(end, now),
        )
    ).all()
    keys = [str(kind) for kind in EventKind]
    counts = {key: _count_by_month((s for k, s in held if str(k) == key), months) for key in keys}
    return Dataset(
        name="events_by_month",
        title=_l("每月举办的活动"),
        description=_l("每月已举办的对接会、路演、银企对接、沙龙和人才活动数（已取消的不计）。"),
        columns=[
            DatasetColumn("month", _l("月份"), "month"),
            *(DatasetColumn(str(kind), label) for kind, label in EVENT_KIND_LABELS.items()),
        ],
        rows=[{"month": m, **{key: counts[key][m] for key in keys}} for m in months],
        x="month",
        series=keys,
    )


def organisations_by_kind(today: date) -> Dataset:
    """Verified organisations per kind, now."""
    counts = stats.verified_organisation_counts()
    return Dataset(
        name="organisations_by_kind",
        title=_l("已认证机构"),
        description=_l("通过平台认证的机构数，按机构类型统计。"),
        columns=[
            DatasetColumn("kind", _l("机构类型"), "text"),
            DatasetColumn("code", _l("类型代码"), "text"),
            DatasetColumn("verified", _l("已认证机构数"), "count"),
        ],
        rows=[
            {"kind": str(label), "code": str(kind), "verified": counts.get(str(kind), 0)}
            for kind, label in ORG_KIND_LABELS.items()
        ],
        x="kind",
        series=["verified"],
    )


_BUILDERS = {
    "listings_by_field": listings_by_field,
    "listings_by_region": listings_by_region,
    "listings_by_month": listings_by_month,
    "challenges_by_month": challenges_by_month,
    "enquiries_by_month": enquiries_by_month,
    "deals_by_month": deals_by_month,
    "events_by_month": events_by_month,
    "organisations_by_kind": organisations_by_kind,
}


def dataset_names() -> list[str]:
    """Every dataset's name, in the page's order."""
    return list(_BUILDERS)


def dataset(name: str, *, today: date | None = None) -> Dataset:
    """One dataset with its rows; NotFound for an unknown name."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise NotFound()
    return builder(today or _today())


def datasets(*, today: date | None = None) -> list[Dataset]:
    """Every dataset with its rows, in the page's order."""
    day = today or _today()
    return [builder(day) for builder in _BUILDERS.values()]


# --- CSV ----------------------------------------------------------------------------------------
def cell_text(value: Any) -> str:
    """A cell as the CSV writes it: empty for a suppressed amount, never a formula."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _encode(rows: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def csv_bytes(data: Dataset) -> bytes:
    """One dataset as UTF-8 CSV with a BOM: a header row of the column keys, then the rows."""
    keys = [c.key for c in data.columns]
    return _encode([keys, *([cell_text(row.get(k)) for k in keys] for row in data.rows)])


#: The columns of all.csv: one line per cell of every dataset (a long table).
ALL_COLUMNS = ("dataset", "dimension", "dimension_value", "code", "measure", "value")


def all_csv_bytes(every: list[Dataset]) -> bytes:
    """Every dataset in one long CSV: the dataset, its dimension (field, region, month, kind),
    the row's value of it and its code (if any), the measure and its value."""
    lines: list[list[str]] = [list(ALL_COLUMNS)]
    for data in every:
        dimension = data.columns[0].key
        measures = [c.key for c in data.columns if c.kind not in ("text", "month")]
        for row in data.rows:
            for measure in measures:
                lines.append(
                    [
                        data.name,
                        dimension,
                        cell_text(row.get(dimension)),
                        cell_text(row.get("code", "")),
                        measure,
                        cell_text(row.get(measure)),
                    ]
                )
    return _encode(lines)
