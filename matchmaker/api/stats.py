"""Statistics: the bureau's figures (every chart of the 科技局 dashboard, with its filters and
the records behind each cell) and the public open data.

The figures need a token with the `stats` area (`read` or `read:stats`) and a role with
stats:view (admins and the bureau; 403 `forbidden` for every other role, as on the web); the
numbers are the ones `services/bureau/figures.py compute()` gives the dashboard. The open data
(`/open-data`) is public, as its page is. The public `/stats` stays in meta.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from flask import request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from matchmaker.api.auth import BEARER, anyone, signed_caller, token_required
from matchmaker.api.common import bp, conditional, documented_errors, paged
from matchmaker.api.schemas import stats as s
from matchmaker.extensions import db
from matchmaker.models import TechField
from matchmaker.models.base import CHINA, utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.bureau import figures, open_data
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.web.errors import MESSAGES

F = TypeVar("F", bound=Callable[..., Any])
READ = token_required("read", "stats")
#: The longest date range a figure is computed over (about ten years).
MAX_SPAN = timedelta(days=3660)


def stats_reader(view: F) -> F:
    """The role's stats:view permission (admins, the bureau), checked before the query is read:
    403 `forbidden` for any other role, whatever it asked."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not has_permission(signed_caller(), Permission.STATS_VIEW):
            raise PermissionDenied(MESSAGES[403][1])
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def _today() -> date:
    return utcnow().astimezone(CHINA).date()


def filters_of(query: dict[str, Any]) -> figures.Filters:
    """The figures' filters from a validated query; a bad range or an unknown field is a 422
    naming the parameter."""
    end = query.get("end") or _today()
    start = query.get("start") or date(end.year, 1, 1)
    errors: dict[str, list[str]] = {}
    if end < start:
        errors["end"] = [_("结束日期不能早于开始日期。")]
    elif end - start > MAX_SPAN:
        errors["end"] = [_("日期范围不能超过十年。")]
    field_id = query.get("field")
    if field_id is not None and db.session.get(TechField, field_id) is None:
        errors["field"] = [_("没有这个技术领域。")]
    if errors:
        raise ValidationFailed(errors)
    return figures.Filters(
        start=start,
        end=end,
        field_id=field_id,
        region=query.get("region") or None,
        org_kind=query.get("org_kind") or None,
    )


def jsonable(value: Any) -> Any:
    """A table cell as JSON: amounts as decimal strings, days as ISO dates, labels as text."""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # a lazy label


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: jsonable(value) for key, value in row.items()} for row in rows]


# --- the bureau's figures -----------------------------------------------------------------------
@bp.route("/stats/figures", methods=["GET"])
@READ
@stats_reader
@bp.doc(security=BEARER)
@bp.response(200, s.FigureListSchema)
@documented_errors(401, 403)
def list_figures() -> dict[str, Any]:
    """Every figure of the bureau's dashboard (name and title), in its order."""
    today = _today()
    probe = figures.Filters(start=today, end=today)
    return {
        "items": [
            {"name": name, "title": str(figures.compute(name, probe).title)}
            for name in figures.names()
        ]
    }


@bp.route("/stats/figures/<name>", methods=["GET"])
@READ
@stats_reader
@bp.doc(security=BEARER)
@bp.arguments(s.FigureQuerySchema, location="query")
@bp.response(200, s.FigureSchema)
@documented_errors(401, 403, 404, 422)
def get_figure(query: dict[str, Any], name: str) -> Response:
    """One figure under the filters: its columns, rows, each cell's drill-down parameters and
    note, exactly as the dashboard draws it and its downloads hold it."""
    filters = filters_of(query)
    table = figures.compute(name, filters)
    payload = s.FigureSchema().dump(
        {
            "name": table.name,
            "title": str(table.title),
            "chart": table.chart,
            "x": table.x,
            "series": list(table.series),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns
            ],
            "rows": _rows(table.rows),
            "drill": [
                {key: dict(params) for key, params in cells.items()} for cells in table.drill
            ],
            "note": str(table.note),
            "filters": filters.as_params(),
        }
    )
    return conditional(payload)


def drill_of(values: list[str]) -> dict[str, str]:
    """`key:value` parameters as the drill-down's dict (a repeated key: the last one)."""
    drill: dict[str, str] = {}
    for value in values:
        key, _sep, wanted = value.partition(":")
        drill[key] = wanted
    return drill


@bp.route("/stats/figures/<name>/records", methods=["GET"])
@READ
@stats_reader
@bp.doc(security=BEARER)
@bp.arguments(s.RecordQuerySchema, location="query")
@bp.response(200, s.FigureRecordPageSchema)
@documented_errors(401, 403, 404, 422)
def list_figure_records(query: dict[str, Any], name: str) -> dict[str, Any]:
    """The records behind one cell of a figure (the drill-down): the cell's `drill` parameters
    as repeated `drill=key:value`, under the same filters as the figure."""
    filters = filters_of(query)
    drill = drill_of(query["drill"])
    found = figures.records(name, filters, drill)
    page = paged(found, query)
    root = request.host_url.rstrip("/")
    return {
        **page.as_dict(
            lambda r: {
                "kind": r.kind,
                "id": r.id,
                "title": r.title,
                "url": root + r.path,
                "organisation": r.organisation,
                "day": r.day,
                "state": r.state,
                "amount_wan": r.amount_wan,
            }
        ),
        "figure": name,
        "filters": filters.as_params(),
        "drill": drill,
    }


# --- open data ----------------------------------------------------------------------------------
@bp.route("/open-data", methods=["GET"])
@anyone
@bp.response(200, s.OpenDataSchema)
def get_open_data() -> Response:
    """The public statistics (开放数据): every dataset with its columns and rows, as the page
    and its CSV files give them (aggregate counts only; small counts of private records as
    "<3"; a month's turnover only over five deals or more). CC BY 4.0."""
    payload = s.OpenDataSchema().dump(
        {
            "licence": open_data.LICENCE,
            "licence_url": open_data.LICENCE_URL,
            "all_csv_url": url_for("open_data.download_all", _external=True),
            "small_count": open_data.SMALL_COUNT,
            "min_deals_for_turnover": open_data.MIN_DEALS_FOR_TURNOVER,
            "datasets": [
                {
                    "name": d.name,
                    "title": str(d.title),
                    "description": str(d.description),
                    "note": str(d.note),
                    "csv_url": url_for("open_data.download", dataset=d.name, _external=True),
                    "columns": [
                        {
                            "key": c.key,
                            "label": str(c.label),
                            "kind": c.kind,
                            "description": str(c.description),
                        }
                        for c in d.columns
                    ],
                    "rows": _rows(d.rows),
                }
                for d in open_data.datasets()
            ],
        }
    )
    response = conditional(payload)
    response.cache_control.public = True
    response.cache_control.max_age = open_data.MAX_AGE
    return response
