"""Role x route expectations for the JSON API's finance operations (merged into
test_access_matrix; see access_api.py for how API routes are called).

Every finance operation needs a token (anon: 401). The role's permission comes first, as on
the web (403 `forbidden`): the firm browser needs firm:browse (banks), products and the bank's
lead steps loan:product (banks), a lead's answer firm:profile (enterprises); the leads list is
each side's own (bank, firm, the bureau), as the web's. Then the body is read (an empty one is a
422 where fields are required) and the record loaded (999999 is nobody's: 404). Object-level
checks with real records: tests/api/test_finance.py.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")


def _only(role: str, status: int, others: int = 403) -> dict[str, int | str]:
    return {**dict.fromkeys(ROLES, others), "anon": 401, role: status}


_EVERY_TOKEN_404 = {**dict.fromkeys(ROLES, 404), "anon": 401}

EXPECTED: dict[str, dict[str, int | str]] = {
    "api.list_firms": _only("bank", 200),
    "api.get_firm": _only("bank", 404),
    # the public catalogue: any token
    "api.list_loan_products": {**dict.fromkeys(ROLES, 200), "anon": 401},
    "api.get_loan_product": _EVERY_TOKEN_404,
    "api.create_loan_product": _only("bank", 422),
    "api.update_loan_product": _only("bank", 404),  # PATCH {} is a valid (empty) change
    "api.publish_loan_product": _only("bank", 404),
    "api.withdraw_loan_product": _only("bank", 404),
    # a bank's, a firm's, the bureau's leads; universities and brokers have none (as on the web)
    "api.list_leads": {
        "anon": 401,
        "enterprise": 200,
        "university": 403,
        "bank": 200,
        "admin": 200,
        "broker": 403,
        "bureau": 403,
    },
    "api.get_lead": _EVERY_TOKEN_404,  # the web's lead page: login only, the lead decides
    "api.create_lead": _only("bank", 422),
    "api.answer_lead": _only("enterprise", 422),
    "api.withdraw_lead": _only("bank", 404),
    "api.contact_lead": _only("bank", 404),
    "api.approve_lead": _only("bank", 422),
    "api.reject_lead": _only("bank", 422),
    "api.disburse_lead": _only("bank", 422),
}
