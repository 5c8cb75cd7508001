"""揭榜申请 attachments: upload to a draft, list, download by the applicant and owner only."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Application, ApplicationAttachment, AuditLog
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import applications
from matchmaker.services.platform.files import storage_dir
from tests.conftest import log_in
from tests.services.challenge_helpers import challenge_world
from tests.web.test_challenges_web import ANSWER

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def world(fields):
    return challenge_world(fields)


def _files() -> set[str]:
    return {p.name for p in storage_dir().iterdir()}


def _draft(client, w) -> Application:
    log_in(client, w["uni_a"])
    url = f"/challenges/{w['challenge'].id}/apply"
    assert client.post(url, data={**ANSWER, "action": "save"}).status_code == 302
    application = db.session.scalar(sa.select(Application))
    assert application.status == "draft"
    return application


def _upload(client, w, content: bytes, name: str):
    return client.post(
        f"/challenges/{w['challenge'].id}/apply/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_pdf_on_a_draft_lists_and_downloads_for_applicant_and_owner(client, world):
    w = world
    application = _draft(client, w)
    response = _upload(client, w, PDF, "方案说明.pdf")
    assert response.status_code == 302
    attachment = db.session.scalar(sa.select(ApplicationAttachment))
    assert attachment.application_id == application.id
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert attachment.stored_name in _files()
    assert f"{attachment.stored_name}.part" not in _files()
    action = db.session.scalar(
        sa.select(AuditLog.action).where(AuditLog.action == "application.attachment_add")
    )
    assert action == "application.attachment_add"

    page = client.get(f"/challenges/{w['challenge'].id}/apply").get_data(as_text=True)
    url = f"/applications/{application.id}/attachments/{attachment.id}"
    assert "方案说明.pdf" in page and url in page
    download = client.get(url)
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    download.close()

    # the owner sees nothing of a draft, then the file once the application is submitted
    log_in(client, w["owner"])
    assert client.get(url).status_code == 404
    applications.submit_application(actor=w["uni_a"], application=application)
    db.session.commit()
    review = client.get(f"/my/applications/{application.id}/review").get_data(as_text=True)
    assert "方案说明.pdf" in review and url in review
    download = client.get(url)
    assert download.status_code == 200 and download.data == PDF
    download.close()

    # another organisation: 404 (and a wrong application id in the path too)
    log_in(client, w["uni_b"])
    assert client.get(url).status_code == 404
    log_in(client, w["owner"])
    wrong = f"/applications/{application.id + 1}/attachments/{attachment.id}"
    assert client.get(wrong).status_code == 404


def test_applicant_deletes_an_attachment(client, world):
    w = world
    _draft(client, w)
    _upload(client, w, PDF, "a.pdf")
    attachment = db.session.scalar(sa.select(ApplicationAttachment))
    stored = attachment.stored_name
    url = f"/challenges/{w['challenge'].id}/apply/attachments/{attachment.id}/delete"
    log_in(client, w["uni_b"])
    assert client.post(url).status_code == 404
    log_in(client, w["uni_a"])
    assert client.post(url).status_code == 302
    assert db.session.scalar(sa.select(ApplicationAttachment)) is None
    assert stored not in _files()


def test_html_renamed_pdf_is_refused_and_leaves_no_file(client, world):
    """SECURITY.md row 27 (v5.0.0-5.2.2)."""
    w = world
    _draft(client, w)
    before = _files()
    response = _upload(client, w, b"<html><script>alert(1)</script></html>", "report.pdf")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "只接受 PDF" in page
    assert db.session.scalar(sa.select(ApplicationAttachment)) is None
    assert _files() == before


def test_upload_needs_a_draft_first(client, world):
    w = world
    log_in(client, w["uni_a"])
    before = _files()
    assert _upload(client, w, PDF, "a.pdf").status_code == 302
    assert db.session.scalar(sa.select(ApplicationAttachment)) is None
    assert _files() == before


def test_at_most_five_attachments(client, world):
    w = world
    _draft(client, w)
    for i in range(5):
        assert _upload(client, w, PDF, f"{i}.pdf").status_code == 302
    before = _files()
    response = _upload(client, w, PDF, "6.pdf")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "每份申请最多 5 个附件。" in page
    assert len(db.session.scalars(sa.select(ApplicationAttachment)).all()) == 5
    assert _files() == before


def test_uploads_are_refused_after_the_deadline(client, world):
    w = world
    _draft(client, w)
    w["challenge"].deadline_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    before = _files()
    response = _upload(client, w, PDF, "late.pdf")
    # An illegal step: 409 with the proposal page and the reason (as every refusal answers).
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "榜单已截止，不能再修改附件。" in page and ANSWER["approach"] in page
    assert db.session.scalar(sa.select(ApplicationAttachment)) is None
    assert _files() == before
