"""The bureau's figures: one contract for the dashboard, its downloads, the API, the monthly
report and the drill-downs.

A figure is a named function of the filters returning a `Table`: the rows a chart draws and
the accessible table under it shows, the same rows the .xlsx/.csv downloads and
`/api/v1/stats/figures/<name>` serve. A cell that counts records names them in `drill`: the
parameters `records(name, filters, drill)` takes to list exactly the records behind it.
Figures register themselves with `@figure(name)`; the `figures_*.py` modules hold them.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from flask_babel import get_locale
from flask_babel import gettext as _

from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.platform import cache
from matchmaker.services.platform.amounts import format_money

#: How a cell is shown: "money" is in 万元, "percent" a fraction (0.25 is 25 %), "days" and
#: "hours" durations (floats, None when nothing was measured), "month" a "YYYY-MM" string.
ColumnKind = Literal["text", "int", "money", "percent", "days", "hours", "month"]
ChartKind = Literal["bar", "stacked_bar", "line", "funnel", "target", "none"]


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the figures to (China days, inclusive)."""

    start: date
    end: date
    field_id: int | None = None  # a TechField id
    region: str | None = None  # a region code (services/platform/regions.py)
    org_kind: str | None = None  # an OrgKind value (the listing owner's / party's kind)

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (for links, downloads and the API)."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.field_id is not None:
            params["field"] = str(self.field_id)
        if self.region:
            params["region"] = self.region
        if self.org_kind:
            params["org_kind"] = self.org_kind
        return params


#: The longest range the filters may cover (ten years of months).
MAX_DAYS = 3660


def parse_filters(params: Mapping[str, str], *, today: date) -> Filters:
    """Filters from query parameters (`Filters.as_params`'s names); missing dates: this year so
    far. ValidationFailed (naming the parameter) on a bad date, field, region or kind."""
    from matchmaker.models import OrgKind
    from matchmaker.services.platform.regions import REGIONS

    errors: dict[str, str] = {}
    dates: dict[str, date] = {}
    for key, default in (("start", date(today.year, 1, 1)), ("end", today)):
        raw = (params.get(key) or "").strip()
        try:
            dates[key] = date.fromisoformat(raw) if raw else default
        except ValueError:
            errors[key] = _("日期格式应为 YYYY-MM-DD。")
    if not errors and dates["start"] > dates["end"]:
        errors["end"] = _("结束日期不能早于开始日期。")
    elif not errors and (dates["end"] - dates["start"]).days > MAX_DAYS:
        errors["end"] = _("统计区间最长十年。")
    field_id: int | None = None
    raw_field = (params.get("field") or "").strip()
    if raw_field:
        if raw_field.isdigit():
            field_id = int(raw_field)
        else:
            errors["field"] = _("技术领域无效。")
    region = (params.get("region") or "").strip() or None
    if region and region not in REGIONS:
        errors["region"] = _("地区无效。")
    org_kind = (params.get("org_kind") or "").strip() or None
    if org_kind and org_kind not in {k.value for k in OrgKind}:
        errors["org_kind"] = _("机构类型无效。")
    if errors:
        raise ValidationFailed(errors)
    return Filters(dates["start"], dates["end"], field_id, region, org_kind)


@dataclass(frozen=True)
class Column:
    """One column of a figure's table."""

    key: str
    label: str  # in the reader's language
    kind: ColumnKind = "int"
    stack: str = ""  # series with the same stack are drawn stacked (a stacked_bar's groups)


@dataclass
class Table:
    """A figure: its rows, how to draw them, and how to find the records behind a cell."""

    name: str
    title: str  # in the reader's language
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: ChartKind = "bar"
    x: str = ""  # the column along the x axis (or the funnel's stage names)
    series: list[str] = field(default_factory=list)  # the columns drawn as series
    # per row, per column key: the drill-down parameters of that cell (absent: no drill-down)
    drill: list[dict[str, dict[str, str]]] = field(default_factory=list)
    note: str = ""  # one line under the chart: what is counted, from which records
    # of the series, those drawn as a line on a second y axis (a bar chart's amounts)
    line: list[str] = field(default_factory=list)
    # per row, per column key: the cell's kind where it differs from its column's (a money
    # target in a column of counts); absent: the column's kind
    cell_kinds: list[dict[str, ColumnKind]] = field(default_factory=list)
    # the columns the totals row sums; None: every int and money column ([]: no totals row)
    total_keys: list[str] | None = None

    def totals(self) -> dict[str, Any]:
        """The sum of each numeric column (for the report's totals row)."""
        numeric = [c.key for c in self.columns if c.kind in ("int", "money")]
        if self.total_keys is not None:
            numeric = [key for key in numeric if key in self.total_keys]
        return {key: sum(row.get(key) or 0 for row in self.rows) for key in numeric}

    def kind_of(self, row: int, key: str) -> ColumnKind:
        """The kind of one cell (its own, else its column's)."""
        if row < len(self.cell_kinds) and key in self.cell_kinds[row]:
            return self.cell_kinds[row][key]
        return next((c.kind for c in self.columns if c.key == key), "text")


