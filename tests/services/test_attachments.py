"""Attachments: type by content, size limit, generated names outside static/, the access check."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from matchmaker.extensions import db
from matchmaker.models import Attachment
from matchmaker.services.errors import InvalidTransition, NotFound, ValidationFailed
from matchmaker.services.market import attachments, listings
from matchmaker.services.platform import files, uow
from tests.factories import make_user
from tests.services.test_listings import bring_to, listed, result_data

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00"
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ANONYMOUS = AnonymousUserMixin()


def files_in_storage() -> set[str]:
    return {p.name for p in files.storage_dir().iterdir()}


def add(owner, listing, content: bytes, name: str = "报告.pdf") -> Attachment:
    return attachments.add_attachment(
        actor=owner, listing=listing, stream=io.BytesIO(content), filename=name
    )


def add_committed(owner, listing, content: bytes = PDF, name: str = "报告.pdf") -> Attachment:
    item = add(owner, listing, content, name)
    db.session.commit()
    return item


@pytest.fixture
def draft(fields):
    owner = make_user("university")
    listing = listings.create_listing(actor=owner, data=result_data(fields))
    db.session.commit()
    return owner, listing


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
    ],
)
def test_allowed_types_are_recognised_by_content(draft, content, content_type):
    """SECURITY.md row 27 (v5.0.0-5.2.2, 5.1.1)."""
    owner, listing = draft
    item = add_committed(owner, listing, content, name="whatever.bin")
    assert item.content_type == content_type
    assert item.size == len(content)
    assert len(item.sha256) == 64
    path = files.storage_dir() / item.stored_name
    assert path.read_bytes() == content
    assert not (files.storage_dir() / f"{item.stored_name}.part").exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (HTML, "报告.pdf", "PDF"),
        (EXE, "setup.pdf", "PDF"),
        (b"RIFF\x1a\x00\x00\x00WAVEfmt ", "sound.webp", "PDF"),  # RIFF but not WebP
        (b"", "empty.pdf", "空"),
        (b"not a pdf %PDF-1.4", "late-magic.pdf", "PDF"),
    ],
)
def test_refused_uploads_leave_no_file_and_no_row(draft, content, name, message):
    """SECURITY.md row 27 (v5.0.0-5.2.2)."""
    owner, listing = draft
    before = files_in_storage()
    with pytest.raises(ValidationFailed) as raised:
        add(owner, listing, content, name)
    assert message in raised.value.errors["file"][0]
    db.session.rollback()
    assert files_in_storage() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_oversize_upload_is_refused(app, draft):
    """SECURITY.md row 26 (v5.0.0-5.2.1)."""
    owner, listing = draft
    before = files_in_storage()
    saved = app.config["ATTACHMENT_MAX_BYTES"]
    app.config["ATTACHMENT_MAX_BYTES"] = 200 * 1024
    try:
        with pytest.raises(ValidationFailed) as raised:
            add(owner, listing, PDF + b"0" * (200 * 1024), "big.pdf")
        assert "超过" in raised.value.errors["file"][0]
        db.session.rollback()
        exact = add_committed(owner, listing, PDF + b"0" * (200 * 1024 - len(PDF)), "exact.pdf")
        assert exact.size == 200 * 1024  # the limit itself is allowed
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = saved
    assert files_in_storage() - before == {exact.stored_name}


def test_path_traversal_name_is_only_metadata(app, draft):
    """SECURITY.md row 28 (v5.0.0-5.3.1, 5.3.2)."""
    owner, listing = draft
    item = add_committed(owner, listing, PDF, "../../app.py")
    assert item.original_name == "app.py"
    assert re.fullmatch(r"[0-9a-f]{32}", item.stored_name)
    path = (files.storage_dir() / item.stored_name).resolve()
    assert path.is_file()
    assert path.parent == (Path(app.instance_path) / "attachments").resolve()
    assert "static" not in path.parts
    assert not (Path(app.root_path).parent / "app.py").exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("检测报告.pdf", "检测报告.pdf"),
        ("C:\\Users\\a\\专利证书.png", "专利证书.png"),
        ("..\\..\\evil.pdf", "evil.pdf"),
        ("/etc/passwd", "passwd"),
        (".hidden.pdf", "hidden.pdf"),
        ("bad\x00\nname.pdf", "badname.pdf"),
        ("", "attachment"),
        ("../", "attachment"),
        ("长" * 300 + ".pdf", "长" * 200),
    ],
)
def test_clean_name(name, expected):
    assert files.clean_name(name) == expected


def test_limit_per_listing(draft):
    owner, listing = draft
    for n in range(attachments.MAX_PER_LISTING):
        add(owner, listing, PDF, f"{n}.pdf")
    with pytest.raises(ValidationFailed):
        add(owner, listing, PDF, "one-too-many.pdf")


def test_other_organisation_cannot_attach(draft):
    _owner, listing = draft
    before = files_in_storage()
    with pytest.raises(NotFound):
        add(make_user("university"), listing, PDF)
    assert files_in_storage() == before


def test_no_attachments_on_a_transferred_result(fields):
    owner, admin = make_user("university"), make_user("admin")
    listing = bring_to("result", "transferred", fields, owner, admin)
    before = files_in_storage()
    with pytest.raises(InvalidTransition):
        add(owner, listing, PDF)
    assert files_in_storage() == before


def test_audit_of_add_and_remove(draft):
    from matchmaker.models import AuditLog

    owner, listing = draft
    item = add_committed(owner, listing)
    path = files.storage_dir() / item.stored_name
    attachments.remove_attachment(actor=owner, attachment=item)
    db.session.commit()
    assert not path.exists()
    actions = list(
        db.session.scalars(
            sa.select(AuditLog.action)
            .where(AuditLog.object_id == str(listing.id))
            .order_by(AuditLog.id)
        )
    )
    assert actions[-2:] == ["result.attachment_add", "result.attachment_remove"]


def test_discard_removes_the_pending_file(draft):
    owner, listing = draft
    before = files_in_storage()
    item = add(owner, listing, PDF)
    assert files_in_storage() - before == {f"{item.stored_name}.part"}
    db.session.rollback()
    assert files_in_storage() == before


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) or 0


def test_a_unit_of_work_failing_after_the_upload_leaves_no_file_and_no_row(draft):
    owner, listing = draft
    before = files_in_storage()
    pending: list[str] = []

    def upload_then_fail() -> None:
        with uow.scope():
            pending.append(add(owner, listing, PDF).stored_name)
            assert files_in_storage() - before == {f"{pending[0]}.part"}
            raise RuntimeError("a later step failed")

    with pytest.raises(RuntimeError):
        upload_then_fail()
    assert files_in_storage() == before
    assert _count() == 0


def test_a_committed_unit_of_work_keeps_the_final_file(draft):
    owner, listing = draft
    before = files_in_storage()
    with uow.scope():
        name = add(owner, listing, PDF).stored_name
    assert files_in_storage() - before == {name}
    assert _count() == 1


def test_a_removed_file_goes_only_when_the_removal_commits(draft):
    owner, listing = draft
    item = add_committed(owner, listing)
    path = files.path_of(item)
    attachments.remove_attachment(actor=owner, attachment=item)
    db.session.rollback()
    assert path.is_file() and _count() == 1
    with uow.scope():
        attachments.remove_attachment(actor=owner, attachment=db.session.get(Attachment, item.id))
        assert path.is_file()
    assert not path.exists() and _count() == 0


# --- who may download -------------------------------------------------------------------------
def test_draft_attachment_only_for_owners_and_reviewers(draft):
    owner, listing = draft
    item = add_committed(owner, listing)
    for user in (ANONYMOUS, make_user("university"), make_user("enterprise"), make_user("bank")):
        with pytest.raises(NotFound):
            attachments.downloadable(user=user, attachment_id=item.id)
    assert attachments.downloadable(user=owner, attachment_id=item.id)[0] is item
    assert attachments.downloadable(user=make_user("admin"), attachment_id=item.id)[0] is item
    with pytest.raises(NotFound):
        attachments.downloadable(user=owner, attachment_id=item.id + 1000)


def test_attachment_added_after_approval_waits_for_review(fields):
    owner, admin = make_user("university"), make_user("admin")
    listing = listings.create_listing(actor=owner, data=result_data(fields))
    first = add_committed(owner, listing, PDF, "第一份.pdf")
    listings.submit_listing(actor=owner, listing=listing)
    listings.approve_listing(actor=admin, listing=listing)
    db.session.commit()
    assert attachments.downloadable(user=ANONYMOUS, attachment_id=first.id)[0] is first

    second = add_committed(owner, listing, PNG, "第二份.png")
    assert listing.status == "pending_review"
    assert attachments.downloadable(user=ANONYMOUS, attachment_id=first.id)[0] is first
    with pytest.raises(NotFound):
        attachments.downloadable(user=ANONYMOUS, attachment_id=second.id)
    assert attachments.downloadable(user=owner, attachment_id=second.id)[0] is second

    listings.approve_listing(actor=admin, listing=listing)
    db.session.commit()
    assert attachments.downloadable(user=ANONYMOUS, attachment_id=second.id)[0] is second


def test_withdrawn_listing_attachments_are_private_again(fields):
    owner, admin = make_user("university"), make_user("admin")
    listing = listings.create_listing(actor=owner, data=result_data(fields))
    item = add_committed(owner, listing)
    listings.submit_listing(actor=owner, listing=listing)
    listings.approve_listing(actor=admin, listing=listing)
    listings.withdraw_listing(actor=owner, listing=listing)
    db.session.commit()
    with pytest.raises(NotFound):
        attachments.downloadable(user=ANONYMOUS, attachment_id=item.id)


def test_missing_file_is_not_found(draft):
    owner, listing = draft
    item = add_committed(owner, listing)
    (files.storage_dir() / item.stored_name).unlink()
    with pytest.raises(NotFound):
        attachments.downloadable(user=owner, attachment_id=item.id)


def test_need_attachments(fields):
    owner, admin = make_user("enterprise"), make_user("admin")
    need = listed("need", fields, owner, admin)
    item = add_committed(owner, need, JPEG, "现场照片.jpg")
    assert item.need_id == need.id and item.result_id is None
    assert need.status == "pending_review"
