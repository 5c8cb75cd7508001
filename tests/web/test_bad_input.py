"""Hostile and odd input on every form: never a 500, nothing stored, payloads escaped."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from matchmaker.extensions import db as _db
from matchmaker.models import Base
from matchmaker.services.accounts import accounts
from tests.conftest import log_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory, make_user

XSS = "<script>alert(1)</script>"
GOOD_PASSWORD = "blue mango parachute 17"
VALID_CODE = "91350100M000100Y43"

HOSTILE: dict[str, object] = {
    "overlong": "长" * 10_000,
    "xss": XSS,
    "img-onerror": '"><img src=x onerror=alert(1)>',
    "nul": "ab\x00cd",
    "control": "a\x01\x07\x1b[31mb\x7f",
    "newlines": "line1\r\nline2\nX-Header: injected",
    "rtl-override": "\u202egnp.exe",
    "astral": "😀𠜎𠜱ＡＢＣ１２３" * 5,
    "whitespace": " \t ",
    "sql": "x' OR '1'='1'; DROP TABLE users;--",
    "two-values": ["first", "second"],
    "file-upload": "FILE",
}


def row_counts() -> dict[str, int]:
    _db.session.expire_all()
    return {
        t.name: _db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }


@dataclass
class FormCase:
    """How to reach a form with valid data, before one field is replaced."""

    setup: Callable[[Flask, FlaskClient], str]  # returns the URL
    data: dict[str, str]


def _anon(url: str) -> Callable[[Flask, FlaskClient], str]:
    return lambda app, client: url


def _as(role: str, url: str | Callable[[], str]) -> Callable[[Flask, FlaskClient], str]:
    def setup(app: Flask, client: FlaskClient) -> str:
        user = make_user(role)
        _db.session.commit()
        log_in(client, user)
        return url() if callable(url) else url

    return setup


def _login_setup(app: Flask, client: FlaskClient) -> str:
    make_user("enterprise", email="someone@example.com")
    _db.session.commit()
    return "/auth/login"


def _reset_setup(app: Flask, client: FlaskClient) -> str:
    token = accounts.make_reset_token(UserFactory(email="reset@example.com"))
    _db.session.commit()
    return f"/auth/reset/{token}"


def _join_setup(app: Flask, client: FlaskClient) -> str:
    tokens: list[str] = []
    accounts.invite_member(
        actor=make_user("bank"), email="invitee@example.com", link_for=tokens.append
    )
    _db.session.commit()
    return f"/auth/join/{tokens[0]}"


def _pending_org_url(action: str) -> Callable[[], str]:
    def url() -> str:
        org = OrganisationFactory(pending=True)
        _db.session.commit()
        return f"/admin/organisations/{org.id}/{action}"

    return url


def _user_url() -> str:
    target = make_user("university")
    _db.session.commit()
    return f"/admin/users/{target.id}/deactivate"


FORMS: dict[str, FormCase] = {
    "register": FormCase(
        _anon("/auth/register"),
        {
            "kind": "enterprise",
            "org_name": "长春新材料有限公司",
            "credit_code": VALID_CODE,
            "region": "changchun",
            "website": "https://example.com",
            "description": "新材料",
            "name": "王伟",
            "phone": "13800000000",
            "email": "wang@example.com",
            "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD,
        },
    ),
    "login": FormCase(_login_setup, {"email": "someone@example.com", "password": "wrong!"}),
    "change_password": FormCase(
        _as("enterprise", "/auth/password"),
        {"current_password": PASSWORD, "new_password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    ),
    "forgot": FormCase(_anon("/auth/forgot"), {"email": "someone@example.com"}),
    "reset": FormCase(_reset_setup, {"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}),
    "join": FormCase(
        _join_setup,
        {"name": "李娜", "phone": "", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    ),
    "invite": FormCase(_as("enterprise", "/organisation/"), {"email": "colleague@example.com"}),
    "reject": FormCase(_as("admin", _pending_org_url("reject")), {"reason": "材料不全"}),
    "deactivate": FormCase(_as("admin", _user_url), {"reason": "离职"}),
    "language": FormCase(_anon("/language"), {"locale": "en", "next": "/auth/terms"}),
}

CASES = [
    pytest.param(form, field, name, id=f"{form}-{field}-{name}")
    for form, case in FORMS.items()
    for field in case.data
    for name in HOSTILE
]


def _post(client: FlaskClient, url: str, data: dict[str, object]):
    return client.post(url, data=data, content_type="multipart/form-data")


def _assert_safe(response) -> str:
    assert response.status_code < 500
    html = response.get_data(as_text=True)
    assert XSS not in html
    assert "<img src=x onerror" not in html
    return html


@pytest.mark.parametrize(("form", "field", "name"), CASES)
def test_hostile_value_in_one_field(app, client, db, form, field, name):
    """SECURITY.md row 23 (v5.0.0-1.2.1)."""
    case = FORMS[form]
    url = case.setup(app, client)
    value = HOSTILE[name]
    if value == "FILE":
        value = (io.BytesIO(b"<script>alert(1)</script>"), "evil.html")
    before = row_counts()
    response = _post(client, url, {**case.data, field: value})
    html = _assert_safe(response)
    if response.status_code != 302:
        # The form came back with its errors; nothing was written.
        assert row_counts() == before
        assert "invalid-feedback" in html or "alert-danger" in html or response.status_code >= 400


#: Forms whose every field is optional: an empty submission is a valid one.
EMPTY_IS_VALID = {"deactivate"}


@pytest.mark.parametrize("form", FORMS)
def test_missing_fields(app, client, db, form):
    url = FORMS[form].setup(app, client)
    before = row_counts()
    response = client.post(url, data={})
    _assert_safe(response)
    if form not in EMPTY_IS_VALID:
        assert row_counts() == before


@pytest.mark.parametrize("form", FORMS)
def test_not_a_form_at_all(app, client, db, form):
    url = FORMS[form].setup(app, client)
    before = row_counts()
    for kwargs in (
        {"json": {"email": ["x"], "password": {"a": 1}, "reason": None}},
        {
            "data": b"\xff\xfe\x00garbage=%FF%C0%AF&&&==",
            "content_type": "application/x-www-form-urlencoded",
        },
        {"data": b"--broken\r\n", "content_type": "multipart/form-data; boundary=broken"},
    ):
        _assert_safe(client.post(url, **kwargs))
    if form not in EMPTY_IS_VALID:
        assert row_counts() == before


@pytest.mark.parametrize("form", ["register", "login", "reject"])
def test_huge_fields_are_refused(app, client, db, form):
    """SECURITY.md row 26 (v5.0.0-5.2.1)."""
    case = FORMS[form]
    url = case.setup(app, client)
    before = row_counts()
    field = next(iter(case.data))
    # Just over MAX_FORM_MEMORY_SIZE (500,000) but under the test client's 512 KiB in-memory
    # spool, so no temporary file is left for the garbage collector.
    huge = {**case.data, field: "x" * 501_000}
    # A multipart text part over MAX_FORM_MEMORY_SIZE is refused before any parsing...
    assert _post(client, url, huge).status_code == 413
    # ...and an url-encoded one fails the field's length check.
    _assert_safe(client.post(url, data=huge))
    assert row_counts() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "spaceship"),
        ("kind", "government"),
        ("region", "mars"),
        ("kind", ""),
        ("credit_code", "91350100M000100Y4"),
        ("credit_code", "9135010OM000100Y43"),
        ("credit_code", "X" * 41),
        ("website", "javascript:alert(1)"),
        ("phone", "call me"),
    ],
)
def test_register_bad_choices_and_formats(client, db, field, value):
    before = row_counts()
    response = client.post("/auth/register", data={**FORMS["register"].data, field: value})
    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert row_counts() == before


def test_stored_xss_in_names_and_reasons_is_escaped_everywhere(app, client, db, outbox):
    """SECURITY.md row 23 (v5.0.0-1.2.1, 1.3.1)."""
    response = client.post(
        "/auth/register",
        data={
            **FORMS["register"].data,
            "org_name": XSS,
            "name": XSS,
            "description": XSS,
            "document": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "licence.pdf"),
        },
    )
    assert response.status_code == 302
    log_in(client, _db.session.scalar(sa.select(accounts.User)))  # registration does not log in
    for url in ("/dashboard", "/organisation/"):
        html = _assert_safe(client.get(url))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    admin_client = app.test_client()
    admin = make_user("admin")
    _db.session.commit()
    log_in(admin_client, admin)
    org_id = _db.session.scalar(sa.text("SELECT id FROM organisations"))
    admin_client.post(f"/admin/organisations/{org_id}/reject", data={"reason": XSS})
    for url in (
        "/admin/organisations",
        f"/admin/organisations/{org_id}",
        "/admin/users",
        "/admin/audit",
    ):
        html = _assert_safe(admin_client.get(url))
        assert "&lt;script&gt;" in html or "\\u003cscript\\u003e" in html, url
    html = _assert_safe(client.get("/organisation/"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "query",
    [
        {"q": XSS},
        {"q": "%_\\"},
        {"q": "a\x00b"},
        {"status": "x" * 5000},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "99999999999999999999"},
        {"kind": ["a", "b"]},
    ],
)
@pytest.mark.parametrize("url", ["/admin/organisations", "/admin/users", "/admin/audit"])
def test_admin_list_filters_take_any_query(client, login_as, db, url, query):
    """SECURITY.md row 24 (v5.0.0-1.2.4)."""
    login_as("admin")
    _assert_safe(client.get(url, query_string=query))


@pytest.mark.parametrize(
    "query",
    [
        {"actor_email": "a\x00b"},
        {"object_id": "1\x00"},
        {"since": "2026-13-45"},
        {"until": "0000-00-00"},
        {"action": XSS},
        {"object_type": "t" * 500},
    ],
)
def test_audit_filter_takes_any_query(client, login_as, db, query):
    login_as("admin")
    _assert_safe(client.get("/admin/audit", query_string=query))


@pytest.mark.parametrize("token", ["a" * 5000, "..%2F..%2Fetc%2Fpasswd", XSS, "\u202e", "%00"])
@pytest.mark.parametrize("route", ["/auth/join/", "/auth/reset/"])
def test_odd_tokens_never_fail(client, db, route, token):
    response = client.get(route + token)
    assert response.status_code in (302, 404)
    response = client.post(
        route + token, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    )
    assert response.status_code in (302, 404)
    assert row_counts()["users"] == 0


@pytest.mark.parametrize(
    "next_value",
    ["https://evil.example", "//evil.example", "/\\evil.example", "/\x00", "/" + "a" * 5000, XSS],
)
def test_login_page_with_odd_next_values(client, db, next_value):
    _assert_safe(client.get("/auth/login", query_string={"next": next_value}))
