"""Personal access tokens for the JSON API (issue 15): stored as a SHA-256 hash, shown once."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, intpk

if TYPE_CHECKING:
    from matchmaker.models.user import User


class ApiToken(Base):
    """A user's token for `Authorization: Bearer`; the secret itself is never stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
    )
    name: Mapped[str] = mapped_column(sa.String(100), info={"pii": "internal"})
    #: sha256 hex of the secret: a lookup key, useless to whoever reads the database.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"pii": "secret"})
    #: The first characters of the secret, shown in lists so the owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(8), info={"pii": "internal"})
    #: "read", "write": never wider than the owner's role allows when created.
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list, info={"pii": "none"})
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(info={"pii": "none"})
    last_used_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    revoked_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    user: Mapped[User] = relationship()

    def is_live(self, now: datetime) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and self.expires_at > now

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}>"
