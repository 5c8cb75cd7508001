"""The admin-editable field taxonomy (key industries at the top level)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, intpk


class TechField(Base):
    """A technology field; listings are classified by one."""

    __tablename__ = "tech_fields"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, info={"pii": "public"})
    name: Mapped[str] = mapped_column(sa.String(64), info={"pii": "public"})
    name_en: Mapped[str] = mapped_column(sa.String(64), info={"pii": "public"})
    position: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    is_active: Mapped[bool] = mapped_column(default=True, info={"pii": "none"})

    def label(self, locale: str) -> str:
        """The field's name in a locale."""
        return self.name_en if locale.startswith("en") else self.name

    def __repr__(self) -> str:
        return f"<TechField {self.code}>"
