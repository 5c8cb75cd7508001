"""Role x route expectations for the JSON API's statistics operations (merged into
test_access_matrix; see access_api.py for how API routes are called).

The bureau's figures need a token (anon: 401) and the role's stats:view permission: admins and
the 科技局 reader (bureau) get them, every other role is refused at the gate (403 `forbidden`)
even though its token's bare `read` scope covers every area. The matrix asks for the figure
`listings_by_month` (PLACEHOLDERS["name"]) with no filters (this year). The open data is public.
Filters, drill-downs, 404 and 422: tests/api/test_stats.py.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")

_STATS_READERS = {**dict.fromkeys(ROLES, 403), "anon": 401, "admin": 200, "bureau": 200}

EXPECTED: dict[str, dict[str, int | str]] = {
    "api.list_figures": _STATS_READERS,
    "api.get_figure": _STATS_READERS,
    "api.list_figure_records": _STATS_READERS,
    "api.get_open_data": dict.fromkeys(ROLES, 200),
}
