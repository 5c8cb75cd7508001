"""No targeted lockout (issue 17 point 4): SECURITY.md row 5 (v5.0.0-6.3.1, 2.4.1).

Failures are throttled per client address and per account *and* address (429 with
Retry-After); many failures on one account from many addresses guard it instead of locking it:
a right password then needs the second factor, or an e-mailed single-use link.
"""

from __future__ import annotations

import re

from werkzeug.middleware.proxy_fix import ProxyFix

from matchmaker.services.accounts import login_guard
from tests.factories import make_user
from tests.web.test_mfa import (  # noqa: F401 - clock is a fixture
    clock,
    code_at,
    enrolled,
    logged_in_as,
    password_step,
)

A = {"REMOTE_ADDR": "192.0.2.10"}
B = {"REMOTE_ADDR": "198.51.100.20"}
WRONG = "wrong password 1"
LINK_SENT = "如果邮箱和密码正确，我们已向该邮箱发送了一个登录链接"


def test_failures_from_one_ip_do_not_lock_the_owner_out_elsewhere(client, db, clock):  # noqa: F811
    """SECURITY.md row 5 (v5.0.0-6.3.1): after 5 wrong passwords from IP A, A gets 429 (with
    Retry-After and the reason) even with the right password, while the owner at IP B logs in
    (an admin: through the second step)."""
    admin, _codes = enrolled("admin", clock)
    for _ in range(5):
        assert password_step(client, admin, WRONG, environ_base=A).status_code == 200
    blocked = password_step(client, admin, environ_base=A)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "尝试次数太多" in blocked.get_data(as_text=True)

    owner = password_step(client, admin, environ_base=B)
    assert owner.status_code == 302 and owner.headers["Location"] == "/auth/login/code"
    code = client.post("/auth/login/code", data={"code": code_at(admin, clock.now)}, environ_base=B)
    assert code.status_code == 302 and logged_in_as(client) == admin.get_id()


def test_a_spoofed_forwarded_for_does_not_reset_the_counter(app, client, db, monkeypatch):
    """SECURITY.md row 5 (v5.0.0-6.3.1): behind one trusted proxy (PROXY_FIX_X_FOR=1) the
    client's own X-Forwarded-For entries are ignored: a new fake address per attempt does not
    escape the count, while another real client is not affected."""
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1))
    user = make_user("enterprise")
    db.session.commit()
    for i in range(5):
        spoofed = {"X-Forwarded-For": f"10.66.0.{i}, 203.0.113.7"}  # the proxy appended the last
        assert password_step(client, user, WRONG, headers=spoofed).status_code == 200
    again = password_step(client, user, headers={"X-Forwarded-For": "10.66.0.99, 203.0.113.7"})
    assert again.status_code == 429
    other = password_step(client, user, headers={"X-Forwarded-For": "203.0.113.8"})
    assert other.status_code == 302 and other.headers["Location"] == "/dashboard"


def _guard(client, email: str) -> None:  # noqa: ANN001
    """10 failures on one account, each from its own address: the account is guarded."""
    for i in range(10):
        response = client.post(
            "/auth/login",
            data={"email": email, "password": WRONG},
            environ_base={"REMOTE_ADDR": f"10.77.0.{i}"},
        )
        assert response.status_code == 200


def test_a_guarded_account_gets_in_only_through_a_single_use_mailed_link(client, db, outbox):
    """SECURITY.md row 5 (v5.0.0-6.3.1): failures from many addresses guard the account: the
    right password then mails a sign-in link and shows the same page as a wrong password or an
    unknown address; the link works once."""
    user = make_user("enterprise")
    db.session.commit()
    _guard(client, user.email)
    assert login_guard.is_guarded(user.email)

    right = password_step(client, user, environ_base=B)
    assert right.status_code == 200 and LINK_SENT in right.get_data(as_text=True)
    assert logged_in_as(client) is None
    wrong = password_step(client, user, WRONG, environ_base=B)
    assert _main(wrong.get_data(as_text=True)) == _main(right.get_data(as_text=True))
    _guard(client, "nobody@example.com")
    unknown = client.post(
        "/auth/login", data={"email": "nobody@example.com", "password": WRONG}, environ_base=B
    )
    assert unknown.status_code == 200
    assert _main(unknown.get_data(as_text=True)) == _main(right.get_data(as_text=True))

    mails = [m for m in outbox if user.email in m.recipients]
    assert len(mails) == 1
    path = re.search(r"/auth/login/link/[^\s]+", mails[0].body).group(0)
    assert client.get(path).status_code == 200  # a button: mail scanners do not spend it
    used = client.post(path, environ_base=B)
    assert used.status_code == 302 and used.headers["Location"] == "/dashboard"
    assert logged_in_as(client) == user.get_id()
    client.post("/auth/logout")

    again = client.post(path, environ_base=B)
    assert again.status_code == 302 and again.headers["Location"] == "/auth/login"
    assert logged_in_as(client) is None


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_a_guarded_account_with_totp_gets_the_code_step(client, db, clock, outbox):  # noqa: F811
    """SECURITY.md row 5 (v5.0.0-6.3.1) and row 7: the second factor is the way in."""
    admin, _codes = enrolled("admin", clock)
    _guard(client, admin.email)
    response = password_step(client, admin, environ_base=B)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login/code"
    assert not [m for m in outbox if admin.email in m.recipients]


def test_the_counters_fail_open_when_their_storage_fails(client, db, monkeypatch, caplog_json):
    """SECURITY.md row 5: a storage that does not answer never locks everyone out
    (docs/deploy.md, "Redis")."""

    class Broken:
        _fallback_limiter = None

        @property
        def limiter(self):  # noqa: ANN201
            raise ConnectionError("storage down")

    monkeypatch.setattr(login_guard, "limiter", Broken())
    user = make_user("enterprise")
    db.session.commit()
    assert password_step(client, user).status_code == 302
    assert any(r.getMessage() == "login_guard.storage_unavailable" for r in caplog_json.records)


def test_one_address_trying_many_accounts_is_limited(client, db):
    """SECURITY.md row 5 (v5.0.0-6.3.1): LOGIN_LIMIT_PER_IP counts every account's failures."""
    for i in range(20):
        data = {"email": f"nobody{i}@example.com", "password": WRONG}
        assert client.post("/auth/login", data=data, environ_base=A).status_code == 200
    limited = client.post(
        "/auth/login", data={"email": "x@example.com", "password": WRONG}, environ_base=A
    )
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    other = client.post(
        "/auth/login", data={"email": "x@example.com", "password": WRONG}, environ_base=B
    )
    assert other.status_code == 200
