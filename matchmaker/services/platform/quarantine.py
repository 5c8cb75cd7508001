"""The admins' 待检文件 list: uploads no scanner checked, released or deleted with an audit record.

A file stored while no malware scanner answered is `quarantined` (only admins may download it,
services/platform/scanning.py) or `unscanned` (served, with a warning here), depending on
UPLOAD_SCAN_FALLBACK. An admin who reviews files opens it, then releases it (`released`: served
to whoever may see its record) or deletes it (its row, and its bytes once that is committed).
Every table of stored files is covered: the StoredFile models, by table name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.models.stored_file import ScanStatus, StoredFile
from matchmaker.services.errors import NotFound, PermissionDenied
from matchmaker.services.platform import files, scanning
from matchmaker.services.platform.audit import record_audit

#: What each table of stored files holds, as the admin reads it.
KIND_LABELS: dict[str, Any] = {
    "attachments": _l("成果/需求附件"),
    "application_attachments": _l("揭榜申请附件"),
    "milestone_evidence": _l("交付证明材料"),
    "organisation_documents": _l("机构证明材料"),
    "enquiry_attachments": _l("对接文件"),
}
SHOWN = 200


def file_models() -> dict[str, type[StoredFile]]:
    """Every model of stored files, by its table name (the `kind` in URLs and audit records)."""
    return {
        str(model.__tablename__): model  # type: ignore[attr-defined]
        for model in StoredFile.__subclasses__()
    }


@dataclass(frozen=True)
class HeldFile:
    """A row of the 待检文件 list."""

    kind: str
    row: Any  # a StoredFile model instance
    uploader: User | None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def is_withheld(self) -> bool:
        return scanning.is_withheld(self.row.scan_status)


def _require_reviewer(actor: Any) -> None:
    if not scanning.can_review_files(actor):
        raise PermissionDenied


def held_files(*, actor: Any, limit: int = SHOWN) -> list[HeldFile]:
    """Quarantined and unscanned files of every kind, newest first (at most `limit`)."""
    _require_reviewer(actor)
    found: list[tuple[str, Any]] = []
    for kind, model in file_models().items():
        stmt = (
            sa.select(model)
            .where(model.scan_status.in_(scanning.TO_REVIEW))
            .order_by(model.created_at.desc(), model.id.desc())  # type: ignore[attr-defined]
            .limit(limit)
        )
        found.extend((kind, row) for row in db.session.scalars(stmt))
    found.sort(key=lambda item: (item[1].created_at, item[1].id), reverse=True)
    found = found[:limit]
    ids = {row.uploaded_by_id for _kind, row in found if row.uploaded_by_id is not None}
    users = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    return [HeldFile(kind, row, users.get(row.uploaded_by_id)) for kind, row in found]


def counts(*, actor: Any) -> dict[str, int]:
    """How many files wait, by status (quarantined, unscanned)."""
    _require_reviewer(actor)
    total: dict[str, int] = dict.fromkeys(map(str, scanning.TO_REVIEW), 0)
    for model in file_models().values():
        stmt = (
            sa.select(model.scan_status, sa.func.count())
            .where(model.scan_status.in_(scanning.TO_REVIEW))
            .group_by(model.scan_status)
        )
        for status, n in db.session.execute(stmt):
            total[str(status)] += n
    return total


def _held(kind: str, file_id: int) -> Any:
    model = file_models().get(kind)
    row = db.session.get(model, file_id) if model is not None and 0 < file_id < 2**31 else None
    if row is None or row.scan_status not in scanning.TO_REVIEW:
        raise NotFound
    return row


def _audit(actor: User, action: str, kind: str, row: Any, **after: Any) -> None:
    record_audit(
        actor=actor,
        action=action,
        object_type="file",
        object_id=f"{kind}:{row.id}",
        before={"scan_status": str(row.scan_status), "name": row.original_name},
        after=after or None,
    )


def open_held_file(*, actor: User, kind: str, file_id: int) -> tuple[Any, files.StoredBlob]:
    """A held file and its bytes for the admin who checks it (audited); else NotFound."""
    _require_reviewer(actor)
    row = _held(kind, file_id)
    blob = files.blob_of(row)
    if not blob.exists():
        raise NotFound
    _audit(actor, "file.download", kind, row)
    return row, blob


def release_file(*, actor: User, kind: str, file_id: int) -> Any:
    """Let a quarantined or unscanned file out: served to whoever may see its record."""
    _require_reviewer(actor)
    row = _held(kind, file_id)
    _audit(actor, "file.release", kind, row, scan_status=str(ScanStatus.RELEASED))
    row.scan_status = ScanStatus.RELEASED
    db.session.flush()
    return row


def delete_held_file(*, actor: User, kind: str, file_id: int) -> None:
    """Delete a held file: its row now, its bytes once the deletion is committed."""
    _require_reviewer(actor)
    row = _held(kind, file_id)
    _audit(actor, "file.delete", kind, row)
    db.session.delete(row)
    db.session.flush()
    files.delete_after_commit(row)
