"""Role x route expectations (merged into test_access_matrix)."""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")

EXPECTED: dict[str, dict[str, int | str]] = {}
