"""Stored uploads: PDF, images and Office files, checked by content, kept outside static/.

Office files (.docx, .xlsx, .pptx, and legacy .doc) are checked by services/platform/office.py:
a safe zip with the right main part, or an OLE file with a Word stream; macros are refused.

An upload is written to a pending `<stored_name>.part` file; `stage()` ties it to the unit of
work, so the file becomes permanent after the commit and is removed if the transaction rolls
back. Listing attachments, application attachments and milestone evidence all go through here.

The bytes live in the app's storage (services/platform/storage.py) under `attachments/<name>`:
- a folder (the default, `<instance>/attachments` or `ATTACHMENT_DIR`): the pending file sits
  next to the final one and is renamed after the commit, so a crash leaves only a `.part` file;
- an object store (S3): the checked file is uploaded to its final key before the commit and
  deleted if the transaction rolls back; a crash between the upload and the commit leaves an
  object no row names (`orphaned_keys` lists them), never a row without its file.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models.stored_file import ScanStatus, StoredFile
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform import office, scanning, storage, uow

#: Allowed types, recognised by their first bytes (the name and the browser's claim are ignored).
SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"GIF87a", 0, "image/gif", ".gif"),
    (b"GIF89a", 0, "image/gif", ".gif"),
    (b"WEBP", 8, "image/webp", ".webp"),
)
CHUNK = 64 * 1024
#: The file inputs' `accept=` hint (the browser's filter only: the content decides).
ACCEPT = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.docx,.doc,.xlsx,.pptx"


PREFIX = "attachments/"


def key_of(stored_name: str) -> str:
    """The storage key of a stored file."""
    return PREFIX + stored_name


def storage_dir() -> Path:
    """The folder of stored files when the storage is a folder (`<instance>/attachments` or
    `ATTACHMENT_DIR`); RuntimeError on an object store, which has none."""
    path = storage.get().local_path(key_of("x"))
    if path is None:
        raise RuntimeError("stored files are kept in an object store, not in a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent


def _pending_path(stored_name: str) -> Path:
    """Where an upload is written while it is checked: next to its final file on a folder
    storage (renamed after the commit), else in the instance's spool folder."""
    if storage.get().local_path(key_of(stored_name)) is not None:
        return storage_dir() / f"{stored_name}.part"
    spool = Path(current_app.instance_path) / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    return spool / f"{stored_name}.part"


def path_of(row: StoredFile) -> Path:
    """The permanent file of a stored row on a folder storage (it may be missing)."""
    return storage_dir() / row.stored_name


@dataclass(frozen=True)
class StoredBlob:
    """A stored row's bytes in the storage, for a download (`web/downloads.send_stored_file`).

    `scan_status` travels with it: a quarantined file is served to admins only.
    """

    key: str
    scan_status: str | None = None

    def exists(self) -> bool:
        return storage.get().exists(self.key)

    def open(self) -> BinaryIO:
        """A stream of the bytes (close it); FileNotFoundError when they are gone."""
        return storage.get().open(self.key)

    def size(self) -> int:
        return storage.get().size(self.key)

    def local_path(self) -> Path | None:
        """The file itself on a folder storage (served with range requests), else None."""
        return storage.get().local_path(self.key)


def blob_of(row: StoredFile) -> StoredBlob:
    """The stored bytes of a row (they may be missing: check `exists()`)."""
    return StoredBlob(key_of(row.stored_name), row.scan_status)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a file from its first bytes, or None if not allowed."""
    for magic, offset, content_type, ext in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and head[:4] != b"RIFF":
                continue
            return content_type, ext
    return None


def identify(path: Path, head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a stored file: `sniff` its head, else check it as Office.

    None when the type is not allowed; ValidationFailed (with the reason) when it looks like an
    Office file but is unsafe, carries macros or is not a Word, Excel or PowerPoint file.
    """
    return sniff(head) or office.identify(path, head)


