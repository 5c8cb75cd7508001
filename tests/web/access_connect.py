"""Role x route expectations for the 对接 routes (merged into test_access_matrix).

Every route is login-only; the view loads the enquiry (or message, organisation) through a
service that answers 404 to a non-party, so the placeholder id 999999 gives 404 to every role
that passes the login gate. Object-level checks with real enquiries: tests/web/test_connect_web.py.
"""

from __future__ import annotations

LOGIN = "login"
_MEMBERS = ("enterprise", "university", "bank")
_PARTY_404 = {
    "anon": LOGIN,
    "enterprise": 404,
    "university": 404,
    "bank": 404,
    "broker": 404,
    "bureau": 404,
    "admin": 404,
}

EXPECTED: dict[str, dict[str, int | str]] = {
    # No kind and id in the query string: nothing to send an enquiry on.
    "connect.new_enquiry": _PARTY_404,
    "connect.inbox": {
        "anon": LOGIN,
        "enterprise": 200,
        "university": 200,
        "bank": 200,
        "broker": 200,
        "bureau": 200,
        "admin": 200,
    },
    "connect.show": _PARTY_404,
    "connect.download": _PARTY_404,
    "connect.accept": _PARTY_404,
    "connect.decline": _PARTY_404,
    "connect.ask_info": _PARTY_404,
    "connect.provide_info": _PARTY_404,
    "connect.withdraw": _PARTY_404,
    "connect.close": _PARTY_404,
    "connect.post_message": _PARTY_404,
    "connect.report": _PARTY_404,
    # Organisation 999999 does not exist; an admin belongs to no organisation that could block.
    "connect.block": {**_PARTY_404, "admin": 403, "broker": 403, "bureau": 403},
    # Nothing is blocked, so there is nothing to lift (409).
    "connect.unblock": {
        "anon": LOGIN,
        **dict.fromkeys(_MEMBERS, 409),
        "admin": 403,
        "broker": 403,
        "bureau": 403,
    },
}
