"""Role x route expectations for the JSON API's challenges operations (merged into
test_access_matrix; see access_api.py for how API routes are called).

The matrix calls them with a bearer token holding every scope the role allows and, for writes,
no body; ids are 999999 (nobody's): 404 for everyone with a token, 401 without one. A write
whose body has required fields is 422 before anything is looked up. Object-level checks
(another organisation's challenge or application): tests/api/test_challenges.py and
test_applications.py.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_ALL = dict.fromkeys(ROLES, 200)
_TOKEN = {**_ALL, "anon": 401}
_MISSING = {**dict.fromkeys(ROLES, 404), "anon": 401}
_INVALID = {**dict.fromkeys(ROLES, 422), "anon": 401}

EXPECTED: dict[str, dict[str, int | str]] = {
    # challenges
    "api.list_challenges": _ALL,
    "api.get_challenge": dict.fromkeys(ROLES, 404),
    # 我的榜单: those who may publish challenges (CHALLENGE_PUBLISH), as on the web
    "api.list_my_challenges": {**dict.fromkeys(ROLES, 403), "anon": 401, "enterprise": 200},
    "api.create_challenge": _INVALID,  # need_id, terms required
    "api.update_challenge": _MISSING,
    "api.close_challenge": _MISSING,
    "api.withdraw_challenge": _INVALID,  # a reason (and code) required
    "api.invite_to_challenge": _INVALID,  # organisation_ids required
    "api.approve_challenge": _MISSING,
    "api.reject_challenge": _INVALID,  # a reason (and code) required
    # applications
    "api.apply_to_challenge": _MISSING,
    "api.list_applications": _TOKEN,
    "api.get_application": _MISSING,
    "api.update_application": _MISSING,
    "api.submit_application": _MISSING,
    "api.withdraw_application": _MISSING,
    "api.shortlist_application": _MISSING,
    "api.finalist_application": _MISSING,
    "api.decline_application": _INVALID,  # a reason (and code) required
    "api.select_application": _INVALID,  # a reason (and code) required
}
