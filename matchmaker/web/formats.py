"""The template filters that write money and dates for people: one format per language.

`{{ x|money }}` / `{{ low|money(high) }}` (services/platform/amounts.py `format_money`),
`{{ d|date }}`, `{{ t|datetime }}`, `{{ t|time }}` (services/platform/dates.py). Flask-Babel's
`dateformat` / `datetimeformat` / `timeformat` filters are pointed at the same functions, so a
stray use cannot print a US short date ("12/3/26"); templates use the short names
(tests/web/test_formats.py checks).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from matchmaker.services.platform.amounts import format_money
from matchmaker.services.platform.dates import format_date, format_datetime, format_time


def _ignoring_format(function: Any) -> Any:
    def filter_(value: Any, *_format: Any, **_options: Any) -> str:
        return function(value)

    return filter_


def register(app: Flask) -> None:
    """Install the filters (after Flask-Babel, whose date filters they replace)."""
    app.jinja_env.filters.update(
        {
            "money": format_money,
            "date": format_date,
            "datetime": format_datetime,
            "time": format_time,
            "dateformat": _ignoring_format(format_date),
            "datetimeformat": _ignoring_format(format_datetime),
            "timeformat": _ignoring_format(format_time),
        }
    )
    app.jinja_env.globals["format_money"] = format_money
