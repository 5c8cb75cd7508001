"""Role x route expectations for the JSON API v1 and the API 令牌 account page (merged into
test_access_matrix).

API routes answer JSON, never a redirect: the matrix calls them with a bearer token of the
role's user (a session cookie does not authenticate the API), so a token-protected route is
401 for anon only. Listings 999999 do not exist: 404 for everyone. POST /tokens with an empty
body is a 422 (field errors). Object-level checks (drafts, another user's token): tests/api/.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_ALL = dict.fromkeys(ROLES, 200)
_MISSING = dict.fromkeys(ROLES, 404)
_TOKEN = {**_ALL, "anon": 401}
_FORBIDDEN = {**dict.fromkeys(ROLES, 403), "anon": 401}
_INVALID = {**dict.fromkeys(ROLES, 422), "anon": 401}
_TOKEN_MISSING = {**_MISSING, "anon": 401}

EXPECTED: dict[str, dict[str, int | str]] = {
    "api.create_token": dict.fromkeys(ROLES, 422),
    "api.list_results": _ALL,
    "api.list_needs": _ALL,
    "api.get_result": _MISSING,
    "api.get_need": _MISSING,
    "api.result_matches": _MISSING,
    "api.need_matches": _MISSING,
    "api.get_stats": _ALL,
    "api.get_me": _TOKEN,
    "api.openapi_json": _ALL,
    "api.docs": _ALL,
    "account.api_tokens_page": {**_ALL, "anon": LOGIN},
    # token 999999 is nobody's
    "account.revoke_api_token": {**_MISSING, "anon": LOGIN},
    # --- market: owners' working copies, writes, steps, review; search -------------------------
    # Own lists: the role that creates the kind (organisation members), else 403.
    "api.list_my_results": {**_FORBIDDEN, "university": 200},
    "api.list_my_needs": {**_FORBIDDEN, "enterprise": 200},
    "api.list_review_queue": {**_FORBIDDEN, "admin": 200},
    # An empty body is refused by the schema (title, region... required) before any role check.
    "api.create_result": _INVALID,
    "api.create_need": _INVALID,
    # Listing 999999 does not exist: 404 for every token, whatever its role.
    **{
        f"api.{name}": _TOKEN_MISSING
        for name in (
            "get_result_working",
            "get_need_working",
            "update_result",
            "update_need",
            *(f"{step}_result" for step in ("submit", "retract", "withdraw", "confirm")),
            *(f"{step}_result" for step in ("transfer", "approve")),
            *(f"{step}_need" for step in ("submit", "retract", "withdraw", "confirm")),
            "approve_need",
        )
    },
    # A rejection needs its code and reason: an empty body is refused first.
    "api.reject_result": _INVALID,
    "api.reject_need": _INVALID,
    # q is required: a call without it is a 422 for everyone.
    "api.site_search": dict.fromkeys(ROLES, 422),
}
