"""The columns every uploaded file row shares (listing and application attachments, evidence)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import created_at


class StoredFile:
    """A checked upload kept outside static/ under a generated name.

    The file is written as `<stored_name>.part` and made permanent after the commit
    (services/platform/files.py `stage`); the row keeps what the user sees and the checksum.
    """

    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(128))  # OOXML types exceed 64
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]
