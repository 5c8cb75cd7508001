"""The bureau's figures: one contract for the dashboard, its downloads, the API, the monthly
report and the drill-downs.

A figure is a named function of the filters returning a `Table`: the rows a chart draws and
the accessible table under it shows, the same rows the .xlsx/.csv downloads and
`/api/v1/stats/figures/<name>` serve. A cell that counts records names them in `drill`: the
parameters `records(name, filters, drill)` takes to list exactly the records behind it.
Figures register themselves with `@figure(name)`; the `figures_*.py` modules hold them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from matchmaker.services.errors import NotFound

ColumnKind = Literal["text", "int", "money", "percent", "days", "month"]
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


@dataclass(frozen=True)
class Column:
    """One column of a figure's table."""

    key: str
    label: str  # in the reader's language
    kind: ColumnKind = "int"


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

    def totals(self) -> dict[str, Any]:
        """The sum of each numeric column (for the report's totals row)."""
        numeric = [c.key for c in self.columns if c.kind in ("int", "money")]
        return {key: sum(row.get(key) or 0 for row in self.rows) for key in numeric}


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


def _load() -> None:
    """Import the modules that register figures (once)."""
    from matchmaker.services.bureau import figures_listings  # noqa: F401


def names() -> list[str]:
    """Every figure's name, in the dashboard's order."""
    _load()
    return list(_FIGURES)


def compute(name: str, filters: Filters) -> Table:
    """One figure; NotFound for an unknown name."""
    _load()
    fn = _FIGURES.get(name)
    if fn is None:
        raise NotFound()
    return fn(filters)


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
