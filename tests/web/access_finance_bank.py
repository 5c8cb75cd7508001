"""Role x route expectations for the 科技金融 bank routes (merged into test_access_matrix).

Only bank users pass the FIRM_BROWSE gate; the placeholder firm 999999 does not exist (or, to
a bank, has no live consent), so its routes answer 404. Object-level checks with real firms,
consent and other banks' shortlists: tests/web/test_finance_bank*.py.
"""

from __future__ import annotations

_BANK_ONLY = {
    "anon": "login",
    "enterprise": 403,
    "university": 403,
    "bank": 200,
    "broker": 403,
    "bureau": 403,
    "admin": 403,
}
_BANK_404 = {**_BANK_ONLY, "bank": 404, "broker": 403}

EXPECTED: dict[str, dict[str, int | str]] = {
    "finance.list_firms": _BANK_ONLY,
    "finance.export_firms": _BANK_ONLY,
    "finance.show_firm": _BANK_404,
    "finance.shortlist_firm": _BANK_404,
    "finance.list_shortlist": _BANK_ONLY,
    "finance.update_shortlist_note": _BANK_404,
    "finance.remove_from_shortlist": _BANK_404,
    "finance.export_shortlist": _BANK_ONLY,
}
