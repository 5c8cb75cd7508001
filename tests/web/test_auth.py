"""Registration, login, sessions, passwords, reset tokens, invitations and the language switch."""

from __future__ import annotations

import io
import re
import time

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import TimestampSigner

from matchmaker.extensions import db as _db
from matchmaker.models import AuditLog, Base, Invitation, Organisation, OrgStatus, User
from matchmaker.services.accounts import accounts
from matchmaker.services.accounts.passwords import verify_password
from tests.conftest import log_in
from tests.factories import PASSWORD, PDF_BYTES, make_user

VALID_CODE = "91350100M000100Y43"  # a published, valid unified social credit code
GOOD_PASSWORD = "blue mango parachute 17"
LOGIN_ERROR = "邮箱或密码不正确，或账号已停用。"


def row_counts() -> dict[str, int]:
    """Rows in every table."""
    _db.session.expire_all()
    return {
        t.name: _db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }


def field_errors(html: str, field_id: str) -> list[str]:
    """The error messages rendered next to one form field."""
    start = html.index(f'id="{field_id}"')
    end = html.find('<div class="mb-3', start)
    block = html[start : end if end != -1 else None]
    return [m.strip() for m in re.findall(r'invalid-feedback d-block">(.*?)</div>', block, re.S)]


def register_data(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "enterprise",
        "org_name": "长春新材料有限公司",
        "credit_code": VALID_CODE,
        "region": "changchun",
        "website": "",
        "description": "",
        "name": "王伟",
        "phone": "",
        "email": "wang.wei@example.com",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        "document": (io.BytesIO(PDF_BYTES), "营业执照.pdf"),
    }
    data.update(overrides)
    return data


def session_cookie(app: Flask, client) -> str | None:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def assert_logged_out(client) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


# --- registration -----------------------------------------------------------------------------


def test_register_enterprise_creates_pending_org_user_and_audit(client, db):
    """SECURITY.md row 3 (v5.0.0-11.4.2)."""
    response = client.post("/auth/register", data=register_data())
    assert response.status_code == 302
    # Not logged in: the same answer as for an address that has an account (test_enumeration.py)
    assert response.headers["Location"] == "/auth/register/sent"
    user = db.session.scalar(sa.select(User).where(User.email == "wang.wei@example.com"))
    assert user is not None
    assert user.role == "enterprise"
    assert user.password_hash.startswith("$argon2id$")
    org = user.organisation
    assert org.status == OrgStatus.PENDING
    assert org.credit_code == VALID_CODE
    assert org.verified_by is None
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "organisation.register"))
    assert entry.actor_id == user.id
    assert entry.object_id == str(org.id)
    assert entry.ip == "127.0.0.1"
    assert "wang.wei@example.com" in client.get("/auth/register/sent").get_data(as_text=True)


def test_university_registers_with_credit_code_and_certificate(client, db):
    response = client.post(
        "/auth/register",
        data=register_data(kind="university", org_name="吉林测试大学"),
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(User)).role == "university"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"credit_code": "91350100M000100Y44"}, "credit_code", "统一社会信用代码无效"),
        ({"credit_code": ""}, "credit_code", "请填写统一社会信用代码"),
        ({"kind": "university", "credit_code": ""}, "credit_code", "请填写统一社会信用代码"),
        ({"password": "abcdefg", "confirm": "abcdefg"}, "password", "8"),
        ({"password": "password123", "confirm": "password123"}, "password", "常见"),
        ({"password": "12345678", "confirm": "12345678"}, "password", "常见"),
        ({"password": "matchmaker2024", "confirm": "matchmaker2024"}, "password", "平台名称"),
        ({"confirm": "something else entirely"}, "confirm", "不一致"),
        ({"name": "张" * 10_000}, "name", "100"),
        ({"org_name": "公" * 10_000}, "org_name", "200"),
        ({"email": "not-an-email"}, "email", "邮箱格式不正确"),
        ({"region": "atlantis"}, "region", ""),
        ({"kind": "government"}, "kind", ""),
    ],
)
def test_register_rejects_bad_input_next_to_the_field_and_stores_nothing(
    client, db, overrides, field, message
):
    """SECURITY.md rows 1 and 2 (v5.0.0-6.2.1, 6.2.4, 6.2.11)."""
    before = row_counts()
    response = client.post("/auth/register", data=register_data(**overrides))
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), field)
    assert errors
    assert any(message in e for e in errors)
    assert row_counts() == before


