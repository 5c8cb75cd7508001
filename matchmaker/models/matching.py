"""The recommender's shared state: index generation, the change log workers replay, feedback."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, created_at, intpk


class RecommenderState(Base):
    """One row: which artifact every worker should serve (bumped by each full rebuild)."""

    __tablename__ = "recommender_state"

    id: Mapped[intpk]
    generation: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    artifact: Mapped[str | None] = mapped_column(sa.String(128), info={"pii": "none"})
    change_id: Mapped[int] = mapped_column(
        default=0, info={"pii": "none"}
    )  # last IndexChange folded into the artifact
    documents: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    built_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    build_seconds: Mapped[float | None] = mapped_column(info={"pii": "none"})


class IndexChange(Base):
    """A listing entered, changed or left the public lists; workers apply these in order."""

    __tablename__ = "index_changes"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(sa.String(16), info={"pii": "none"})
    listing_id: Mapped[int] = mapped_column(info={"pii": "none"})
    op: Mapped[str] = mapped_column(sa.String(8), info={"pii": "none"})  # upsert | remove
    created_at: Mapped[created_at]


class RecommendationFeedback(Base):
    """A user's judgment of one recommendation (exportable as graded relevance)."""

    __tablename__ = "recommendation_feedback"
    __table_args__ = (
        sa.UniqueConstraint(
            "user_id", "source_kind", "source_id", "target_kind", "target_id", name="one_per_pair"
        ),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
    )
    source_kind: Mapped[str] = mapped_column(sa.String(16), info={"pii": "none"})
    source_id: Mapped[int] = mapped_column(info={"pii": "none"})
    target_kind: Mapped[str] = mapped_column(sa.String(16), info={"pii": "none"})
    target_id: Mapped[int] = mapped_column(info={"pii": "none"})
    useful: Mapped[bool] = mapped_column(info={"pii": "none"})
    reason: Mapped[str | None] = mapped_column(sa.String(500), info={"pii": "internal"})
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
