"""The append-only audit log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, intpk
from matchmaker.models.user import User


class AuditLog(Base):
    """Who did what to which object, when, from where and why. Never updated or deleted."""

    __tablename__ = "audit_logs"
    __table_args__ = (sa.Index("ix_audit_logs_object", "object_type", "object_id"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at] = mapped_column(index=True, info={"pii": "none"})
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    action: Mapped[str] = mapped_column(sa.String(64), index=True, info={"pii": "none"})
    object_type: Mapped[str] = mapped_column(sa.String(32), info={"pii": "none"})
    object_id: Mapped[str | None] = mapped_column(sa.String(64), info={"pii": "none"})
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, info={"pii": "internal"})
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, info={"pii": "internal"})
    reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    ip: Mapped[str | None] = mapped_column(sa.String(45), info={"pii": "network"})

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditLog {self.id} {self.action} {self.object_type}:{self.object_id}>"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit record."""


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _refuse_change(mapper: Any, connection: Any, target: AuditLog) -> None:
    raise AppendOnlyError("audit records are append-only")
