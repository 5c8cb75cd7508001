"""Security headers, cookies, CSRF, safe methods, error pages and security logging."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, url_for

from matchmaker import create_app
from matchmaker.config import Config, TestConfig
from matchmaker.extensions import db as _db
from matchmaker.logs import JsonFormatter
from matchmaker.models import Base
from matchmaker.services.accounts import accounts
from matchmaker.web.policy import public
from tests.conftest import log_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory, make_user

ROLES = ("enterprise", "university", "bank", "admin")
#: URL parameters for which no row is created (the page answers 404, which must be safe too).
PLACEHOLDERS = {
    "listing_id": 999_999,
    "attachment_id": 999_999,
    "field_id": 999_999,
    "org_id": 999_999,
    "kinds": "results",
    "kind": "result",
    "fmt": "csv",
    "token": "no-such-token",
    "filename": "css/app.css",
}


def get_urls(app: Flask) -> list[str]:
    """A concrete URL for every GET route, with real ids and tokens."""
    inviter = make_user("enterprise")
    tokens: list[str] = []
    accounts.invite_member(actor=inviter, email="guest@example.com", link_for=tokens.append)
    values = {
        "static": {"filename": "css/app.css"},
        "admin.show_organisation": {"org_id": OrganisationFactory(pending=True).id},
        "auth.join": {"token": tokens[0]},
        "auth.reset_password": {"token": accounts.make_reset_token(UserFactory())},
    }
    _db.session.commit()
    with app.test_request_context():
        return [
            url_for(
                rule.endpoint,
                **{
                    name: values.get(rule.endpoint, {}).get(name, PLACEHOLDERS.get(name, 999_999))
                    for name in rule.arguments
                },
            )
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods
        ]


def assert_security_headers(response, url: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp, (url, csp)
    assert "unsafe-inline" not in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert response.headers.get("Referrer-Policy") in (
        "no-referrer",
        "strict-origin-when-cross-origin",
    )


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_get_route_sends_security_headers(app, client, db, role):
    """SECURITY.md rows 22 and 35 (v5.0.0-3.4.3-3.4.6, 14.3.2)."""
    urls = [*get_urls(app), "/no/such/page", "/static/vendor/bootstrap/bootstrap.min.css"]
    if role:
        log_in(client, make_user(role))
        db.session.commit()
    for url in urls:
        response = client.get(url)
        response.close()
        # the API may want a bearer token (401) or a required query parameter (/search: 422)
        api_codes = (401, 422) if url.startswith("/api/") else ()
        # 301: an old address that moved (/finance/events → /events)
        assert response.status_code in (200, 301, 302, 403, 404, *api_codes), url
        assert_security_headers(response, url)
        if role and not url.startswith("/static/"):
            assert response.headers.get("Cache-Control") == "private, no-store", url
    assert client.get("/no/such/page").status_code == 404


def test_anonymous_public_pages_are_not_marked_no_store(client, db):
    assert client.get("/").headers.get("Cache-Control") != "no-store"


def test_no_state_change_via_get(app, client, db):
    """SECURITY.md row 20 (v5.0.0-3.5.3)."""
    urls = get_urls(app)
    make_user("bank")
    db.session.commit()

    def snapshot() -> dict[str, list[tuple]]:
        db.session.expire_all()
        return {
            t.name: [tuple(r) for r in db.session.execute(sa.select(t).order_by(*t.primary_key))]
            for t in Base.metadata.sorted_tables
        }

    before = snapshot()
    assert all(before[name] for name in ("users", "invitations", "organisations"))
    for role in (None, "admin", "enterprise"):
        crawler = app.test_client()
        if role:
            user = make_user(role)
            db.session.commit()
            log_in(crawler, user)
            before = snapshot()
        for url in urls:
            crawler.get(url).close()
            crawler.get(url + "?page=2&status=pending&active=0&locale=en").close()
        assert snapshot() == before, role


# --- production configuration ---------------------------------------------------------------


def _boom() -> str:
    raise RuntimeError("internal detail: /srv/matchmaker/secret.py line 42")


@pytest.fixture
def prod_app(tmp_path: Path):
    """The production configuration (CSRF on, secure cookies) on a throwaway SQLite file."""
    application = create_app(
        Config,
        instance_path=str(tmp_path),
        SECRET_KEY="x" * 40,
        PUBLIC_URL="https://localhost",  # production: links and TRUSTED_HOSTS (the test client's)
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        ARGON2_TIME_COST=1,
        ARGON2_MEMORY_COST=1024,
    )
    application.add_url_rule("/boom", "boom", public(_boom))
    with application.app_context():
        _db.create_all()
        make_user("enterprise", email="prod@example.com")
        _db.session.commit()
        _db.session.remove()
    yield application
    with application.app_context():
        _db.engine.dispose()


HTTPS = "https://localhost"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match
    return match.group(1)


def _prod_login(client) -> object:
    page = client.get("/auth/login", base_url=HTTPS)
    return client.post(
        "/auth/login",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/auth/login"},
        data={
            "email": "prod@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def test_production_cookies_and_hsts(prod_app):
    """SECURITY.md rows 21 and 22 (v5.0.0-3.3.1-3.3.4, 3.4.1)."""
    client = prod_app.test_client()
    response = _prod_login(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    (cookie,) = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-session=")
    ]
    attributes = {
        part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]
    }
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    assert "domain" not in attributes  # required by the __Host- prefix
    hsts = response.headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000
    assert "includeSubDomains" in hsts
    assert client.get("/dashboard", base_url=HTTPS).status_code == 200


def test_production_login_without_csrf_token_is_refused(prod_app):
    """SECURITY.md row 19 (v5.0.0-3.5.1)."""
    client = prod_app.test_client()
    client.get("/auth/login", base_url=HTTPS)
    response = client.post(
        "/auth/login",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/auth/login"},
        data={"email": "prod@example.com", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert client.get("/dashboard", base_url=HTTPS).status_code == 302


def test_production_error_page_has_no_traceback(prod_app, caplog):
    """SECURITY.md row 22 (v5.0.0-3.4.3)."""
    caplog.set_level(logging.ERROR, logger="matchmaker")
    response = prod_app.test_client().get("/boom", base_url=HTTPS)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "服务器出错了" in html
    for leak in ("Traceback", "RuntimeError", "secret.py", "internal detail"):
        assert leak not in html
    assert_security_headers(response, "/boom")
    assert any(r.exc_info for r in caplog.records if r.name == "matchmaker.errors")


def test_production_has_no_debug_console(prod_app):
    assert prod_app.test_client().get("/console", base_url=HTTPS).status_code == 404
    assert not prod_app.debug


# --- CSRF -----------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(tmp_path: Path):
    """TestConfig with CSRF protection switched back on."""
    application = create_app(
        TestConfig,
        instance_path=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'csrf.sqlite3'}",
        WTF_CSRF_ENABLED=True,
    )
    with application.app_context():
        _db.create_all()
        user = make_user("enterprise", email="csrf@example.com")
        _db.session.commit()
        user_id = user.get_id()
        _db.session.remove()
    application.config["TEST_USER_ID"] = user_id
    yield application
    with application.app_context():
        _db.engine.dispose()


def test_csrf_token_is_required_on_posts(csrf_app, caplog_json):
    """SECURITY.md row 19 (v5.0.0-3.5.1)."""
    client = csrf_app.test_client()
    response = client.post("/language", data={"locale": "en", "next": "/"})
    assert response.status_code == 400
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)
    # Public pages carry no token (they stay cacheable: web/hooks.py); a form page does.
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/language", data={"locale": "en", "next": "/", "csrf_token": token})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    assert any(r.getMessage() == "csrf.failed" for r in caplog_json.records)


def test_logout_needs_a_csrf_token(csrf_app):
    """SECURITY.md row 19 (v5.0.0-3.5.1)."""
    client = csrf_app.test_client()
    with client.session_transaction() as sess:
        import time

        now = int(time.time())
        sess.update(
            {
                "_user_id": csrf_app.config["TEST_USER_ID"],
                "_fresh": True,
                "login_at": now,
                "seen_at": now,
            }
        )
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard").status_code == 302


# --- security log ---------------------------------------------------------------------------


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = JsonFormatter()
    return [formatter.format(r) for r in caplog.records]


def _events(caplog: pytest.LogCaptureFixture) -> dict[str, logging.LogRecord]:
    return {r.getMessage(): r for r in caplog.records if r.name == "matchmaker.security"}


def test_security_events_are_logged_without_secrets(app, client, db, caplog_json):
    user = make_user("enterprise", email="audit.me@example.com")
    db.session.commit()
    wrong = "Wr0ng-Pa55word-Sentinel"
    client.post("/auth/login", data={"email": user.email, "password": wrong})
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/admin/users").status_code == 403
    client.post("/auth/logout")
    for _ in range(5):
        client.post("/auth/login", data={"email": user.email, "password": wrong})
    assert (
        client.post("/auth/login", data={"email": user.email, "password": wrong}).status_code == 429
    )

    events = _events(caplog_json)
    failure = events["login.failure"]
    assert (failure.account, failure.ip) == ("audit.me@example.com", "127.0.0.1")
    success = events["login.success"]
    assert (success.user_id, success.ip) == (user.id, "127.0.0.1")
    denied = events["authz.denied"]
    assert (denied.user_id, denied.endpoint) == (user.id, "admin.list_users")
    assert events["rate_limit.hit"].path == "/auth/login"
    assert "logout" in events

    lines = _lines(caplog_json)
    for line in lines:
        assert wrong not in line
        assert PASSWORD not in line
        record = json.loads(line)
        assert record["ts"].endswith("+00:00")
    assert user.password_hash not in "\n".join(lines)


def test_password_reset_and_registration_log_no_password(client, db, caplog_json):
    secret = "unique sentinel passphrase 77"
    client.post(
        "/auth/register",
        data={
            "kind": "university",
            "org_name": "吉林日志大学",
            "region": "jilin",
            "name": "赵",
            "email": "log@example.com",
            "password": secret,
            "confirm": secret,
        },
    )
    client.post("/auth/logout")
    client.post("/auth/forgot", data={"email": "log@example.com"})
    assert all(secret not in line for line in _lines(caplog_json))


@pytest.mark.parametrize(
    "hostile",
    [
        'evil@example.com\n{"level": "CRITICAL", "event": "login.success"}',
        "name\r\nX-Injected: yes",
        "\x1b[31mred\x1b[0m\u2028line\x85next\u2029para",
    ],
)
def test_log_lines_are_single_json_objects(hostile):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("matchmaker.security.test")
    logger.addHandler(handler)
    try:
        logger.warning("login.failure", extra={"account": hostile, "ip": "127.0.0.1"})
        logger.warning("user %s", hostile)
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    shown = hostile.replace("evil@example.com", "e***@example.com")  # logs.py masks addresses
    assert first["account"] == shown
    assert first["event"] == "login.failure"
    assert first["level"] == "WARNING"
    assert second["event"] == f"user {shown}"
    assert "\x1b" not in stream.getvalue()


def test_the_app_logs_through_the_json_formatter(app):
    handlers = [
        h for h in logging.getLogger("matchmaker").handlers if getattr(h, "_matchmaker", False)
    ]
    assert len(handlers) == 1
    assert isinstance(handlers[0].formatter, JsonFormatter)
