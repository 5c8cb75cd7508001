"""Office files through the web: a .docx on a listing and on an application is stored with its
OOXML type and downloads as an attachment (never inline, nosniff); a macro one is refused with
its reason; the upload forms say which types they take."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ApplicationAttachment, Attachment
from tests.conftest import log_in
from tests.services.test_office_files import ole, ooxml, xlsx
from tests.web.test_application_attachments import _draft, _upload, world  # noqa: F401
from tests.web.test_listings_web import setup_listing, upload

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _assert_attachment(response, content: bytes, content_type: str, ext: str) -> None:
    body = response.get_data()
    response.close()
    assert response.status_code == 200
    assert body == content
    assert response.mimetype == content_type
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "inline" not in disposition
    assert ext in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_docx_on_a_listing_is_stored_and_downloads_as_an_attachment(client, fields):
    """SECURITY.md row 28 (v5.0.0-5.4.1)."""
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    page = client.get(f"/my/results/{listing.id}").get_data(as_text=True)
    assert 'accept=".pdf,.png,.jpg,.jpeg,.gif,.webp,.docx,.doc,.xlsx,.pptx"' in page
    assert "Word（.docx、.doc）" in page

    content = ooxml("docx")
    response = upload(client, "result", listing.id, content, "技术方案.docx", follow_redirects=True)
    assert "附件已上传" in response.get_data(as_text=True)
    item = db.session.scalars(sa.select(Attachment)).one()
    assert (item.original_name, item.content_type) == ("技术方案.docx", DOCX)
    _assert_attachment(client.get(f"/attachments/{item.id}"), content, DOCX, ".docx")


def test_the_content_decides_and_the_download_gets_the_right_extension(client, fields):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    content = xlsx()
    upload(client, "result", listing.id, content, "数据", follow_redirects=True)
    item = db.session.scalars(sa.select(Attachment)).one()
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert item.content_type == sheet
    _assert_attachment(client.get(f"/attachments/{item.id}"), content, sheet, ".xlsx")


def test_macro_and_unknown_office_files_are_refused_with_their_reason(client, fields):
    """SECURITY.md row 27 (v5.0.0-5.2.2)."""
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    macro = upload(client, "result", listing.id, ooxml("docm"), "方案.docx", follow_redirects=True)
    assert "不接受含宏的 Office 文件" in macro.get_data(as_text=True)
    macro_doc = upload(
        client,
        "result",
        listing.id,
        ole(("WordDocument", 2), ("Macros", 1)),
        "申报书.doc",
        follow_redirects=True,
    )
    assert "不接受含宏的 Office 文件" in macro_doc.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_a_doc_on_an_application_downloads_as_an_attachment(client, world):  # noqa: F811
    application = _draft(client, world)
    content = ole(("WordDocument", 2), ("1Table", 2))
    page = client.get(f"/challenges/{world['challenge'].id}/apply").get_data(as_text=True)
    assert ".docx,.doc,.xlsx,.pptx" in page
    assert _upload(client, world, content, "申报书.doc").status_code == 302
    attachment = db.session.scalar(sa.select(ApplicationAttachment))
    assert attachment.content_type == "application/msword"
    response = client.get(f"/applications/{application.id}/attachments/{attachment.id}")
    _assert_attachment(response, content, "application/msword", ".doc")