def clean_name(name: str) -> str:
    """A display name safe to keep as metadata: no path, no control characters, bounded."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".")
    return (name or "attachment")[:200]


@dataclass(frozen=True)
class StoredUpload:
    """A checked upload written to a pending `.part` file (see `stage`)."""

    stored_name: str
    content_type: str
    size: int
    sha256: str
    scan_status: ScanStatus  # services/platform/scanning.py

    def columns(self, *, filename: str, uploaded_by_id: int) -> dict[str, Any]:
        """The StoredFile columns of the row that keeps this upload."""
        return {
            "original_name": clean_name(filename),
            "stored_name": self.stored_name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "uploaded_by_id": uploaded_by_id,
            "scan_status": self.scan_status,
        }


def store_upload(stream: BinaryIO) -> StoredUpload:
    """Write an upload to a pending file, checking its size and type by content.

    Raises ValidationFailed (and leaves no file behind) when the file is empty, too large,
    not a PDF, image or acceptable Office file, or the malware scanner finds something in it
    (services/platform/scanning.py; without a scanner's answer, UPLOAD_SCAN_FALLBACK decides).
    """
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    stored = uuid.uuid4().hex
    part = _pending_path(stored)
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
        kind = identify(part, head)
        if kind is None:
            raise ValidationFailed(
                {
                    "file": _(
                        "只接受 PDF、Word（.docx、.doc）、Excel（.xlsx）、PowerPoint（.pptx）"
                        "和 PNG、JPEG、GIF、WebP 图片（按文件内容识别）。"
                    )
                }
            )
        status = scanning.check_upload(part, size=size, content_type=kind[0])
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return StoredUpload(
        stored_name=stored,
        content_type=kind[0],
        size=size,
        sha256=digest.hexdigest(),
        scan_status=status,
    )


def finalize_file(stored_name: str) -> None:
    """Make a pending stored file permanent (folder storage: rename it to its final name)."""
    os.replace(_pending_path(stored_name), storage_dir() / stored_name)


def discard_file(stored_name: str) -> None:
    """Remove a pending stored file."""
    _pending_path(stored_name).unlink(missing_ok=True)


def stage(upload: StoredUpload) -> None:
    """Tie a pending file to the unit of work: permanent after the commit, gone after a rollback.

    Call it as soon as the file is stored, before anything else that may fail. On an object
    store the file is uploaded to its final key now and deleted again if the transaction rolls
    back.
    """
    name = upload.stored_name
    store_ = storage.get()
    if store_.local_path(key_of(name)) is not None:
        uow.after_commit(lambda: finalize_file(name))
        uow.on_rollback(lambda: discard_file(name))
        return
    try:
        store_.put(key_of(name), _pending_path(name))
    finally:
        discard_file(name)
    uow.on_rollback(lambda: store_.delete(key_of(name)))


def store(stream: BinaryIO) -> StoredUpload:
    """Store an upload as a pending file (`store_upload`) and `stage` it."""
    upload = store_upload(stream)
    stage(upload)
    return upload


def delete_after_commit(row: StoredFile) -> None:
    """Remove a deleted row's file once the deletion is committed (it stays if that rolls back)."""
    key = key_of(row.stored_name)
    store_ = storage.get()
    uow.after_commit(lambda: store_.delete(key))


def orphaned_keys() -> Iterator[str]:
    """Stored files no row names: an upload whose transaction died between the upload and the
    commit (object store), or a `.part` file left by a crash (folder). Uploads in flight show
    here too: check twice, some minutes apart, before removing anything."""
    referenced: set[str] = set()
    for model in StoredFile.__subclasses__():
        referenced.update(key_of(n) for n in db.session.scalars(sa.select(model.stored_name)))
    for key in storage.get().keys(PREFIX):
        name = key[len(PREFIX) :]
        if "/" in name:
            continue
        if key.removesuffix(".part") not in referenced:
            yield key
