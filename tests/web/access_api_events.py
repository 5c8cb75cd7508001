"""Role x route expectations of the events API (merged into test_access_matrix): public reads;
the placeholder event 999999 is nobody's."""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")

EXPECTED: dict[str, dict[str, int | str]] = {
    "api.list_events": dict.fromkeys(ROLES, 200),
    "api.get_event": dict.fromkeys(ROLES, 404),
}