def test_register_rejects_a_taken_credit_code(client, db):
    # A taken e-mail address is not told: tests/web/test_enumeration.py.
    existing = make_user("enterprise", email="taken@example.com")
    db.session.commit()
    before = row_counts()
    html = client.post(
        "/auth/register", data=register_data(credit_code=existing.organisation.credit_code)
    ).get_data(as_text=True)
    assert any("已经登记过" in e for e in field_errors(html, "credit_code"))
    assert row_counts() == before


@pytest.mark.parametrize("length", [64, 128])
def test_long_passwords_are_accepted_and_can_log_in(app, client, db, length):
    """SECURITY.md row 1 (v5.0.0-6.2.9)."""
    password = ("correct horse battery staple " * 10)[:length]
    response = client.post(
        "/auth/register", data=register_data(password=password, confirm=password)
    )
    assert response.status_code == 302
    client.post("/auth/logout")
    assert_logged_out(client)
    response = client.post(
        "/auth/login", data={"email": "wang.wei@example.com", "password": password}
    )
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_129_character_password_is_refused(client, db):
    """SECURITY.md row 1 (v5.0.0-6.2.9)."""
    password = "x" * 60 + "y" * 69
    response = client.post(
        "/auth/register", data=register_data(password=password, confirm=password)
    )
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "password")
    assert row_counts()["users"] == 0


# --- login, sessions ------------------------------------------------------------------------


def test_login_rotates_the_session_and_old_cookie_is_not_authenticated(app, client, db):
    """SECURITY.md row 9 (v5.0.0-7.2.4)."""
    user = make_user("enterprise")
    db.session.commit()
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
    before = session_cookie(app, client)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    after = session_cookie(app, client)
    assert after
    assert after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == user.get_id()
    assert client.get("/dashboard").status_code == 200
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], before)
    assert_logged_out(client)


@pytest.mark.parametrize("email", ["user-x@example.com", "nobody@example.com"])
def test_login_failure_shows_one_message_for_wrong_password_and_unknown_account(client, db, email):
    make_user("enterprise", email="user-x@example.com")
    db.session.commit()
    response = client.post("/auth/login", data={"email": email, "password": "wrong password!"})
    assert response.status_code == 200
    assert LOGIN_ERROR in field_errors(response.get_data(as_text=True), "password")
    assert_logged_out(client)


def test_failed_logins_from_other_ips_do_not_lock_the_account_out(client, db):
    """SECURITY.md row 7 (v5.0.0-6.3.1): no targeted lockout (tests/web/test_login_guard.py)."""
    user = make_user("enterprise")
    db.session.commit()
    for i in range(5):
        response = client.post(
            "/auth/login",
            data={"email": user.email, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        )
        assert response.status_code == 200
    response = client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
        headers={"X-Forwarded-For": "203.0.113.5"},
    )
    assert response.status_code == 302
    client.post("/auth/logout")
    # Another account is not affected by this account's limit.
    other = make_user("enterprise")
    db.session.commit()
    response = client.post("/auth/login", data={"email": other.email, "password": PASSWORD})
    assert response.status_code == 302


