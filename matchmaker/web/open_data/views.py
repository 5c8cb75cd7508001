"""The 开放数据 page: the platform's aggregate counts and trends for anyone, each dataset as a
chart, an accessible table and a CSV file (services/bureau/open_data.py decides what is shown)."""

from __future__ import annotations

from typing import Any

from flask import current_app, make_response, render_template, session
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.services.bureau import open_data
from matchmaker.web.open_data.blueprint import bp
from matchmaker.web.policy import public


def cacheable(response: Response) -> Response:
    """Anonymous readers may cache the answer for five minutes; shared caches only when the
    answer sets no cookie (signed-in users get no-store from web/hooks.py)."""
    if not current_user.is_authenticated:
        response.cache_control.max_age = open_data.MAX_AGE
        if session.modified:  # a cookie goes out with it: never for a shared cache
            response.cache_control.private = True
        else:
            response.cache_control.public = True
    return response


def chart_of(data: open_data.Dataset) -> dict[str, Any]:
    """What static/js/open-data.js draws: the x labels and one series per column (a suppressed
    cell, "<3", is drawn as a gap; the table says "<3")."""
    return {
        "x": [str(row[data.x]) for row in data.rows],
        "series": [
            {
                "name": str(data.column(key).label),
                "data": [v if isinstance(v, int) else None for v in (r[key] for r in data.rows)],
            }
            for key in data.series
        ],
    }


@bp.route("/")
@public
def index() -> Response:
    """Every dataset: chart, table, notes, CSV link; the licence and the small-count rule."""
    every = open_data.datasets()
    html = render_template(
        "open_data/index.html",
        datasets=every,
        charts={d.name: chart_of(d) for d in every if d.x},
        small_count=open_data.SMALL_COUNT,
        min_deals=open_data.MIN_DEALS_FOR_TURNOVER,
        months=open_data.MONTHS,
        licence=open_data.LICENCE,
        licence_url=open_data.LICENCE_URL,
        all_columns=open_data.ALL_COLUMNS,
    )
    return cacheable(make_response(html))


def _csv(body: bytes, name: str) -> Response:
    response = current_app.response_class(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="open-data-{name}.csv"'
    return cacheable(response)


@bp.route("/all.csv")
@public
def download_all() -> Response:
    """Every dataset in one long CSV (UTF-8 with BOM)."""
    return _csv(open_data.all_csv_bytes(open_data.datasets()), "all")


@bp.route("/<dataset>.csv")
@public
def download(dataset: str) -> Response:
    """One dataset as CSV (UTF-8 with BOM); an unknown name is a 404."""
    return _csv(open_data.csv_bytes(open_data.dataset(dataset)), dataset)
