"""Role x route expectations for brokers' introductions (merge into test_access_matrix).

"broker" is a verified 技术经纪人 (a member of no organisation). The introduction form and
我的引荐 are for brokers only (403 with the reason for everyone else); a broker reaches the
form's view, where need 999999 does not exist (404). Consent and refusal load the enquiry
through the party check first, so every role that passes the login gate gets 404. Object-level
checks with real needs and introductions: tests/web/test_introductions_web.py.
"""

from __future__ import annotations

LOGIN = "login"
_NOT_BROKER = {"enterprise": 403, "university": 403, "bank": 403, "admin": 403}
_PARTY_404 = {
    "anon": LOGIN,
    "enterprise": 404,
    "university": 404,
    "bank": 404,
    "admin": 404,
    "broker": 404,
    "bureau": 404,
}

EXPECTED: dict[str, dict[str, int | str]] = {
    "connect.introduce": {"anon": LOGIN, **_NOT_BROKER, "broker": 404, "bureau": 404},
    "connect.consent_introduction": _PARTY_404,
    "connect.refuse_introduction": _PARTY_404,
    "connect.my_introductions": {"anon": LOGIN, **_NOT_BROKER, "broker": 200, "bureau": 200},
}
