"""The columns every uploaded file row shares (listing and application attachments, evidence)."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import created_at, enum_column


class ScanStatus(enum.StrEnum):
    """What the malware scan said of a stored file (services/platform/scanning.py)."""

    CLEAN = "clean"  # the scanner found nothing
    LEGACY = "legacy"  # stored before uploads were scanned (the migration's value)
    QUARANTINED = "quarantined"  # no scanner answered: held for an admin (UPLOAD_SCAN_FALLBACK)
    UNSCANNED = "unscanned"  # no scanner answered: served with a warning to the admins
    RELEASED = "released"  # an admin checked a quarantined or unscanned file and let it out


SCAN_STATUS_LABELS = {
    ScanStatus.CLEAN: _l("已通过病毒扫描"),
    ScanStatus.LEGACY: _l("扫描功能启用前上传"),
    ScanStatus.QUARANTINED: _l("待检：管理员放行后才能下载"),
    ScanStatus.UNSCANNED: _l("未经病毒扫描"),
    ScanStatus.RELEASED: _l("管理员已放行"),
}


class StoredFile:
    """A checked upload kept outside static/ under a generated name.

    The file is written as `<stored_name>.part` and made permanent after the commit
    (services/platform/files.py `stage`); the row keeps what the user sees and the checksum.
    """

    #: the uploader's file name: shown wherever the file may be downloaded
    original_name: Mapped[str] = mapped_column(sa.String(255), info={"pii": "internal"})
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"pii": "none"})
    content_type: Mapped[str] = mapped_column(
        sa.String(128), info={"pii": "none"}
    )  # OOXML types exceed 64
    size: Mapped[int] = mapped_column(info={"pii": "none"})
    sha256: Mapped[str] = mapped_column(sa.String(64), info={"pii": "none"})
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"pii": "none"}
    )
    created_at: Mapped[created_at]
    scan_status: Mapped[ScanStatus] = mapped_column(
        enum_column(ScanStatus, "scan_status"),
        default=ScanStatus.LEGACY,
        index=True,
        info={"pii": "none"},
    )
