"""Attachments of 揭榜申请: added and removed while the window is open, downloaded by who may see.

Files are staged by services/platform/files.py: permanent when the unit of work commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Application, ApplicationAttachment, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import can_manage_application, can_view_application
from matchmaker.services.challenges.challenge_states import APPLICATION
from matchmaker.services.errors import InvalidTransition, NotFound, ValidationFailed
from matchmaker.services.platform import files
from matchmaker.services.platform.audit import record_audit

#: Application states in which the applicant may change its attachments.
ATTACHABLE = APPLICATION.sources("attach")
MAX_ATTACHMENTS = 5


def _check_attachable(actor: User, application: Application, now: datetime | None) -> None:
    if not can_manage_application(actor, application):
        raise NotFound
    if application.status not in ATTACHABLE:
        raise InvalidTransition(_("申请当前状态下不能修改附件。"))
    if not application.challenge.is_accepting(now or utcnow()):
        raise InvalidTransition(_("榜单已截止，不能再修改附件。"))


def add_application_attachment(
    *,
    actor: User,
    application: Application,
    stream: BinaryIO,
    filename: str,
    now: datetime | None = None,
) -> ApplicationAttachment:
    """Attach a PDF or image (checked by content) while the application window is open.

    The file becomes permanent when the unit of work commits (services/platform/files.py).
    """
    _check_attachable(actor, application, now)
    if len(application.attachments) >= MAX_ATTACHMENTS:
        raise ValidationFailed({"file": _("每份申请最多 %(n)d 个附件。", n=MAX_ATTACHMENTS)})
    upload = files.store(stream)
    attachment = ApplicationAttachment(
        application=application, **upload.columns(filename=filename, uploaded_by_id=actor.id)
    )
    db.session.add(attachment)
    db.session.flush()
    record_audit(
        actor=actor,
        action="application.attachment_add",
        object_type="application",
        object_id=application.id,
        after={
            "attachment_id": attachment.id,
            "name": attachment.original_name,
            "size": upload.size,
        },
    )
    return attachment


def remove_application_attachment(
    *, actor: User, attachment: ApplicationAttachment, now: datetime | None = None
) -> None:
    """Delete an attachment (same conditions as adding one); its file goes after the commit."""
    application = attachment.application
    _check_attachable(actor, application, now)
    record_audit(
        actor=actor,
        action="application.attachment_remove",
        object_type="application",
        object_id=application.id,
        before={"attachment_id": attachment.id, "name": attachment.original_name},
    )
    db.session.delete(attachment)
    db.session.flush()
    files.delete_after_commit(attachment)


def downloadable_attachment(
    *, user: object, application_id: int, attachment_id: int
) -> tuple[ApplicationAttachment, files.StoredBlob]:
    """The attachment and its file if the user may see the application, else NotFound.

    The applicant organisation always; once submitted also the challenge owner, the panel
    and admins (can_view_application).
    """
    attachment = db.session.get(ApplicationAttachment, attachment_id)
    if attachment is None or attachment.application_id != application_id:
        raise NotFound
    if not can_view_application(user, attachment.application):
        raise NotFound
    blob = files.blob_of(attachment)
    if not blob.exists():
        raise NotFound
    return attachment, blob
