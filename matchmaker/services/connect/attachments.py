"""Files sent with an enquiry or a message: the same stored-file checks as every upload, and
downloads for the two organisations only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO

from matchmaker.extensions import db
from matchmaker.models import Enquiry, EnquiryAttachment, EnquiryMessage, User
from matchmaker.models.base import utcnow
from matchmaker.services.connect.enquiry_states import is_party
from matchmaker.services.errors import NotFound
from matchmaker.services.platform import files

#: An uploaded file: (stream, filename as the browser sent it).
Upload = tuple[BinaryIO, str]
Staged = tuple[files.StoredUpload, str]


def store_upload(upload: Upload | None) -> Staged | None:
    """Check and stage an upload (PDF or image, by content) before anything else is written.

    A wrong type or size raises ValidationFailed {"file": ...}; the pending file goes away when
    the unit of work rolls back, and becomes permanent when it commits.
    """
    if upload is None:
        return None
    stream, filename = upload
    return files.store(stream), filename


def attach(
    enquiry: Enquiry, staged: Staged, *, actor: User, message: EnquiryMessage | None = None
) -> EnquiryAttachment:
    """The attachment row of a staged upload, on an enquiry or one of its messages."""
    upload, filename = staged
    attachment = EnquiryAttachment(
        enquiry_id=enquiry.id,
        message_id=message.id if message is not None else None,
        **upload.columns(filename=filename, uploaded_by_id=actor.id),
    )
    db.session.add(attachment)
    db.session.flush()
    db.session.expire(enquiry, ["attachments"])
    if message is not None:
        db.session.expire(message, ["attachments"])
    return attachment


def add_message(
    enquiry: Enquiry,
    *,
    actor: User,
    author_org_id: int,
    body: str,
    staged: Staged | None,
    now: datetime | None = None,
) -> EnquiryMessage:
    """A message of the thread, with its staged file attached (the checks are the caller's)."""
    message = EnquiryMessage(
        enquiry_id=enquiry.id,
        author_id=actor.id,
        author_org_id=author_org_id,
        body=body,
        created_at=now or utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    if staged is not None:
        attach(enquiry, staged, actor=actor, message=message)
    db.session.expire(enquiry, ["messages"])
    return message


def downloadable_attachment(
    *, user: Any, enquiry_id: int, attachment_id: int
) -> tuple[EnquiryAttachment, files.StoredBlob]:
    """The attachment and its file for a member of one of the two organisations, else NotFound
    (a third organisation, a bank and admins alike)."""
    attachment = (
        db.session.get(EnquiryAttachment, attachment_id) if 0 < attachment_id < 2**31 else None
    )
    if attachment is None or attachment.enquiry_id != enquiry_id:
        raise NotFound
    if not is_party(user, attachment.enquiry):
        raise NotFound
    blob = files.blob_of(attachment)
    if not blob.exists():
        raise NotFound
    return attachment, blob