def test_failed_logins_are_limited_per_ip_across_accounts(client, db):
    for i in range(20):
        response = client.post(
            "/auth/login", data={"email": f"nobody{i}@example.com", "password": "wrong password"}
        )
        assert response.status_code == 200
    response = client.post(
        "/auth/login",
        data={"email": "nobody-else@example.com", "password": "wrong password"},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert response.status_code == 429
    # A different client address still gets through.
    response = client.post(
        "/auth/login",
        data={"email": "nobody-else@example.com", "password": "wrong password"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert response.status_code == 200


def test_successful_logins_do_not_count_against_the_limit(client, db):
    user = make_user("enterprise")
    db.session.commit()
    for _ in range(7):
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        client.post("/auth/logout")


def test_replaying_a_cookie_after_logout_is_not_authenticated(app, client, login_as):
    """SECURITY.md row 10 (v5.0.0-7.4.1)."""
    login_as("bank")
    assert client.get("/dashboard").status_code == 200
    saved = session_cookie(app, client)
    response = client.post("/auth/logout")
    assert response.status_code == 302
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], saved)
    assert_logged_out(client)


def test_disabled_account_cannot_log_in_and_its_open_session_ends(app, client, db):
    """SECURITY.md row 10 (v5.0.0-7.4.2)."""
    user = make_user("university")
    db.session.commit()
    log_in(client, user)
    assert client.get("/dashboard").status_code == 200
    user.is_active = False
    db.session.commit()
    assert_logged_out(client)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert LOGIN_ERROR in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("key", "age", "still_in"),
    [
        ("seen_at", 29 * 60, True),
        ("seen_at", 31 * 60, False),
        ("login_at", 11 * 3600, True),
        ("login_at", 12 * 3600 + 60, False),
    ],
)
def test_idle_and_absolute_timeouts(client, login_as, key, age, still_in):
    """SECURITY.md row 11 (v5.0.0-7.3.1, 7.3.2)."""
    login_as("enterprise")
    with client.session_transaction() as sess:
        sess[key] = int(time.time()) - age
    response = client.get("/dashboard")
    if still_in:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
        assert_logged_out(client)


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]
)
def test_login_next_off_site_goes_to_the_dashboard(client, db, target):
    """SECURITY.md row 25 (v5.0.0-3.7.2)."""
    user = make_user("enterprise")
    db.session.commit()
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_login_next_on_site_is_followed(client, db):
    user = make_user("enterprise")
    db.session.commit()
    response = client.post(
        "/auth/login",
        query_string={"next": "/organisation/"},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/organisation/"


# --- password change --------------------------------------------------------------------------


def test_change_password_needs_the_current_password(client, login_as, db):
    """SECURITY.md rows 4 and 13 (v5.0.0-6.2.2, 6.2.3, 7.5.1)."""
    user = login_as("enterprise")
    old_hash = user.password_hash
    for current in ("", "not my password"):
        response = client.post(
            "/auth/password",
            data={
                "current_password": current,
                "new_password": GOOD_PASSWORD,
                "confirm": GOOD_PASSWORD,
            },
        )
        assert response.status_code == 200
        assert field_errors(response.get_data(as_text=True), "current_password")
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_change_password_ends_other_sessions(app, client, login_as, db):
    """SECURITY.md rows 4 and 12 (v5.0.0-6.2.2, 7.4.3)."""
    user = login_as("enterprise")
    other_device = app.test_client()
    log_in(other_device, user)
    assert other_device.get("/dashboard").status_code == 200
    response = client.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert_logged_out(other_device)
    db.session.refresh(user)
    assert verify_password(user.password_hash, GOOD_PASSWORD)[0]
    assert db.session.scalar(
        sa.select(AuditLog.action).where(AuditLog.object_id == str(user.id))
    ) == ("user.password_change")


# --- password reset ---------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_unknown_addresses(client, db, outbox):
    make_user("enterprise", email="known@example.com")
    db.session.commit()
    known = client.post("/auth/forgot", data={"email": "known@example.com"})
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = client.post("/auth/forgot", data={"email": "unknown@example.com"})
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    notice = "如果这个邮箱已注册，重设密码的链接已发送，请查收邮件。"
    assert notice in known_page
    assert notice in unknown_page
    assert [m.recipients for m in outbox] == [["known@example.com"]]
    assert "/auth/reset/" in outbox[0].body


def _reset(client, token: str, password: str = GOOD_PASSWORD):
    return client.post(f"/auth/reset/{token}", data={"password": password, "confirm": password})


def test_reset_token_works_once(client, db):
    """SECURITY.md row 8 (v5.0.0-6.4.1, 14.2.1)."""
    user = make_user("enterprise")
    db.session.commit()
    token = accounts.make_reset_token(user)
    page = client.get(f"/auth/reset/{token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = _reset(client, token)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    db.session.refresh(user)
    assert verify_password(user.password_hash, GOOD_PASSWORD)[0]
    second = _reset(client, token, "another fine passphrase 9")
    assert second.headers["Location"] == "/auth/forgot"
    db.session.refresh(user)
    assert verify_password(user.password_hash, GOOD_PASSWORD)[0]


def test_reset_token_expires(client, db, monkeypatch):
    """SECURITY.md row 8 (v5.0.0-6.4.1)."""
    user = make_user("enterprise")
    db.session.commit()
    max_age = client.application.config["PASSWORD_RESET_MAX_AGE"]
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: int(time.time()) - max_age - 5
    )
    token = accounts.make_reset_token(user)
    monkeypatch.undo()
    old_hash = user.password_hash
    assert client.get(f"/auth/reset/{token}").headers["Location"] == "/auth/forgot"
    assert _reset(client, token).headers["Location"] == "/auth/forgot"
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_reset_token_almost_expired_still_works(client, db, monkeypatch):
    """SECURITY.md row 8 (v5.0.0-6.4.1)."""
    user = make_user("enterprise")
    db.session.commit()
    max_age = client.application.config["PASSWORD_RESET_MAX_AGE"]
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: int(time.time()) - max_age + 30
    )
    token = accounts.make_reset_token(user)
    monkeypatch.undo()
    assert client.get(f"/auth/reset/{token}").status_code == 200


