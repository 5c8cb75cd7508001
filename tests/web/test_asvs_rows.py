"""SECURITY.md rows whose existing tests were missing a check the row asks for (issue 17).

Every other row is shown by the tests docs/security.md names; each test here says its row.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from openpyxl import load_workbook

from matchmaker.extensions import db as _db
from matchmaker.models import Attachment, OrgStatus, RecommendationFeedback, User
from matchmaker.services.accounts.passwords import password_problem, verify_password
from matchmaker.services.bureau import figures, reports
from matchmaker.services.bureau.figures import Column, Filters, Table
from matchmaker.web.policy import is_safe_next
from tests.conftest import log_in
from tests.factories import PASSWORD, make_user
from tests.services.test_attachments import PDF
from tests.services.test_listings import PUBLIC
from tests.web.test_auth import assert_logged_out, field_errors, register_data, row_counts
from tests.web.test_listings_web import setup_listing, upload
from tests.web.test_security import (  # noqa: F401 - the fixtures csrf_app and prod_app
    HTTPS,
    assert_security_headers,
    csrf_app,
    csrf_token,
    prod_app,
)

ROOT = Path(__file__).resolve().parents[2]


# --- row 1: length, no truncation ---------------------------------------------------------------
def test_passwords_equal_in_their_first_72_bytes_do_not_both_log_in(client, db):
    """SECURITY.md row 1 (v5.0.0-6.2.8): no truncation. 24 CJK characters are 72 UTF-8
    bytes, the length bcrypt keeps: two passwords that differ only after them are two."""
    base = ("我家门口有两棵枣树一棵是枣树另一棵也是枣树" * 2)[:24]
    assert len(base.encode()) == 72
    first, second = base + "甲", base + "乙"
    response = client.post("/auth/register", data=register_data(password=first, confirm=first))
    assert response.status_code == 302
    client.post("/auth/logout")
    wrong = client.post("/auth/login", data={"email": "wang.wei@example.com", "password": second})
    assert wrong.status_code == 200
    assert_logged_out(client)
    right = client.post("/auth/login", data={"email": "wang.wei@example.com", "password": first})
    assert right.status_code == 302


# --- row 2: common and context-specific passwords -----------------------------------------------
@pytest.mark.parametrize(
    "password",
    [
        "password123",
        "12345678",
        "matchmaker2024",
        "吉林科技成果对接平台2024",  # the platform's name (zh) + a year
        "JilinTechTransfer2024",  # the platform's name (en) + a year
        "对接平台2024!",
        "长春银行888888",
    ],
)
def test_common_and_platform_name_passwords_are_refused_at_registration(client, db, password):
    """SECURITY.md row 2 (v5.0.0-6.2.11, 6.2.12): the shipped list and the platform's name."""
    before = row_counts()
    response = client.post(
        "/auth/register", data=register_data(password=password, confirm=password)
    )
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "password")
    assert row_counts() == before


def test_a_passphrase_that_mentions_the_platform_is_still_accepted(app):
    """SECURITY.md row 2: context words refuse a password made *mostly* of them, no more."""
    with app.test_request_context():
        assert password_problem("吉林的技术转移平台让我认识了很多老师") is None


# --- row 3: the KDF, and upgrading an outdated hash ---------------------------------------------
def test_a_legacy_hash_is_upgraded_on_login(client, db):
    """SECURITY.md row 3 (v5.0.0-11.4.2): a hash with outdated Argon2id parameters is
    replaced by one with the current parameters when its owner logs in."""
    user = make_user("enterprise")
    legacy = PasswordHasher(time_cost=2, memory_cost=2048).hash(PASSWORD)
    user.password_hash = legacy
    db.session.commit()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert stored != legacy
    assert stored.startswith("$argon2id$") and "m=1024,t=1" in stored  # TestConfig's cost
    assert verify_password(stored, PASSWORD) == (True, None)


# --- row 13: re-authentication ------------------------------------------------------------------
def test_there_is_no_remember_me_so_every_session_is_a_fresh_login(app, client, db):
    """SECURITY.md row 13 (v5.0.0-7.5.1): no remember-me cookie is ever issued (a "remember"
    field is ignored), so no session is a non-fresh one; the password change asks for the
    current password (tests/web/test_auth.py::test_change_password_needs_the_current_password)."""
    assert 'name="remember"' not in client.get("/auth/login").get_data(as_text=True)
    user = make_user("enterprise")
    db.session.commit()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert not [c for c in cookies if c.startswith(app.config["REMEMBER_COOKIE_NAME"])]
    with client.session_transaction() as sess:
        assert sess["_fresh"] is True
        assert sess.get("_remember") != "set"


