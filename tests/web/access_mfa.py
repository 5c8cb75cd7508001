"""Role x route expectations for two-step verification (issue 17; merged into
test_access_matrix).

The login's second step and forced enrolment need a pending login in the session: without one
they send the visitor back to the login page; signed-in users go to their dashboard (anonymous
only). An unknown sign-in link token goes back to the login page. 账号 → 两步验证 is every
signed-in user's (the matrix's users have no second factor: the setup page shows; posting the
password forms empty re-renders them with the error, 400). The admin's reset page is admin-only.
"""

from __future__ import annotations

LOGIN = "login"
HOME = "home"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_SIGNED_IN = ROLES[1:]

EXPECTED: dict[str, dict[str, int | str]] = {
    "auth.mfa_code": {"anon": LOGIN, **dict.fromkeys(_SIGNED_IN, HOME)},
    "auth.mfa_enrol": {"anon": LOGIN, **dict.fromkeys(_SIGNED_IN, HOME)},
    "auth.sign_in_link": {"anon": LOGIN, **dict.fromkeys(_SIGNED_IN, HOME)},
    "account.mfa_settings": {"anon": LOGIN, **dict.fromkeys(_SIGNED_IN, 200)},
    "account.mfa_setup": {"anon": LOGIN, **dict.fromkeys(_SIGNED_IN, 200)},
    "account.mfa_recovery_codes": {"anon": LOGIN, **dict.fromkeys(_SIGNED_IN, 400)},
    "account.mfa_disable": {"anon": LOGIN, **dict.fromkeys(_SIGNED_IN, 400)},
    "admin.reset_mfa": {"anon": LOGIN, **dict.fromkeys(_SIGNED_IN, 403), "admin": 200},
}
