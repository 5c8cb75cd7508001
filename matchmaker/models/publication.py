"""The public read model: the last approved version of every listed result and open need."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, intpk

if TYPE_CHECKING:
    from matchmaker.models.listing import Need, Result
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.taxonomy import TechField


class Publication(Base):
    """What the public sees of one listing; written on approval, removed on withdraw or expiry.

    Owners edit the listing itself; this row keeps the approved version until the edit is
    approved too, so the public never sees unreviewed text. It holds no contact details.
    """

    __tablename__ = "publications"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'result' AND result_id IS NOT NULL AND need_id IS NULL) OR "
            "(kind = 'need' AND need_id IS NOT NULL AND result_id IS NULL)",
            name="one_listing",
        ),
        sa.Index("ix_publications_kind_approved", "kind", "approved_at"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(sa.String(16), info={"pii": "none"})
    result_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("results.id", ondelete="CASCADE"),
        unique=True,
        info={"pii": "none"},
    )
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"),
        unique=True,
        info={"pii": "none"},
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    field_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tech_fields.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    title: Mapped[str] = mapped_column(sa.String(200), info={"pii": "public"})
    summary: Mapped[str] = mapped_column(sa.String(500), info={"pii": "public"})
    keywords: Mapped[str] = mapped_column(sa.String(500), default="", info={"pii": "public"})
    region: Mapped[str] = mapped_column(sa.String(32), index=True, info={"pii": "none"})
    trl: Mapped[int | None] = mapped_column(info={"pii": "none"})
    modes: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    amount_wan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 2), info={"pii": "public"}
    )  # None = 面议
    deadline: Mapped[date | None] = mapped_column(info={"pii": "none"})
    search_head: Mapped[str] = mapped_column(
        sa.Text, info={"pii": "public"}
    )  # normalised title + keywords
    search_text: Mapped[str] = mapped_column(
        sa.Text, info={"pii": "public"}
    )  # normalised title + keywords + body
    search_pairs: Mapped[str] = mapped_column(
        sa.Text, default="", info={"pii": "public"}
    )  # its Han runs with a marker between characters, 光x伏 (market/browsing.py han_pairs)
    data: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, info={"pii": "public"}
    )  # every other approved field
    published_at: Mapped[datetime] = mapped_column(info={"pii": "none"})  # first approval
    approved_at: Mapped[datetime] = mapped_column(info={"pii": "none"})  # latest approval
    expires_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    result: Mapped[Result | None] = relationship(back_populates="publication")
    need: Mapped[Need | None] = relationship(back_populates="publication")
    organisation: Mapped[Organisation] = relationship()
    field: Mapped[TechField | None] = relationship()

    @property
    def listing_id(self) -> int:
        """The id of the result or need this publishes."""
        return self.result_id if self.kind == "result" else self.need_id  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<Publication {self.kind}:{self.listing_id}>"
