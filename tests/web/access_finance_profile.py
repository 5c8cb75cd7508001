"""Role x route expectations for the 科技金融 profile routes (merged into test_access_matrix)."""

from __future__ import annotations

LOGIN = "login"
_FIRM = {
    "anon": LOGIN,
    "enterprise": 200,
    "university": 403,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": 403,
}
_ADMIN = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 403,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": 200,
}

EXPECTED: dict[str, dict[str, int | str]] = {
    "finance.profile": _FIRM,
    "finance.edit_profile": _FIRM,
    "finance.my_score": _FIRM,
    "finance.consent_page": _FIRM,
    # an empty POST: there is no live consent to revoke (409)
    "finance.revoke_consent": {**_FIRM, "enterprise": 409},
    "finance.views_log": _FIRM,
    # an empty POST by a firm without a profile: nothing to recompute
    "finance.recompute_score": {**_FIRM, "enterprise": 404},
    "finance.score_formula_explained": dict.fromkeys(
        ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau"), 200
    ),
    "finance.score_formulas": _ADMIN,
    "finance.new_score_formula": _ADMIN,
}
