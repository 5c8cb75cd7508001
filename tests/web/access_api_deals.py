"""Role x route expectations for the JSON API's deals operations (merged into
test_access_matrix; see access_api.py for how API routes are called).

Deals are never public: anon is 401 everywhere. Deal 999999 is nobody's, so every role (admins
too) gets 404 where the deal is loaded first; POSTs with a body schema and no body are refused
with 422 before any deal is looked up (the field errors say nothing about deal 999999).
Object-level checks (another organisation's deal) are in tests/api/test_deals.py."""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_ALL = {**dict.fromkeys(ROLES, 200), "anon": 401}
_MISSING = {**dict.fromkeys(ROLES, 404), "anon": 401}
_NO_BODY = {**dict.fromkeys(ROLES, 422), "anon": 401}

EXPECTED: dict[str, dict[str, int | str]] = {
    "api.list_deals": _ALL,
    "api.get_deal": _MISSING,
    "api.create_deal": _NO_BODY,
    "api.terminate_deal": _NO_BODY,
    "api.end_deal_trial": _NO_BODY,
    "api.list_deal_milestones": _MISSING,
    "api.add_deal_milestone": _NO_BODY,
    "api.submit_deal_evidence": _NO_BODY,
    "api.accept_deal_milestone": _MISSING,
    "api.rework_deal_milestone": _NO_BODY,
}
