"""Registration needs the 统一社会信用代码 and a licence / certificate scan; admins verify on it.

The scan is checked by content (PDF, JPEG, PNG), size-limited, stored like listing attachments
and never public: admins and the organisation's own members only (issue 13, point 5).
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db as _db
from matchmaker.models import Base, Organisation, OrganisationDocument, OrgStatus, User
from matchmaker.services.platform import files
from tests.conftest import log_in
from tests.factories import PDF_BYTES, PNG_BYTES, OrganisationFactory, make_user

VALID_CODE = "91350100M000100Y43"
GOOD_PASSWORD = "blue mango parachute 17"


def row_counts() -> dict[str, int]:
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


def form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "enterprise",
        "org_name": "长春新材料有限公司",
        "credit_code": VALID_CODE,
        "region": "changchun",
        "name": "王伟",
        "email": "wang.wei@example.com",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        "document": (io.BytesIO(PNG_BYTES), "营业执照.png"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def fetch(client, url: str) -> tuple[int, bytes, dict[str, str]]:
    """GET a file, closing the response (its file handle) at once."""
    response = client.get(url)
    try:
        return response.status_code, response.data, dict(response.headers)
    finally:
        response.close()


def stored_files(app) -> list[str]:
    return sorted(p.name for p in files.storage_dir().iterdir()) if app else []


def test_registration_stores_the_scan_with_the_organisation(app, client, db):
    response = client.post("/auth/register", data=form())
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organisation))
    assert org.credit_code == VALID_CODE
    document = org.document
    assert (document.content_type, document.original_name) == ("image/png", "营业执照.png")
    assert files.path_of(document).read_bytes() == PNG_BYTES  # permanent after the commit
    assert document.uploaded_by_id == db.session.scalar(sa.select(User.id))


def test_missing_code_and_scan_are_refused_together_with_every_other_error(client, db):
    before = row_counts()
    response = client.post(
        "/auth/register",
        data=form(credit_code="", document=None, password="short", confirm="short", name=""),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert any("请填写统一社会信用代码" in e for e in field_errors(html, "credit_code"))
    assert any("扫描件" in e for e in field_errors(html, "document"))
    assert field_errors(html, "password")
    assert field_errors(html, "name")
    assert row_counts() == before


def test_form_errors_and_rule_errors_appear_at_once(client, db):
    existing = make_user("enterprise", email="taken@example.com")
    db.session.commit()
    before = row_counts()
    html = client.post(
        "/auth/register",
        data=form(
            name="",  # refused by the form
            email="Taken@example.com",  # taken, and never told (tests/web/test_enumeration.py)
            credit_code=existing.organisation.credit_code,  # refused by the rules: taken
        ),
    ).get_data(as_text=True)
    assert field_errors(html, "name")
    assert field_errors(html, "email") == []
    assert any("已经登记过" in e for e in field_errors(html, "credit_code"))
    assert row_counts() == before


@pytest.mark.parametrize(
    ("code", "message"),
    [("91350100M000100Y44", "统一社会信用代码无效"), ("   ", "请填写统一社会信用代码")],
)
@pytest.mark.parametrize("kind", ["enterprise", "university", "institute", "bank"])
def test_every_kind_needs_a_valid_credit_code(client, db, kind, code, message):
    before = row_counts()
    html = client.post("/auth/register", data=form(kind=kind, credit_code=code)).get_data(
        as_text=True
    )
    assert any(message in e for e in field_errors(html, "credit_code"))
    assert row_counts() == before


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "营业执照.pdf"),  # a PDF by name only
        (b"GIF89a" + b"\x00" * 32, "licence.png"),  # an image, but not one we take
        (b"PK\x03\x04" + b"\x00" * 64, "licence.docx"),  # Office files are no scans
        (b"", "empty.pdf"),
    ],
)
def test_scan_type_is_decided_by_content(app, client, db, content, name):
    before = row_counts()
    files_before = stored_files(app)
    response = client.post("/auth/register", data=form(document=(io.BytesIO(content), name)))
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), "document")
    assert errors
    assert row_counts() == before
    assert stored_files(app) == files_before  # no pending file left behind


def test_scan_size_is_limited(app, client, db, monkeypatch):
    # Under the test client's 512 KiB in-memory spool: no temporary file is left open.
    monkeypatch.setitem(app.config, "ORG_DOCUMENT_MAX_BYTES", 200 * 1024)
    big = PDF_BYTES + b"0" * (200 * 1024)
    before = row_counts()
    response = client.post("/auth/register", data=form(document=(io.BytesIO(big), "big.pdf")))
    assert response.status_code == 200
    assert any("0.2 MB" in e for e in field_errors(response.get_data(as_text=True), "document"))
    assert row_counts() == before


def test_a_file_in_a_text_field_is_refused(client, db):
    response = client.post("/auth/register", data=form(org_name=(io.BytesIO(b"x"), "x.txt")))
    assert response.status_code == 400


# --- who sees the scan ----------------------------------------------------------------------


@pytest.fixture
def registered(client, db):
    """An enterprise registered through the page with a PNG scan; the client is logged out."""
    assert client.post("/auth/register", data=form()).status_code == 302
    client.post("/auth/logout")
    org = db.session.scalar(sa.select(Organisation))
    return org


def test_admin_sees_code_and_scan_and_members_may_fetch_it(app, client, db, registered):
    admin = make_user("admin")
    db.session.commit()
    log_in(client, admin)
    page = client.get(f"/admin/organisations/{registered.id}").get_data(as_text=True)
    url = f"/organisation/{registered.id}/document"
    assert VALID_CODE in page
    assert f'<img src="{url}"' in page  # an image is previewed inline
    status, data, headers = fetch(client, url)
    assert (status, data) == (200, PNG_BYTES)
    assert "no-store" in headers["Cache-Control"]
    member = registered.members[0]
    log_in(client, member)
    assert fetch(client, url)[:2] == (200, PNG_BYTES)
    assert f'<img src="{url}"' in client.get("/organisation/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["anon", "other_member", "other_bank"])
def test_scan_is_never_public(app, client, db, registered, who):
    url = f"/organisation/{registered.id}/document"
    if who == "anon":
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
        return
    log_in(client, make_user("bank" if who == "other_bank" else "enterprise"))
    _db.session.commit()
    assert fetch(client, url)[0] == 404


def test_pdf_scan_is_a_link_not_an_image(client, db):
    client.post("/auth/register", data=form(document=(io.BytesIO(PDF_BYTES), "执照.pdf")))
    org = db.session.scalar(sa.select(Organisation))
    log_in(client, make_user("admin"))
    _db.session.commit()
    page = client.get(f"/admin/organisations/{org.id}").get_data(as_text=True)
    assert f'href="/organisation/{org.id}/document"' in page and "执照.pdf" in page
    assert f'<img src="/organisation/{org.id}/document"' not in page


# --- verification needs the evidence --------------------------------------------------------


@pytest.fixture
def legacy_org(db):
    """A pending enterprise from before scans were asked for: a code, no scan."""
    member = make_user(
        "enterprise",
        organisation=OrganisationFactory(pending=True, evidence=False),
        email="legacy@example.com",
    )
    db.session.commit()
    return member.organisation


def test_admin_is_not_offered_verify_without_evidence(client, db, legacy_org):
    log_in(client, make_user("admin"))
    _db.session.commit()
    page = client.get(f"/admin/organisations/{legacy_org.id}").get_data(as_text=True)
    assert "通过认证" not in page
    assert "还没有上传营业执照或事业单位法人证书扫描件。" in page
    assert "驳回" in page  # the admin can ask for it with a reason
    response = client.post(f"/admin/organisations/{legacy_org.id}/verify")
    assert response.status_code == 409
    _db.session.expire_all()
    assert _db.session.get(Organisation, legacy_org.id).status == OrgStatus.PENDING


def test_member_uploads_the_scan_and_then_admin_may_verify(app, client, db, legacy_org):
    admin = make_user("admin")
    db.session.commit()
    log_in(client, admin)
    client.post(
        f"/admin/organisations/{legacy_org.id}/reject", data={"reason": "请上传营业执照扫描件"}
    )
    member = legacy_org.members[0]
    log_in(client, member)
    page = client.get("/organisation/").get_data(as_text=True)
    assert "还没有上传扫描件" in page and "上传扫描件" in page
    bad = client.post(
        "/organisation/document", data={"document": (io.BytesIO(b"MZ\x90\x00"), "x.pdf")}
    )
    assert bad.status_code == 400
    assert field_errors(bad.get_data(as_text=True), "document")
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(OrganisationDocument)) == 0
    ok = client.post(
        "/organisation/document", data={"document": (io.BytesIO(PDF_BYTES), "执照.pdf")}
    )
    assert ok.status_code == 302
    _db.session.expire_all()
    org = _db.session.get(Organisation, legacy_org.id)
    assert org.document is not None and org.status == OrgStatus.PENDING  # back in the queue

    # Replacing the scan keeps one row and removes the old file after the commit.
    old_path = files.path_of(org.document)
    assert old_path.is_file()
    client.post("/organisation/document", data={"document": (io.BytesIO(PNG_BYTES), "新.png")})
    _db.session.expire_all()
    org = _db.session.get(Organisation, legacy_org.id)
    assert org.document.original_name == "新.png" and not old_path.exists()

    log_in(client, admin)
    page = client.get(f"/admin/organisations/{org.id}").get_data(as_text=True)
    assert "通过认证" in page
    assert client.post(f"/admin/organisations/{org.id}/verify").status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Organisation, org.id).status == OrgStatus.VERIFIED


def test_admin_cannot_upload_for_an_organisation(client, db):
    log_in(client, make_user("admin"))
    _db.session.commit()
    response = client.post(
        "/organisation/document", data={"document": (io.BytesIO(PDF_BYTES), "x.pdf")}
    )
    assert response.status_code == 403
