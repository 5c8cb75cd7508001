"""The city's targets (seed 003), as the admin keeps them; the seed's figures are the default."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, intpk, utcnow


class CityTarget(Base):
    """One metric's target for one year (a row overrides the default from the seed)."""

    __tablename__ = "city_targets"
    __table_args__ = (
        sa.UniqueConstraint("metric", "year"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    id: Mapped[intpk]
    metric: Mapped[str] = mapped_column(
        sa.String(32), info={"pii": "none"}
    )  # services/bureau/targets.py METRICS
    year: Mapped[int] = mapped_column(info={"pii": "none"})
    value: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2), info={"pii": "internal"})
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pii": "none"}
    )

    def __repr__(self) -> str:
        return f"<CityTarget {self.metric} {self.year}={self.value}>"
