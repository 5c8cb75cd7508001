"""Two-step verification (TOTP), issue 17 point 1: SECURITY.md row 7 (v5.0.0-6.3.3, 6.5.1,
6.5.3, 6.5.5) and, for the password asked again before changing it, row 13 (v5.0.0-7.5.1).

The clock of services/accounts/mfa.py is frozen (`clock`), so codes are made for known time
steps with pyotp's `at(for_time)`.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pyotp
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from matchmaker.extensions import db as _db
from matchmaker.models import AuditLog, RecoveryCode, User
from matchmaker.services.accounts import mfa
from matchmaker.web.mfa_display import PENDING_KEY
from tests.conftest import log_in
from tests.factories import PASSWORD, make_user

STEP = 30


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The second-factor service's clock, frozen 10 s into a time step (move it with .now)."""
    frozen = SimpleNamespace(now=float((int(time.time()) // STEP) * STEP + 10))
    monkeypatch.setattr(mfa, "time", SimpleNamespace(time=lambda: frozen.now))
    return frozen


def code_at(user: User, moment: float) -> str:
    """The user's TOTP code for the time step of `moment`."""
    secret = mfa.secret_of(user)
    assert secret
    return pyotp.TOTP(secret).at(moment)


def enrolled(role: str, clock: SimpleNamespace, **kwargs: object) -> tuple[User, list[str]]:
    """A user of the role with the factor on (enrolled with the code of three steps ago, so
    every code of the current window is still unused) and its recovery codes."""
    user = make_user(role, **kwargs)
    secret = mfa.new_secret()
    now = clock.now
    clock.now = now - 3 * STEP
    codes = mfa.confirm_enrolment(user=user, secret=secret, code=pyotp.TOTP(secret).at(clock.now))
    clock.now = now
    _db.session.commit()
    return user, codes


def shown_secret(page: str) -> str:
    """The secret an enrolment page shows as text (for manual entry)."""
    found = re.search(r'id="mfa-secret"[^>]*value="([A-Z2-7]+)"', page)
    assert found, "no secret on the page"
    return found.group(1)


def password_step(client: FlaskClient, user: User, password: str = PASSWORD, **kwargs: object):
    return client.post("/auth/login", data={"email": user.email, "password": password}, **kwargs)


def logged_in_as(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_admin_login_needs_the_second_step(client, db, clock):
    """SECURITY.md row 7 (v5.0.0-6.3.3): the password alone does not log an admin in; the
    half-logged-in state grants no page; the code completes it in a fresh session."""
    admin, _codes = enrolled("admin", clock)
    response = password_step(client, admin)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login/code"
    assert logged_in_as(client) is None
    with client.session_transaction() as session:
        pending = dict(session[PENDING_KEY])
    assert pending["uid"] == admin.id and set(pending) == {"uid", "sv", "exp", "next", "enrol"}
    for page in ("/dashboard", "/admin/users", "/account/tokens"):
        denied = client.get(page)
        assert denied.status_code == 302 and denied.headers["Location"].startswith("/auth/login")

    done = client.post("/auth/login/code", data={"code": code_at(admin, clock.now)})
    assert done.status_code == 302 and done.headers["Location"] == "/dashboard"
    assert logged_in_as(client) == admin.get_id()
    with client.session_transaction() as session:
        assert PENDING_KEY not in session  # a fresh session (anti-fixation)
    assert client.get("/admin/users").status_code == 200


def test_a_wrong_code_is_refused_and_logs_nobody_in(client, db, clock):
    """SECURITY.md row 7 (v5.0.0-6.3.3)."""
    admin, _codes = enrolled("admin", clock)
    password_step(client, admin)
    wrong = "000000" if code_at(admin, clock.now) != "000000" else "111111"
    page = client.post("/auth/login/code", data={"code": wrong})
    assert page.status_code == 200
    assert "验证码不正确、已使用过或已过期。" in page.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_a_replayed_code_is_refused(client, db, clock):
    """SECURITY.md row 7 (v5.0.0-6.5.1): a TOTP code works once, even within its window."""
    admin, _codes = enrolled("admin", clock)
    code = code_at(admin, clock.now)
    password_step(client, admin)
    assert client.post("/auth/login/code", data={"code": code}).status_code == 302
    client.post("/auth/logout")

    password_step(client, admin)
    again = client.post("/auth/login/code", data={"code": code})
    assert again.status_code == 200
    assert logged_in_as(client) is None
    # an earlier step of the window is refused too: steps only move forward
    earlier = client.post("/auth/login/code", data={"code": code_at(admin, clock.now - STEP)})
    assert earlier.status_code == 200 and logged_in_as(client) is None


def test_only_one_step_either_side_is_accepted(db, clock):
    """SECURITY.md row 7 (v5.0.0-6.5.5): 30 s steps, the previous and next step accepted
    (clock drift), two steps away refused."""
    admin, _codes = enrolled("admin", clock)
    now = clock.now
    assert not mfa.verify_second_factor(user=admin, code=code_at(admin, now - 2 * STEP))
    assert not mfa.verify_second_factor(user=admin, code=code_at(admin, now + 2 * STEP))
    assert mfa.verify_second_factor(user=admin, code=code_at(admin, now - STEP))
    assert mfa.verify_second_factor(user=admin, code=code_at(admin, now + STEP))
    assert admin.totp_last_step == int(now) // STEP + 1


def test_a_code_from_two_steps_ago_does_not_log_in(client, db, clock):
    """SECURITY.md row 7 (v5.0.0-6.5.5)."""
    bank, _codes = enrolled("bank", clock)
    password_step(client, bank)
    old = client.post("/auth/login/code", data={"code": code_at(bank, clock.now - 2 * STEP)})
    assert old.status_code == 200 and logged_in_as(client) is None
    fresh = client.post("/auth/login/code", data={"code": code_at(bank, clock.now - STEP)})
    assert fresh.status_code == 302 and logged_in_as(client) == bank.get_id()


def test_a_recovery_code_works_once(client, db, clock):
    """SECURITY.md row 7 (v5.0.0-6.5.1): recovery codes are single-use, stored as hashes."""
    admin, codes = enrolled("admin", clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(_db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert not stored & set(codes) and len(stored) == 10
    password_step(client, admin)
    assert client.post("/auth/login/code", data={"code": codes[0].upper()}).status_code == 302
    client.post("/auth/logout")

    password_step(client, admin)
    reused = client.post("/auth/login/code", data={"code": codes[0]})
    assert reused.status_code == 200 and logged_in_as(client) is None
    assert client.post("/auth/login/code", data={"code": codes[1]}).status_code == 302
    assert mfa.remaining_recovery_codes(admin) == 8


def test_wrong_codes_are_limited_and_logged(client, db, clock, caplog_json):
    """SECURITY.md row 7 (v5.0.0-6.3.3) with row 5's limits: 5 wrong codes in 10 minutes,
    then 429 with Retry-After, even for the right code."""
    admin, _codes = enrolled("admin", clock)
    password_step(client, admin)
    right = code_at(admin, clock.now)
    wrong = "123456" if right != "123456" else "654321"
    for _ in range(5):
        assert client.post("/auth/login/code", data={"code": wrong}).status_code == 200
    limited = client.post("/auth/login/code", data={"code": right})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "分钟后再试" in limited.get_data(as_text=True)
    assert logged_in_as(client) is None
    failures = [r for r in caplog_json.records if r.getMessage() == "mfa.failure"]
    assert len(failures) == 5 and failures[0].user_id == admin.id


def test_an_expired_pending_login_starts_over(client, db, clock):
    """SECURITY.md row 7 (v5.0.0-6.3.3): the state between the steps lasts minutes only."""
    admin, _codes = enrolled("admin", clock)
    password_step(client, admin)
    with client.session_transaction() as session:
        session[PENDING_KEY] = {**session[PENDING_KEY], "exp": int(time.time()) - 1}
    late = client.post("/auth/login/code", data={"code": code_at(admin, clock.now)})
    assert late.status_code == 302 and late.headers["Location"] == "/auth/login"
    assert logged_in_as(client) is None


def test_bank_without_totp_must_enrol_before_anything_else(client, db, clock):
    """SECURITY.md row 7 (v5.0.0-6.3.3, 6.5.3): a bank account without a second factor is
    sent to set it up after the password (CSPRNG secret, server-drawn QR code, the secret as
    text), gets no page before, and sees ten recovery codes once."""
    bank = make_user("bank")
    _db.session.commit()
    response = password_step(client, bank)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login/setup"
    assert client.get("/dashboard").headers["Location"].startswith("/auth/login")

    page = client.get("/auth/login/setup").get_data(as_text=True)
    secret = shown_secret(page)
    assert len(secret) == 32  # 160 bits from pyotp.random_base32 (the secrets CSPRNG)
    main = page[page.index("<main") : page.index("</main>")]
    assert "<svg" in main and "<script" not in main
    _db.session.expire_all()
    assert _db.session.get(User, bank.id).totp_secret is None  # nothing stored before a code
    wrong = client.post("/auth/login/setup", data={"code": "12345"})
    assert wrong.status_code == 200 and logged_in_as(client) is None
    assert shown_secret(wrong.get_data(as_text=True)) == secret  # the same secret again

    done = client.post("/auth/login/setup", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert done.status_code == 200
    shown = re.findall(r"<li class=\"col\">([a-z0-9-]+)</li>", done.get_data(as_text=True))
    assert len(shown) == 10
    assert logged_in_as(client) is not None
    _db.session.expire_all()
    assert _db.session.get(User, bank.id).has_totp
    assert client.get("/dashboard").status_code == 200


def test_a_required_role_session_without_the_factor_reaches_only_setup(client, db):
    """SECURITY.md row 7 (v5.0.0-6.3.3): a bank session that never passed a second factor
    (made before this change, or a user promoted since) is sent to set it up."""
    bank = make_user("bank")
    _db.session.commit()
    with client.session_transaction() as session:
        session.update({"_user_id": bank.get_id(), "login_at": int(time.time())})
        session["seen_at"] = int(time.time())
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/two-step/setup"
    assert client.get("/account/two-step/setup").status_code == 200


def test_an_optional_role_enrols_from_the_account_page_with_its_password(
    client, db, clock, login_as
):
    """SECURITY.md row 7 (v5.0.0-6.3.3) and row 13 (v5.0.0-7.5.1): enrolment needs a current
    code and the password again."""
    user = login_as("enterprise")
    assert "两步验证" in client.get("/dashboard").get_data(as_text=True)  # the account menu
    page = client.get("/account/two-step/setup").get_data(as_text=True)
    assert "<svg" in page
    code = pyotp.TOTP(shown_secret(page)).at(clock.now)
    refused = client.post("/account/two-step/setup", data={"code": code, "password": "nope"})
    assert refused.status_code == 200
    _db.session.expire_all()
    assert not _db.session.get(User, user.id).has_totp
    done = client.post("/account/two-step/setup", data={"code": code, "password": PASSWORD})
    assert done.status_code == 200 and "recovery-codes" in done.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(User, user.id).has_totp


def test_new_codes_and_turning_off_need_the_password(client, db, clock):
    """SECURITY.md row 13 (v5.0.0-7.5.1) and row 7: regenerating recovery codes and disabling
    the factor ask for the password; admin and bank accounts cannot disable it."""
    user, codes = enrolled("enterprise", clock)
    log_in(client, user)
    wrong = client.post("/account/two-step/recovery-codes", data={"codes-password": "nope"})
    assert wrong.status_code == 400
    fresh = client.post("/account/two-step/recovery-codes", data={"codes-password": PASSWORD})
    assert fresh.status_code == 200
    assert not mfa.verify_second_factor(user=user, code=codes[0])  # the old ones are gone
    assert client.post("/account/two-step/disable", data={"off-password": "x"}).status_code == 400
    _db.session.expire_all()
    assert _db.session.get(User, user.id).has_totp
    off = client.post("/account/two-step/disable", data={"off-password": PASSWORD})
    assert off.status_code == 302
    _db.session.expire_all()
    assert not _db.session.get(User, user.id).has_totp

    bank, _codes = enrolled("bank", clock)
    log_in(client, bank)
    refused = client.post("/account/two-step/disable", data={"off-password": PASSWORD})
    assert refused.status_code == 403
    _db.session.expire_all()
    assert _db.session.get(User, bank.id).has_totp


def test_admin_reset_is_audited_ends_sessions_and_tells_the_user(
    app, client, db, clock, login_as, outbox
):
    """SECURITY.md row 7 (v5.0.0-6.3.3) with row 12 (v5.0.0-7.5.2): a lost device: an admin
    resets another user's factor with a reason; audited, the user's sessions end, mailed."""
    bank, _codes = enrolled("bank", clock)
    other = app.test_client()
    log_in(other, bank)
    assert other.get("/dashboard").status_code == 200
    admin = login_as("admin")
    assert "重置两步验证" in client.get("/admin/users").get_data(as_text=True)

    no_reason = client.post(f"/admin/users/{bank.id}/two-step-reset", data={"reason": " "})
    assert no_reason.status_code == 400
    _db.session.expire_all()
    assert _db.session.get(User, bank.id).has_totp

    done = client.post(f"/admin/users/{bank.id}/two-step-reset", data={"reason": "手机丢失"})
    assert done.status_code == 302
    _db.session.expire_all()
    bank = _db.session.get(User, bank.id)
    assert not bank.has_totp and bank.totp_secret is None
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    row = _db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "user.mfa_reset")).one()
    assert (row.actor_id, row.object_id, row.reason) == (admin.id, str(bank.id), "手机丢失")
    assert other.get("/dashboard").headers["Location"].startswith("/auth/login")
    assert any(bank.email in m.recipients and "手机丢失" in m.body for m in outbox)
    # never one's own
    own = client.post(f"/admin/users/{admin.id}/two-step-reset", data={"reason": "x"})
    assert own.status_code == 403


def test_an_operator_resets_the_last_admins_factor_from_the_command_line(runner, db, clock):
    """SECURITY.md row 7 (v5.0.0-6.3.3): the only admin's lost phone is no lockout; the reset
    is audited and ends the admin's sessions."""
    admin, _codes = enrolled("admin", clock)
    version = admin.session_version
    result = runner.invoke(
        args=["users", "reset-two-step", admin.email, "--reason", "唯一管理员手机丢失"]
    )
    assert result.exit_code == 0, result.output
    _db.session.expire_all()
    admin = _db.session.get(User, admin.id)
    assert not admin.has_totp and admin.session_version == version + 1
    row = _db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "user.mfa_reset")).one()
    assert (row.actor_id, row.reason) == (None, "唯一管理员手机丢失")
