"""Organisation evidence: the 营业执照 / 事业单位法人证书 scan an organisation registers with.

The scan is a PDF, JPEG or PNG (recognised by its content), stored like listing attachments
(services/platform/files.py), one current scan per organisation. It is never public: admins
see it to verify the organisation, its own members to check or replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import Organisation, OrganisationDocument, OrgKind, User
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.accounts.organisations import resubmit_after_new_evidence
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.platform import files
from matchmaker.services.platform.audit import record_audit

#: What a scan may be, by content (GIF, WebP and Office files are not scans of a licence).
ALLOWED_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
#: The file input's `accept=` hint (the browser's filter only: the content decides).
ACCEPT = ".pdf,.jpg,.jpeg,.png"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: Kinds whose evidence is a business licence; the others hold a public institution certificate.
LICENCE_KINDS = frozenset({OrgKind.ENTERPRISE, OrgKind.BANK})


@dataclass(frozen=True)
class DocumentUpload:
    """An uploaded scan: its (seekable) stream and the name it had on the user's computer."""

    stream: IO[bytes]
    filename: str


def document_label(kind: Any) -> str:
    """What the evidence of this kind of organisation is called."""
    if kind in LICENCE_KINDS:
        return str(_l("营业执照"))
    return str(_l("事业单位法人证书"))


def max_bytes() -> int:
    """The size limit of a scan (ORG_DOCUMENT_MAX_BYTES, default 5 MB)."""
    return int(current_app.config.get("ORG_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def document_problem(upload: DocumentUpload | None) -> str | None:
    """Why a scan is refused (missing, empty, too large, not a PDF/JPEG/PNG), without storing it."""
    if upload is None:
        return _("请上传营业执照或事业单位法人证书的扫描件。")
    stream = upload.stream
    start = stream.tell()
    head = stream.read(16)
    stream.seek(0, 2)
    size = stream.tell() - start
    stream.seek(start)
    if size == 0:
        return _("文件是空的。")
    if size > max_bytes():
        return _(
            "扫描件不能超过 %(mb)s MB。",
            mb=f"{max_bytes() / (1024 * 1024):.1f}".rstrip("0").rstrip("."),
        )
    kind = files.sniff(head)
    if kind is None or kind[0] not in ALLOWED_TYPES:
        return _("扫描件只能是 PDF、JPEG 或 PNG 文件（按文件内容识别）。")
    return None


def attach_document(
    *, actor: User, organisation: Organisation, upload: DocumentUpload | None
) -> OrganisationDocument:
    """Store a scan as the organisation's evidence, replacing the earlier one.

    The file becomes permanent when the unit of work commits; a replaced scan's file is removed
    once the replacement is stored. Raises ValidationFailed({"document": ...}) on a bad file.
    """
    if actor.is_admin or actor.organisation_id != organisation.id or not actor.is_active:
        raise PermissionDenied
    problem = document_problem(upload)
    if problem:
        raise ValidationFailed({"document": [problem]})
    assert upload is not None
    try:
        stored = files.store(cast(BinaryIO, upload.stream))  # checks size, content, malware again
    except ValidationFailed as refused:  # e.g. the malware scan's refusal: next to the field
        raise ValidationFailed({"document": refused.errors.get("file", [])}) from refused
    if stored.content_type not in ALLOWED_TYPES:
        raise ValidationFailed(
            {"document": [_("扫描件只能是 PDF、JPEG 或 PNG 文件（按文件内容识别）。")]}
        )
    old = organisation.document
    before = None
    if old is not None:
        before = {"document_id": old.id, "name": old.original_name}
        files.delete_after_commit(old)
        organisation.document = None
        db.session.flush()  # the old row goes before the new one takes its organisation_id
    document = OrganisationDocument(
        **stored.columns(filename=upload.filename, uploaded_by_id=actor.id),
        organisation=organisation,
    )
    db.session.add(document)
    db.session.flush()
    record_audit(
        actor=actor,
        action="organisation.document_upload",
        object_type="organisation",
        object_id=organisation.id,
        before=before,
        after={"document_id": document.id, "name": document.original_name, "size": stored.size},
    )
    return document


def upload_document(
    *, actor: User, organisation: Organisation, upload: DocumentUpload | None
) -> OrganisationDocument:
    """A member uploads or replaces the scan; a rejected organisation is then reviewed again."""
    document = attach_document(actor=actor, organisation=organisation, upload=upload)
    resubmit_after_new_evidence(actor=actor, organisation=organisation)
    return document


def can_view_document(user: Any, organisation: Organisation) -> bool:
    """Admins who verify organisations, and the organisation's own active members."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return has_permission(user, Permission.ORG_VERIFY) or user.organisation_id == organisation.id


def downloadable(
    *, user: Any, organisation_id: int
) -> tuple[OrganisationDocument, files.StoredBlob]:
    """The organisation's scan and its file if the user may open it, else NotFound."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not can_view_document(user, organisation):
        raise NotFound
    document = organisation.document
    if document is None:
        raise NotFound
    blob = files.blob_of(document)
    if not blob.exists():
        raise NotFound
    return document, blob
