"""Role x route expectations for the JSON API's connect operations (merged into
test_access_matrix; see access_api.py for how API routes are called)."""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker")

EXPECTED: dict[str, dict[str, int | str]] = {}
