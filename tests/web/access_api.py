"""Role x route expectations for the JSON API v1 and the API 令牌 account page (merged into
test_access_matrix).

API routes answer JSON, never a redirect: the matrix calls them with a bearer token of the
role's user (a session cookie does not authenticate the API), so a token-protected route is
401 for anon only. Listings 999999 do not exist: 404 for everyone. POST /tokens with an empty
body is a 422 (field errors). Object-level checks (drafts, another user's token): tests/api/.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker")
_ALL = dict.fromkeys(ROLES, 200)
_MISSING = dict.fromkeys(ROLES, 404)
_TOKEN = {**_ALL, "anon": 401}

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
}
