"""Role x route expectations for the bureau's view: the dashboard, its drill-downs and downloads,
the targets, and the admin's 科技局 account form (merged into test_access_matrix).

The matrix asks for the figure `listings_by_month` (PLACEHOLDERS["name"]) with no filters (this
year); unknown figures, bad filters and drill-downs are tests/web/test_bureau_web.py's.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_STATS = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 403), "admin": 200, "bureau": 200}
_ADMIN = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 403), "admin": 200}

EXPECTED: dict[str, dict[str, int | str]] = {
    "bureau.dashboard": _STATS,
    "bureau.records": _STATS,
    "bureau.records_csv": _STATS,
    "bureau.figure_download": _STATS,  # fmt "csv" (PLACEHOLDERS)
    "bureau.figures_workbook": _STATS,
    # the city's targets: the admin edits them; the 科技局 reader sees them on the dashboard
    "bureau.targets": _ADMIN,
    # an empty form comes back with its errors (400)
    "admin.create_bureau_user": {**_ADMIN, "admin": 400},
}