# --- row 15: object-level authorization ---------------------------------------------------------
def _feedback(client, source_kind, source_id, target_kind, target_id):
    return client.post(
        "/recommendations/feedback",
        data={
            "source_kind": source_kind,
            "source_id": str(source_id),
            "target_kind": target_kind,
            "target_id": str(target_id),
            "useful": "1",
            "next": "/",
        },
    )


def test_feedback_on_another_organisations_draft_is_404_and_stores_nothing(client, fields):
    """SECURITY.md row 15 (v5.0.0-8.2.2): the recommendation feedback route loaded any listing
    by id, so a member could tell a foreign draft's id from a missing one; both are 404 now."""
    _owner, _admin, draft_need = setup_listing("need", "draft", fields)
    _seller, _admin2, listed_result = setup_listing("result", PUBLIC["result"], fields)
    _other, _admin3, listed_need = setup_listing("need", PUBLIC["need"], fields)
    _uni, _admin4, draft_result = setup_listing("result", "draft", fields)
    stranger = make_user("enterprise")
    _db.session.commit()
    log_in(client, stranger)
    assert _feedback(client, "need", draft_need.id, "result", listed_result.id).status_code == 404
    assert _feedback(client, "need", listed_need.id, "result", draft_result.id).status_code == 404
    assert _feedback(client, "need", 999_999, "result", listed_result.id).status_code == 404
    assert _db.session.scalar(sa.select(sa.func.count(RecommendationFeedback.id))) == 0
    # public on both sides: stored
    assert _feedback(client, "need", listed_need.id, "result", listed_result.id).status_code == 302
    assert _db.session.scalar(sa.select(sa.func.count(RecommendationFeedback.id))) == 1


def test_walking_listing_ids_finds_only_public_ones(client, fields):
    """SECURITY.md row 15 (v5.0.0-8.2.2): sequential-id enumeration on the web page and the API
    returns nothing foreign — a draft, a listing in review and a withdrawn one answer as a
    missing id does."""
    states = ("draft", "pending_review", "withdrawn", PUBLIC["result"])
    made = {state: setup_listing("result", state, fields)[2].id for state in states}
    log_in(client, make_user("university"))
    _db.session.commit()
    ids = range(1, max(made.values()) + 3)
    web = {i for i in ids if client.get(f"/results/{i}").status_code == 200}
    api = {i for i in ids if client.get(f"/api/v1/results/{i}").status_code == 200}
    assert web == api == {made[PUBLIC["result"]]}


# --- row 17: mass assignment --------------------------------------------------------------------
def test_registration_ignores_role_status_and_organisation_fields(client, db):
    """SECURITY.md row 17 (v5.0.0-15.3.3): extra fields in the sign-up form are ignored."""
    other = make_user("bank")
    db.session.commit()
    data = register_data(
        role="admin",
        status="verified",
        organisation_id=str(other.organisation_id),
        verified_by_id=str(other.id),
        is_active="0",
        session_version="9",
    )
    assert client.post("/auth/register", data=data).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "wang.wei@example.com"))
    assert user.role == "enterprise"
    assert user.organisation_id != other.organisation_id
    assert user.organisation.status == OrgStatus.PENDING
    assert user.organisation.verified_by is None
    assert user.is_active and user.session_version != 9


# --- row 19: CSRF on script requests ------------------------------------------------------------
def test_script_requests_need_the_x_csrftoken_header(csrf_app):  # noqa: F811
    """SECURITY.md row 19 (v5.0.0-3.5.1): the page scripts POST with `X-CSRFToken` from the
    page's meta tag; without it, or with a forged one, the request is refused."""
    client = csrf_app.test_client()
    now = int(time.time())
    with client.session_transaction() as sess:
        sess.update(
            {
                "_user_id": csrf_app.config["TEST_USER_ID"],
                "_fresh": True,
                "login_at": now,
                "seen_at": now,
            }
        )
    token = csrf_token(client.get("/dashboard").get_data(as_text=True))
    assert client.post("/account/keep-alive").status_code == 400
    assert client.post("/account/keep-alive", headers={"X-CSRFToken": "forged"}).status_code == 400
    assert client.post("/account/keep-alive", headers={"X-CSRFToken": token}).status_code == 204
    for script in ("static/js/session.js", "static/js/challenges.js"):
        source = (ROOT / script).read_text("utf-8")
        assert '"X-CSRFToken"' in source and "csrf-token" in source, script


