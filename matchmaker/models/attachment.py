"""Files attached to listings, stored outside static/ under generated names."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, intpk

if TYPE_CHECKING:
    from matchmaker.models.listing import Need, Result


class Attachment(Base):
    """A PDF or image belonging to one result or one need."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.CheckConstraint("(result_id IS NOT NULL) <> (need_id IS NOT NULL)", name="one_listing"),
    )

    id: Mapped[intpk]
    result_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("results.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True
    )
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]

    result: Mapped[Result | None] = relationship(back_populates="attachments")
    need: Mapped[Need | None] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.content_type}>"
