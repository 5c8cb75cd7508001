"""Role x route expectations for the JSON API's directory operations (merged into
test_access_matrix; see access_api.py for how API routes are called).

Organisations and experts 999999 do not exist: 404 wherever the caller gets as far as loading
one. The keepers' list is for universities and institutes (403 for the other roles), the review
queue for admins; a reviewer's operation on a missing profile is 403 for everyone but an admin
(the role is checked before the profile is looked up, as on the web). Bodies are checked before
anything else: POST /experts and /experts/{id}/reject without a body are 422 for every token.
Object-level checks (another organisation's profile, drafts, pending organisations): tests/api/.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_ALL = dict.fromkeys(ROLES, 200)
_MISSING = dict.fromkeys(ROLES, 404)
_TOKEN_MISSING = {**_MISSING, "anon": 401}
_TOKEN_422 = {**dict.fromkeys(ROLES, 422), "anon": 401}
_KEEPERS = {**dict.fromkeys(ROLES, 403), "anon": 401, "university": 200}
_ADMINS = {**dict.fromkeys(ROLES, 403), "anon": 401, "admin": 200}
_ADMINS_MISSING = {**_ADMINS, "admin": 404}

EXPECTED: dict[str, dict[str, int | str]] = {
    "api.list_organisations": _ALL,
    "api.get_organisation": _MISSING,
    "api.list_experts": _ALL,
    "api.get_expert": _MISSING,
    "api.list_my_experts": _KEEPERS,
    "api.get_my_expert": _TOKEN_MISSING,
    "api.create_expert": _TOKEN_422,
    "api.update_expert": _TOKEN_MISSING,
    "api.submit_expert": _TOKEN_MISSING,
    "api.retract_expert": _TOKEN_MISSING,
    "api.withdraw_expert": _TOKEN_MISSING,
    "api.expert_matches": _TOKEN_MISSING,
    "api.list_expert_reviews": _ADMINS,
    "api.get_expert_review": _ADMINS_MISSING,
    "api.approve_expert": _ADMINS_MISSING,
    "api.reject_expert": _TOKEN_422,
}
