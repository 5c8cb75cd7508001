"""In-app notifications (the notification centre)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, created_at, intpk


class Notification(Base):
    """A message for one user; `kind` + `params` are rendered in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    kind: Mapped[str] = mapped_column(sa.String(64), info={"pii": "none"})
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, info={"pii": "internal"})
    link: Mapped[str | None] = mapped_column(sa.String(255), info={"pii": "internal"})
    created_at: Mapped[created_at]
    read_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind}>"