# --- row 22: headers on static files and error pages in production ------------------------------
@pytest.mark.parametrize("path", ["/static/css/app.css", "/no/such/page", "/auth/login"])
def test_production_headers_on_static_files_and_error_pages(prod_app, path):  # noqa: F811
    """SECURITY.md row 22 (v5.0.0-3.4.1, 3.4.3-3.4.6): CSP, nosniff, Referrer-Policy and HSTS
    on a static file and a 404 too (the 500 page: test_security.py)."""
    response = prod_app.test_client().get(path, base_url=HTTPS)
    response.close()
    assert response.status_code == (404 if "no/such" in path else 200)
    assert_security_headers(response, path)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- row 25: open redirects ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "evil.example",
        "",
    ],
)
def test_off_site_next_targets_are_refused(target):
    """SECURITY.md row 25 (v5.0.0-3.7.2): every `next` goes through is_safe_next."""
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/organisation/", "/results?q=碳纤维&page=2"])
def test_on_site_next_targets_are_kept(target):
    """SECURITY.md row 25: paths on this site are followed."""
    assert is_safe_next(target)


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example", "https://evil.example"])
def test_the_public_language_switch_does_not_redirect_off_site(client, db, target):
    """SECURITY.md row 25: the one public GET that redirects to a `next`."""
    response = client.get("/language", query_string={"locale": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- row 26: request size limit -----------------------------------------------------------------
def _multipart(total: int) -> tuple[bytes, str]:
    boundary = "asvs-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + PDF + b"0" * (total - len(head) - len(PDF) - len(tail)) + tail
    assert len(body) == total
    return body, f"multipart/form-data; boundary={boundary}"


def test_an_upload_one_byte_over_the_limit_is_413_and_the_limit_itself_passes(
    app, client, fields, monkeypatch
):
    """SECURITY.md row 26 (v5.0.0-5.2.1): MAX_CONTENT_LENGTH + 1 bytes → 413 before parsing,
    with the friendly page; exactly the limit is read and stored."""
    limit = 8000
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", limit)
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    url = f"/my/results/{listing.id}/attachments"
    body, content_type = _multipart(limit + 1)
    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 413
    assert "上传的内容超过了大小限制" in response.get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    body, content_type = _multipart(limit)
    assert client.post(url, data=body, content_type=content_type).status_code == 302
    assert _db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 1


# --- rows 27 and 28: a polyglot, and the download's name ----------------------------------------
def test_a_pdf_with_trailing_html_downloads_as_a_sandboxed_pdf(client, fields):
    """SECURITY.md rows 27 and 28 (v5.0.0-5.2.2, 5.4.1): a PDF carrying an HTML page after its
    bytes is stored as a PDF and served as an attachment (nosniff, CSP sandbox), and its
    download name gets ".pdf" so a saved copy never opens as a web page."""
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    content = PDF + b"<html><body><script>alert(document.domain)</script></body></html>"
    assert upload(client, "result", listing.id, content, "报告.html").status_code == 302
    item = _db.session.scalars(sa.select(Attachment)).one()
    assert item.content_type == "application/pdf"
    response = client.get(f"/attachments/{item.id}")
    assert response.get_data() == content
    response.close()
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%8A%A5%E5%91%8A.html.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


# --- row 36: formula injection in every spreadsheet ---------------------------------------------
HOSTILE_CELLS = ['=HYPERLINK("http://evil.example","点我")', "@SUM(1+1)", "+1", "-2+3", "\tx"]


def test_the_monthly_report_neutralises_text_cells(app, db, monkeypatch):
    """SECURITY.md row 36 (v5.0.0-1.2.10): the bureau's monthly report shows names people typed
    (a broker's); a text cell starting with = + - @ or a tab is written as text with a leading
    apostrophe, never as a formula; numbers stay numbers."""

    def hostile(filters: Filters) -> Table:
        return Table(
            name="hostile_names",
            title="经纪人",
            columns=[Column("broker", "技术经纪人", "text"), Column("n", "次数", "int")],
            rows=[{"broker": name, "n": 1} for name in HOSTILE_CELLS],
        )

    figures.names()  # load the registered figures first
    monkeypatch.setitem(figures._FIGURES, "hostile_names", hostile)
    with app.test_request_context():
        content = reports.write_xlsx(reports.monthly_report("2026-10"))
    cells = [
        cell
        for sheet in load_workbook(io.BytesIO(content))
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    for name in HOSTILE_CELLS:
        (cell,) = [c for c in cells if c.value == "'" + name]
        assert cell.data_type == "s"
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value == 1 and c.data_type == "n" for c in cells)  # numbers stay numbers
