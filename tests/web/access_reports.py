"""Role x route expectations for the monthly report (merged into test_access_matrix)."""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_STATS = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 403), "admin": 200, "bureau": 200}

EXPECTED: dict[str, dict[str, int | str]] = {
    "bureau.monthly_report": _STATS,
    "bureau.monthly_report_xlsx": _STATS,
}
