"""Security events (SECURITY.md row 32, ASVS v5.0.0-16.3.1, 16.3.2, 16.3.3, 16.2.1, 16.2.2):
authorisation denials (403, and 404s that hide another organisation's object), CSRF failures,
rate limits, the API's 401/403/404 and administrators' actions are written as structured
records with a UTC timestamp, the user id, the address, the event and its outcome; a plain
404 (no such page) is not a security event. Row 33 (16.4.1): a hostile value stays one line."""

from __future__ import annotations

import ast
import io
import json
import logging
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask, g, request_started

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db as _db
from matchmaker.logs import JsonFormatter
from matchmaker.models import Result, User
from matchmaker.services.accounts import api_tokens
from matchmaker.services.market import listings
from matchmaker.services.platform import security_events
from tests.conftest import log_in
from tests.factories import make_user

SECURITY = "matchmaker.security"


@pytest.fixture(autouse=True)
def _fresh_globals_per_request(app: Flask) -> Iterator[None]:
    """The session-wide app context shares `g`: start each request clean, as a real one would."""

    def clear(sender: Flask, **extra: object) -> None:
        for key in list(g):
            g.pop(key)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


def security_records(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    """The security log's records of one event, oldest first."""
    return [r for r in caplog.records if r.name == SECURITY and r.getMessage() == name]


def as_json(record: logging.LogRecord) -> dict[str, object]:
    """The record as the production handler writes it: one JSON object on one line."""
    line = JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def draft_result(owner: User, fields: dict[str, object]) -> Result:
    """A draft result of the owner's organisation (committed): nobody else may see it."""
    result = listings.create_listing(
        actor=owner,
        data=listings.ResultData(
            title="只给本机构看的草稿成果",
            field_id=fields["materials"].id,
            keywords=(),
            region="changchun",
            contact_name="联系人",
            contact_phone="13900000000",
            summary="一项尚未提交审核的成果草稿，外单位不应知道它的存在。",
            trl=5,
            modes=1,
            price_wan=Decimal(10),
        ),
    )
    _db.session.commit()
    return result


def test_another_organisations_object_404_is_logged_as_a_denial(client, db, fields, caplog_json):
    owner = make_user("university")
    result = draft_result(owner, fields)
    stranger = make_user("university")
    db.session.commit()
    log_in(client, stranger)

    assert client.get(f"/results/{result.id}").status_code == 404
    assert client.get(f"/my/results/{result.id}").status_code == 404

    records = security_records(caplog_json, "authz.not_found")
    assert [r.path for r in records] == [f"/results/{result.id}", f"/my/results/{result.id}"]
    line = as_json(records[0])
    assert line["user_id"] == stranger.id
    assert line["outcome"] == "denied"
    assert line["status"] == 404
    assert line["ip"] == "127.0.0.1"
    assert line["method"] == "GET"
    assert line["level"] == "WARNING"
    assert str(line["ts"]).endswith("+00:00")


def test_a_mistyped_address_is_no_security_event(client, db, caplog_json):
    log_in(client, make_user("enterprise"))
    db.session.commit()
    assert client.get("/no-such-page-at-all").status_code == 404
    assert [r for r in caplog_json.records if r.name == SECURITY] == []


def test_403_by_route_policy_is_logged(client, db, caplog_json):
    user = make_user("enterprise")
    db.session.commit()
    log_in(client, user)
    assert client.get("/admin/users").status_code == 403
    (record,) = security_records(caplog_json, "authz.denied")
    line = as_json(record)
    assert (line["user_id"], line["endpoint"], line["outcome"]) == (
        user.id,
        "admin.list_users",
        "denied",
    )
    assert line["status"] == 403
    assert line["path"] == "/admin/users"


def test_403_refused_by_a_service_is_logged(client, db, caplog_json):
    admin = make_user("admin")
    db.session.commit()
    log_in(client, admin)
    # the route allows admins; the service refuses an admin's own account (no self-lockout)
    assert client.post(f"/admin/users/{admin.id}/deactivate", data={}).status_code == 403
    (record,) = security_records(caplog_json, "authz.denied")
    assert (record.user_id, record.reason, record.status) == (admin.id, "PermissionDenied", 403)
    assert record.endpoint == "admin.deactivate_user"
    assert security_records(caplog_json, "admin.action") == []  # nothing was done


def test_405_is_logged(client, db, caplog_json):
    assert client.delete("/auth/login").status_code == 405
    (record,) = security_records(caplog_json, "http.method_not_allowed")
    assert (record.method, record.status, record.outcome) == ("DELETE", 405, "denied")


@pytest.fixture
def csrf_app(tmp_path: Path) -> Iterator[Flask]:
    """TestConfig with CSRF protection switched back on."""
    application = create_app(
        TestConfig,
        instance_path=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'csrf.sqlite3'}",
        WTF_CSRF_ENABLED=True,
    )
    with application.app_context():
        _db.create_all()
        user = make_user("enterprise", email="csrf.events@example.com")
        _db.session.commit()
        application.config["TEST_USER"] = (user.id, user.get_id())
        _db.session.remove()
    yield application
    with application.app_context():
        _db.engine.dispose()


