"""Listing attachments: PDF and images only, checked by content, stored outside static/."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Attachment, Listing, Result, User
from matchmaker.permissions import can_view_listing
from matchmaker.services.errors import InvalidTransition, NotFound, ValidationFailed
from matchmaker.services.market.listings import EDITABLE, _check_owner, send_back_to_review
from matchmaker.services.platform.audit import record_audit

#: Allowed types, recognised by their first bytes (the name and the browser's claim are ignored).
SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"GIF87a", 0, "image/gif", ".gif"),
    (b"GIF89a", 0, "image/gif", ".gif"),
    (b"WEBP", 8, "image/webp", ".webp"),
)
MAX_PER_LISTING = 10
CHUNK = 64 * 1024


def storage_dir() -> Path:
    """Where attachment files live: the instance folder, never under static/."""
    path = Path(
        current_app.config.get("ATTACHMENT_DIR") or Path(current_app.instance_path) / "attachments"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a file from its first bytes, or None if not allowed."""
    for magic, offset, content_type, ext in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and head[:4] != b"RIFF":
                continue
            return content_type, ext
    return None


def clean_name(name: str) -> str:
    """A display name safe to keep as metadata: no path, no control characters, bounded."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".")
    return (name or "attachment")[:200]


@dataclass(frozen=True)
class StoredUpload:
    """A checked upload written to a pending `.part` file (see finalize_file / discard_file)."""

    stored_name: str
    content_type: str
    size: int
    sha256: str


def store_upload(stream: BinaryIO) -> StoredUpload:
    """Write an upload to a pending file, checking its size and type by content.

    Shared by listing attachments and milestone evidence; raises ValidationFailed (and leaves
    no file behind) when the file is empty, too large or not a PDF or image.
    """
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    stored = uuid.uuid4().hex
    part = storage_dir() / f"{stored}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with part.open("wb") as out:
            while chunk := stream.read(CHUNK):
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                size += len(chunk)
                if size > limit:
                    raise ValidationFailed(
                        {"file": _("文件超过 %(mb)d MB 的限制。", mb=limit // (1024 * 1024))}
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed({"file": _("文件是空的。")})
        kind = sniff(head)
        if kind is None:
            raise ValidationFailed(
                {"file": _("只接受 PDF 和 PNG、JPEG、GIF、WebP 图片（按文件内容识别）。")}
            )
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return StoredUpload(
        stored_name=stored, content_type=kind[0], size=size, sha256=digest.hexdigest()
    )


def finalize_file(stored_name: str) -> None:
    """After the commit: make a pending stored file permanent."""
    directory = storage_dir()
    os.replace(directory / f"{stored_name}.part", directory / stored_name)


def discard_file(stored_name: str) -> None:
    """After a failed commit: remove a pending stored file."""
    (storage_dir() / f"{stored_name}.part").unlink(missing_ok=True)


def add_attachment(*, actor: User, listing: Listing, stream: BinaryIO, filename: str) -> Attachment:
    """Store an upload as a pending file; the caller commits, then calls finalize()."""
    _check_owner(actor, listing)
    if listing.status not in EDITABLE[listing.KIND]:
        raise InvalidTransition(_("当前状态下不能修改附件。"))
    if len(listing.attachments) >= MAX_PER_LISTING:
        raise ValidationFailed({"file": _("每条内容最多 %(n)d 个附件。", n=MAX_PER_LISTING)})
    upload = store_upload(stream)
    attachment = Attachment(
        original_name=clean_name(filename),
        stored_name=upload.stored_name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        uploaded_by_id=actor.id,
    )
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


def finalize(attachment: Attachment) -> None:
    """After the commit: make the stored file permanent."""
    finalize_file(attachment.stored_name)


def discard(attachment: Attachment) -> None:
    """After a failed commit: remove the pending file."""
    discard_file(attachment.stored_name)


def remove_attachment(*, actor: User, attachment: Attachment) -> None:
    """Delete an attachment and its file."""
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
    (storage_dir() / attachment.stored_name).unlink(missing_ok=True)


def downloadable(*, user: object, attachment_id: int) -> tuple[Attachment, Path]:
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
    path = storage_dir() / attachment.stored_name
    if not path.is_file():
        raise NotFound
    return attachment, path
