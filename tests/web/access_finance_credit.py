"""Role x route expectations for the 科技金融 credit routes (merged into test_access_matrix).

Object routes get the placeholder id 999999: a role that passes the route's permission reaches
the view, which answers 404. Object-level checks with real rows of another organisation live in
tests/web/test_finance_credit*.py.
"""

from __future__ import annotations

ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
LOGIN = "login"

_ALL = dict.fromkeys(ROLES, 200)
_MISSING = dict.fromkeys(ROLES, 404)
_BANK = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 403,
    "bank": 200,
    "broker": 403,
    "bureau": 403,
    "admin": 403,
}
_BANK_404 = {**_BANK, "bank": 404, "broker": 403}
_FIRM = {
    "anon": LOGIN,
    "enterprise": 200,
    "university": 403,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": 403,
}
_FIRM_404 = {**_FIRM, "enterprise": 404}
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
    # loan products: the catalogue and product pages are public; the rest is the bank's
    "finance.products": _ALL,
    "finance.product": _MISSING,
    "finance.my_products": _BANK,
    "finance.new_product": _BANK,
    "finance.edit_product": _BANK_404,
    "finance.publish_product": _BANK_404,
    "finance.withdraw_product": _BANK_404,
    # financing needs: the enterprise's own
    "finance.financing_needs": _FIRM,
    "finance.new_financing_need": _FIRM,
    "finance.financing_need": _FIRM_404,
    "finance.edit_financing_need": _FIRM_404,
    "finance.close_financing_need": _FIRM_404,
    # leads: a bank's, a firm's requests, or all of them for the bureau
    "finance.leads": {
        "anon": LOGIN,
        "enterprise": 200,
        "university": 403,
        "bank": 200,
        "broker": 403,
        "bureau": 403,
        "admin": 200,
    },
    "finance.lead": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 404)},
    "finance.new_lead": _BANK_404,
    "finance.answer_lead": _FIRM_404,
    "finance.withdraw_lead": _BANK_404,
    "finance.contact_lead": _BANK_404,
    "finance.approve_lead": _BANK_404,
    "finance.reject_lead": _BANK_404,
    "finance.disburse_lead": _BANK_404,
    # the bureau's lending figures
    "finance.stats": _ADMIN,
}