def test_tampered_reset_token_fails(client, db):
    """SECURITY.md row 8 (v5.0.0-6.4.1)."""
    user = make_user("enterprise")
    db.session.commit()
    token = accounts.make_reset_token(user)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(f"/auth/reset/{tampered}").headers["Location"] == "/auth/forgot"
    assert _reset(client, tampered).headers["Location"] == "/auth/forgot"


def test_reset_token_fails_after_the_password_changed(client, db):
    """SECURITY.md row 8 (v5.0.0-6.4.1)."""
    user = make_user("enterprise")
    db.session.commit()
    token = accounts.make_reset_token(user)
    accounts.change_password(user=user, current=PASSWORD, new=GOOD_PASSWORD)
    db.session.commit()
    assert client.get(f"/auth/reset/{token}").headers["Location"] == "/auth/forgot"


# --- invitations ------------------------------------------------------------------------------


def _join_token(body: str) -> str:
    match = re.search(r"/auth/join/([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


def test_invitation_flow(app, client, login_as, db, outbox):
    """SECURITY.md row 17 (v5.0.0-15.3.3)."""
    inviter = login_as("university", verified=False)
    response = client.post("/organisation/", data={"email": "Colleague@Example.com"})
    assert response.status_code == 302
    assert [m.recipients for m in outbox] == [["colleague@example.com"]]
    token = _join_token(outbox[0].body)

    newcomer = app.test_client()
    assert newcomer.get(f"/auth/join/{token}").status_code == 200
    response = newcomer.post(
        f"/auth/join/{token}",
        data={
            "name": "李娜",
            "phone": "",
            "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD,
            "email": "hijack@example.com",
        },
    )
    assert response.status_code == 302
    assert newcomer.get("/dashboard").status_code == 200
    joined = db.session.scalar(sa.select(User).where(User.email == "colleague@example.com"))
    assert joined.organisation_id == inviter.organisation_id
    assert joined.role == inviter.role
    assert db.session.scalar(sa.select(User).where(User.email == "hijack@example.com")) is None
    assert db.session.scalar(sa.select(Invitation)).accepted_at is not None

    before = row_counts()
    third = app.test_client()
    response = third.get(f"/auth/join/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = third.post(
        f"/auth/join/{token}",
        data={"name": "冒名", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    assert row_counts() == before


def test_unknown_invitation_token_fails(client, db):
    response = client.get("/auth/join/not-a-real-token")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_invitation_for_an_existing_account_is_refused_by_mail(client, login_as, db, outbox):
    # The inviter's answer is that of a new invitation (tests/web/test_enumeration.py).
    make_user("bank", email="already@example.com")
    login_as("enterprise")
    db.session.commit()
    before = row_counts()
    response = client.post("/organisation/", data={"email": "already@example.com"})
    assert response.status_code == 302
    after = row_counts()
    assert after.pop("jobs") == before.pop("jobs") + 1  # the mail
    assert after.pop("audit_logs") == before.pop("audit_logs") + 1
    assert after == before  # no invitation
    assert [m.recipients for m in outbox] == [["already@example.com"]]
    assert "已经有 matchmaker 账号" in outbox[0].body


# --- language ---------------------------------------------------------------------------------


def test_default_language_is_chinese(client, db):
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_language_switch_to_english_and_back(client, db):
    response = client.post("/language", data={"locale": "en", "next": "/auth/terms"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/terms"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"locale": "zh_Hans_CN", "next": "/"})
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_language_switch_is_remembered_on_the_account(client, login_as, db):
    user = login_as("bank")
    client.post("/language", data={"locale": "en"})
    db.session.refresh(user)
    assert user.locale == "en"
    assert '<html lang="en">' in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "location"),
    [
        ({"locale": "fr", "next": "/"}, "/"),
        ({"locale": "en", "next": "https://evil.example/"}, "/"),
        ({"locale": "en", "next": "//evil.example"}, "/"),
    ],
)
def test_language_switch_refuses_bad_values(client, db, data, location):
    """SECURITY.md row 25 (v5.0.0-3.7.2)."""
    response = client.post("/language", data=data)
    assert response.headers["Location"] == location
    html = client.get("/").get_data(as_text=True)
    assert ('<html lang="en">' in html) == (data["locale"] == "en")


def test_unverified_organisation_members_log_in_to_a_pending_dashboard(client, db):
    user = make_user("enterprise", verified=False)
    db.session.commit()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert db.session.get(Organisation, user.organisation_id).status == OrgStatus.PENDING
