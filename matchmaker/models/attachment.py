"""Files attached to listings, stored outside static/ under generated names."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, intpk
from matchmaker.models.stored_file import StoredFile

if TYPE_CHECKING:
    from matchmaker.models.listing import Need, Result


class Attachment(StoredFile, Base):
    """A PDF or image belonging to one result or one need."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.CheckConstraint("(result_id IS NOT NULL) <> (need_id IS NOT NULL)", name="one_listing"),
    )

    id: Mapped[intpk]
    result_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("results.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )

    result: Mapped[Result | None] = relationship(back_populates="attachments")
    need: Mapped[Need | None] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.content_type}>"