#: Records whose page only their parties open (a 对接 request, an application, a deal, a bank
#: lead): the dashboard's readers (科技局, admins) get 404 there, so the drill-down names them
#: without a link; the API and the CSV still give the page for the parties' own use.
PARTY_ONLY_KINDS = frozenset({"enquiry", "application", "deal", "lead"})


@dataclass(frozen=True)
class Record:
    """One record behind a figure's cell, as the drill-down lists it."""

    kind: str  # result, need, challenge, enquiry, application, deal, event, lead, ...
    id: int
    title: str
    path: str  # its page on the platform (a path: services never call url_for)
    organisation: str = ""
    day: date | None = None
    state: str = ""
    amount_wan: Any = None
    count: int | None = None  # how many times it counted (a listing's views)

    @property
    def opens_for_readers(self) -> bool:
        """Whether the dashboard's readers can open `path` (not a parties-only page)."""
        return self.kind not in PARTY_ONLY_KINDS


FigureFn = Callable[[Filters], Table]
RecordsFn = Callable[[Filters, dict[str, str]], list[Record]]

_FIGURES: dict[str, FigureFn] = {}
_RECORDS: dict[str, RecordsFn] = {}


def figure(name: str) -> Callable[[FigureFn], FigureFn]:
    """Register a figure under its name (the order of registration is the dashboard's)."""

    def register(fn: FigureFn) -> FigureFn:
        _FIGURES[name] = fn
        return fn

    return register


def records_of(name: str) -> Callable[[RecordsFn], RecordsFn]:
    """Register the drill-down of a figure."""

    def register(fn: RecordsFn) -> RecordsFn:
        _RECORDS[name] = fn
        return fn

    return register


#: The modules that register figures, and the dashboard's order of the figures.
MODULES = (
    "figures_listings",
    "figures_market",
    "figures_funnel",
    "figures_deals",
    "figures_targets",
    "figures_times",
    "figures_activity",
)
ORDER = (
    "listings_by_month",
    "listings_by_state",
    "supply_demand",
    "funnel",
    "funnel_by_month",
    "funnel_by_field",
    "contract_turnover",
    "targets",
    "review_times",
    "response_times",
    "broker_activity",
    "expert_activity",
)


def _load() -> None:
    """Import the modules that register figures (once)."""
    for module in MODULES:
        importlib.import_module(f"matchmaker.services.bureau.{module}")


def names() -> list[str]:
    """Every figure's name, in the dashboard's order."""
    _load()
    known = [name for name in ORDER if name in _FIGURES]
    return known + [name for name in _FIGURES if name not in ORDER]


#: Seconds a figure is served from the shared cache (services/platform/cache.py) before it is
#: counted again; no change invalidates it (too many kinds of record feed the figures).
FIGURE_TTL = 60


def compute(name: str, filters: Filters) -> Table:
    """One figure (at most FIGURE_TTL seconds old when Redis is configured); NotFound for an
    unknown name."""
    _load()
    fn = _FIGURES.get(name)
    if fn is None:
        raise NotFound()
    key = cache.dumps([name, filters.as_params(), str(get_locale())])
    return cache.cached(
        "figures", key, lambda: fn(filters), FIGURE_TTL, encode=asdict, decode=_table_from
    )


def _table_from(stored: dict[str, Any]) -> Table:
    return Table(**{**stored, "columns": [Column(**c) for c in stored["columns"]]})


def dashboard(filters: Filters) -> list[Table]:
    """Every figure, in order."""
    return [compute(name, filters) for name in names()]


def records(name: str, filters: Filters, drill: dict[str, str]) -> list[Record]:
    """The records behind one cell of a figure; NotFound for an unknown figure."""
    _load()
    fn = _RECORDS.get(name)
    if fn is None:
        raise NotFound()
    return fn(filters, drill)


# --- how a cell reads --------------------------------------------------------------------------
def number(value: Any) -> int | float | None:
    """A cell's value as a plain number (None when it is no number): for charts and sheets."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        if not math.isfinite(value):
            return None
        return int(value) if value == int(value) else float(value)
    return None


def display(value: Any, kind: str) -> str:
    """A cell as the reader sees it, on the dashboard and in the printed report (money through
    the one money format, rates as percentages, durations with their unit)."""
    if value is None or value == "":
        return "—"
    numeric = number(value)
    if numeric is None or kind in ("text", "month"):
        return str(value)
    if kind == "money":
        return format_money(value, negotiable=False)
    if kind == "percent":  # a fraction: 0.25 is 25 %
        return f"{numeric * 100:.1f}%"
    duration = f"{numeric:.1f}"
    if kind == "days":
        return _("%(days)s 天", days=duration)
    if kind == "hours":
        return _("%(hours)s 小时", hours=duration)
    return f"{numeric:,}" if isinstance(numeric, int) else f"{numeric:,.2f}"
