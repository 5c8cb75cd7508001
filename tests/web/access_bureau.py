"""Role x route expectations for the bureau's view, the events and the open data (merged into
test_access_matrix)."""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_STATS = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 403), "admin": 200, "bureau": 200}

EXPECTED: dict[str, dict[str, int | str]] = {
    "bureau.dashboard": _STATS,
}
