"""Second factor (issue 17): the single-use recovery codes of an account's TOTP, stored as hashes.

The TOTP secret itself and the last accepted time step live on the user (`models/user.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, intpk

if TYPE_CHECKING:
    from matchmaker.models.user import User


class RecoveryCode(Base):
    """One recovery code: works once (used_at set), replaced when the codes are regenerated."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
    )
    #: sha256 hex of the code (the codes are random, 50 bits: a plain hash suffices).
    code_hash: Mapped[str] = mapped_column(sa.String(64), info={"pii": "secret"})
    created_at: Mapped[created_at]
    used_at: Mapped[datetime | None] = mapped_column(info={"pii": "security"})

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}>"
