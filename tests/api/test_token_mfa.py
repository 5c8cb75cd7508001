"""POST /api/v1/tokens asks for the second factor (issue 17): SECURITY.md row 7
(v5.0.0-6.3.3, 6.5.1) and row 5 (v5.0.0-6.3.1) for the guarded state."""

from __future__ import annotations

from tests.factories import PASSWORD, make_user
from tests.web.test_mfa import clock, code_at, enrolled  # noqa: F401 - clock is a fixture


def _post(client, email: str, **extra: str):  # noqa: ANN001, ANN202
    return client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD, **extra})


def test_a_token_for_an_account_with_totp_needs_the_otp(client, db, clock):  # noqa: F811
    """SECURITY.md row 7 (v5.0.0-6.3.3, 6.5.1): missing or wrong otp → 401 with its code and
    message; a current code → 201, once."""
    admin, _codes = enrolled("admin", clock)
    missing = _post(client, admin.email)
    assert missing.status_code == 401
    assert missing.get_json()["code"] == "otp_required" and "otp" in missing.get_json()["message"]
    code = code_at(admin, clock.now)
    wrong = _post(client, admin.email, otp="000000" if code != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "invalid_otp"
    made = _post(client, admin.email, otp=code)
    assert made.status_code == 201 and made.get_json()["token"].startswith("mm_")
    replayed = _post(client, admin.email, otp=code)
    assert replayed.status_code == 401 and replayed.get_json()["code"] == "invalid_otp"


def test_a_recovery_code_gets_one_token(client, db, clock):  # noqa: F811
    """SECURITY.md row 7 (v5.0.0-6.5.1)."""
    bank, codes = enrolled("bank", clock)
    assert _post(client, bank.email, otp=codes[3]).status_code == 201
    assert _post(client, bank.email, otp=codes[3]).status_code == 401


def test_an_admin_without_a_second_factor_gets_no_token(client, db):
    """SECURITY.md row 7 (v5.0.0-6.3.3): the API is no way around the required factor."""
    admin = make_user("admin")
    db.session.commit()
    answer = _post(client, admin.email)
    assert answer.status_code == 401 and answer.get_json()["code"] == "mfa_setup_required"
    # an account of an optional role without the factor: the password is enough
    firm = make_user("enterprise")
    db.session.commit()
    assert _post(client, firm.email).status_code == 201


def test_a_guarded_account_without_totp_gets_no_token(client, db):
    """SECURITY.md row 5 (v5.0.0-6.3.1): many failures from many addresses guard the account;
    the API then answers the same for a right and a wrong password."""
    firm = make_user("enterprise")
    db.session.commit()
    for i in range(10):
        answer = client.post(
            "/api/v1/tokens",
            json={"email": firm.email, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": f"10.88.0.{i}"},
        )
        assert answer.status_code == 401
    right = _post(client, firm.email)
    wrong = client.post("/api/v1/tokens", json={"email": firm.email, "password": "nope"})
    assert right.status_code == wrong.status_code == 401
    assert right.get_json() == wrong.get_json()
    assert right.get_json()["code"] == "account_guarded"


def test_the_openapi_document_describes_otp(client):
    """The published schema names the new field."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    request = next(v for k, v in schemas.items() if k.startswith("TokenRequest"))
    assert "otp" in request["properties"]
    assert "recovery" in request["properties"]["otp"]["description"]
