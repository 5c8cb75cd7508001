"""Listing attachments: PDF and images only, stored through services/platform/files.py."""

from __future__ import annotations

from typing import BinaryIO

from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Attachment, Listing, Result, User
from matchmaker.permissions import can_view_listing
from matchmaker.services.errors import InvalidTransition, NotFound, ValidationFailed
from matchmaker.services.market.listings import EDITABLE, _check_owner, send_back_to_review
from matchmaker.services.platform import files
from matchmaker.services.platform.audit import record_audit

MAX_PER_LISTING = 10


def add_attachment(*, actor: User, listing: Listing, stream: BinaryIO, filename: str) -> Attachment:
    """Attach an upload; its file becomes permanent when the unit of work commits."""
    _check_owner(actor, listing)
    if listing.status not in EDITABLE[listing.KIND]:
        raise InvalidTransition(_("当前状态下不能修改附件。"))
    if len(listing.attachments) >= MAX_PER_LISTING:
        raise ValidationFailed({"file": _("每条内容最多 %(n)d 个附件。", n=MAX_PER_LISTING)})
    upload = files.store(stream)
    attachment = Attachment(**upload.columns(filename=filename, uploaded_by_id=actor.id))
    if isinstance(listing, Result):
        attachment.result = listing
    else:
        attachment.need = listing
    db.session.add(attachment)
    db.session.flush()
    record_audit(
        actor=actor,
        action=f"{listing.KIND}.attachment_add",
        object_type=listing.KIND,
        object_id=listing.id,
        after={
            "attachment_id": attachment.id,
            "name": attachment.original_name,
            "size": upload.size,
        },
    )
    send_back_to_review(listing)
    return attachment


def remove_attachment(*, actor: User, attachment: Attachment) -> None:
    """Delete an attachment; its file goes once the deletion is committed."""
    listing = attachment.result or attachment.need
    assert listing is not None
    _check_owner(actor, listing)
    if listing.status not in EDITABLE[listing.KIND]:
        raise InvalidTransition(_("当前状态下不能修改附件。"))
    record_audit(
        actor=actor,
        action=f"{listing.KIND}.attachment_remove",
        object_type=listing.KIND,
        object_id=listing.id,
        before={"attachment_id": attachment.id, "name": attachment.original_name},
    )
    db.session.delete(attachment)
    db.session.flush()
    files.delete_after_commit(attachment)


def downloadable(*, user: object, attachment_id: int) -> tuple[Attachment, files.StoredBlob]:
    """The attachment and its file if the user may download it, else NotFound.

    Anyone may download what the approved public version lists; owners and reviewers may
    download everything of the listing (the same check as viewing its working copy).
    """
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound
    listing = attachment.result or attachment.need
    assert listing is not None
    pub = listing.publication
    public = pub is not None and attachment.id in (pub.data or {}).get("attachment_ids", [])
    if not public and not can_view_listing(user, listing):
        raise NotFound
    blob = files.blob_of(attachment)
    if not blob.exists():
        raise NotFound
    return attachment, blob
