"""A challenge's review panel: its members and their scores of the finalists."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, intpk, utcnow

if TYPE_CHECKING:
    from matchmaker.models.challenge import Application, Challenge
    from matchmaker.models.user import User


class PanelMember(Base):
    """A reviewer on a challenge's panel: an owner-org member or an invited expert."""

    __tablename__ = "panel_members"
    __table_args__ = (sa.UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[intpk]
    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenges.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
    )
    is_expert: Mapped[bool] = mapped_column(default=False, info={"pii": "none"})
    added_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"pii": "none"}
    )
    created_at: Mapped[created_at]

    challenge: Mapped[Challenge] = relationship(back_populates="panel_members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    scores: Mapped[list[Score]] = relationship(
        back_populates="panel_member", cascade="all, delete-orphan"
    )


class Score(Base):
    """One panel member's scores (0–10 per criterion) of one finalist application."""

    __tablename__ = "scores"
    __table_args__ = (
        sa.UniqueConstraint("panel_member_id", "application_id"),
        *(
            sa.CheckConstraint(f"{name} >= 0 AND {name} <= 10", name=f"{name}_range")
            for name in ("feasibility", "maturity", "price", "team")
        ),
    )

    id: Mapped[intpk]
    panel_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("panel_members.id", ondelete="CASCADE"),
        info={"pii": "none"},
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    feasibility: Mapped[int] = mapped_column(info={"pii": "internal"})
    maturity: Mapped[int] = mapped_column(info={"pii": "internal"})
    price: Mapped[int] = mapped_column(info={"pii": "internal"})
    team: Mapped[int] = mapped_column(info={"pii": "internal"})
    comment: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pii": "none"}
    )

    panel_member: Mapped[PanelMember] = relationship(back_populates="scores")
    application: Mapped[Application] = relationship(back_populates="scores")