def test_csrf_failure_is_logged_with_the_user(csrf_app, caplog_json):
    client = csrf_app.test_client()
    user_id, login_id = csrf_app.config["TEST_USER"]
    with client.session_transaction() as session:
        now = int(time.time())
        session.update({"_user_id": login_id, "_fresh": True, "login_at": now, "seen_at": now})
    assert client.post("/auth/logout").status_code == 400
    (record,) = security_records(caplog_json, "csrf.failed")
    line = as_json(record)
    assert (line["user_id"], line["outcome"], line["path"]) == (user_id, "blocked", "/auth/logout")
    assert line["method"] == "POST"


def test_rate_limit_is_logged_as_blocked(client, db, caplog_json):
    user = make_user("enterprise", email="limited@example.com")
    db.session.commit()
    statuses = [
        client.post("/auth/login", data={"email": user.email, "password": "wrong-1"}).status_code
        for _ in range(7)
    ]
    assert statuses[-1] == 429
    record = security_records(caplog_json, "rate_limit.hit")[-1]
    assert len(security_records(caplog_json, "rate_limit.hit")) == statuses.count(429)
    assert (record.outcome, record.status, record.path) == ("blocked", 429, "/auth/login")


def test_api_401_403_and_404_are_logged(client, db, fields, caplog_json):
    owner = make_user("university")
    result = draft_result(owner, fields)
    stranger = make_user("university")
    made = api_tokens.create_token(user=stranger, name="events", scopes=["read"])
    db.session.commit()
    good = {"Authorization": f"Bearer {made.secret}"}
    forged = "mm_" + "A1b2C3d4" * 5

    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )
    assert client.get(f"/api/v1/results/{result.id}/working", headers=good).status_code == 404
    assert client.post("/api/v1/results", headers=good, json={}).status_code == 403

    (unauthenticated,) = security_records(caplog_json, "authz.unauthenticated")
    assert (unauthenticated.status, unauthenticated.reason) == (401, "invalid_token")
    assert forged not in JsonFormatter().format(unauthenticated)
    (not_found,) = security_records(caplog_json, "authz.not_found")
    assert (not_found.user_id, not_found.status) == (stranger.id, 404)
    assert not_found.path == f"/api/v1/results/{result.id}/working"
    (denied,) = security_records(caplog_json, "authz.denied")
    assert (denied.user_id, denied.status, denied.outcome) == (stranger.id, 403, "denied")


def test_admin_actions_are_logged_after_their_commit(client, db, caplog_json):
    admin = make_user("admin")
    member = make_user("enterprise")
    db.session.commit()
    log_in(client, admin)

    answer = client.post(f"/admin/users/{member.id}/deactivate", data={"reason": "spam"})
    assert answer.status_code == 302
    answer = client.post(f"/admin/users/{member.id}/terminate-sessions", data={})
    assert answer.status_code == 302

    records = security_records(caplog_json, "admin.action")
    assert [r.action for r in records] == ["user.deactivate", "user.terminate_sessions"]
    line = as_json(records[0])
    assert (line["actor_id"], line["user_id"]) == (admin.id, admin.id)
    assert (line["object_type"], line["object_id"]) == ("user", str(member.id))
    assert (line["outcome"], line["ip"]) == ("ok", "127.0.0.1")


def test_an_admin_action_that_rolls_back_is_not_logged(app, db, caplog_json):
    from matchmaker.services.platform.audit import record_audit

    admin = make_user("admin")
    db.session.commit()
    record_audit(actor=admin, action="user.deactivate", object_type="user", object_id=1)
    db.session.rollback()
    assert security_records(caplog_json, "admin.action") == []
    record_audit(actor=admin, action="user.activate", object_type="user", object_id=1)
    db.session.commit()
    assert [r.action for r in security_records(caplog_json, "admin.action")] == ["user.activate"]


def test_a_hostile_value_in_an_event_stays_one_json_line(app):
    """Row 33: a user name with a line break and ANSI escapes, a hostile user agent."""
    hostile = 'mallory\n{"event": "login.success", "outcome": "ok"}\x1b[31m\u2028'
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(SECURITY)
    logger.addHandler(handler)
    try:
        with app.test_request_context("/auth/login", headers={"User-Agent": "\x1b[2J agent"}):
            security_events.event("login.failure", outcome="failure", account=hostile)
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert (line["event"], line["outcome"]) == ("login.failure", "failure")
    assert line["account"] == hostile
    assert line["user_agent"] == "\x1b[2J agent"
    assert "\x1b" not in stream.getvalue() and "\u2028" not in stream.getvalue()


def test_every_event_the_code_writes_is_documented():
    """Each `security_events.event("name", ...)` in the code names an event of EVENTS (the table
    the documentation lists), so an operator's alert rules know every name."""
    package = Path(security_events.__file__).parents[2]
    written: dict[str, str] = {}
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "event"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "security_events"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                written[node.args[0].value] = path.name
    assert {"authz.denied", "authz.not_found", "csrf.failed", "admin.action"} <= set(written)
    assert {
        name: where for name, where in written.items() if name not in security_events.EVENTS
    } == {}
