"""Saved searches and followed listings, and the matches already sent for each."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk

if TYPE_CHECKING:
    from matchmaker.models.user import User


class SubscriptionKind(enum.StrEnum):
    """What a subscription watches."""

    SEARCH = "search"  # a saved filter of the results supermarket or the needs list
    FOLLOW = "follow"  # one listing's recommendations of the other side


class AlertFrequency(enum.StrEnum):
    """How often the digest of new matches goes out."""

    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"


class Subscription(Base):
    """A user's saved search or followed listing; new matches reach them as a digest."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'search' AND listing_id IS NULL) OR "
            "(kind = 'follow' AND listing_id IS NOT NULL)",
            name="kind_target",
        ),
        sa.CheckConstraint("target_kind IN ('result', 'need')", name="target_kind"),
        # One follow per user and listing (a search has no listing_id; NULLs never collide).
        sa.UniqueConstraint("user_id", "target_kind", "listing_id"),
        sa.Index("ix_subscriptions_due", "is_active", "frequency"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
    )
    kind: Mapped[SubscriptionKind] = mapped_column(
        enum_column(SubscriptionKind, "subscription_kind"),
        info={"pii": "none"},
    )
    target_kind: Mapped[str] = mapped_column(
        sa.String(16), info={"pii": "none"}
    )  # search: the list; follow: the listing
    listing_id: Mapped[int | None] = mapped_column(
        info={"pii": "none"}
    )  # follow only: the followed result or need
    # search only: the list page's BrowseFilter args, cleaned (q, field, stage, mode, ...)
    criteria: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict, info={"pii": "internal"}
    )
    frequency: Mapped[AlertFrequency] = mapped_column(
        enum_column(AlertFrequency, "alert_frequency"),
        default=AlertFrequency.DAILY,
        info={"pii": "none"},
    )
    is_active: Mapped[bool] = mapped_column(default=True, info={"pii": "none"})
    token_nonce: Mapped[str] = mapped_column(sa.String(64), info={"pii": "secret"})
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"pii": "secret"})
    created_at: Mapped[created_at]
    last_sent_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    user: Mapped[User] = relationship()
    deliveries: Mapped[list[AlertDelivery]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Subscription {self.id} {self.kind} {self.target_kind}>"


class AlertDelivery(Base):
    """One match sent for one subscription; the unique constraint makes it once, ever."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "kind", "listing_id"),)

    id: Mapped[intpk]
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
        info={"pii": "none"},
    )
    kind: Mapped[str] = mapped_column(
        sa.String(16), info={"pii": "none"}
    )  # the matched publication's kind
    listing_id: Mapped[int] = mapped_column(info={"pii": "none"})
    delivered_at: Mapped[created_at]

    subscription: Mapped[Subscription] = relationship(back_populates="deliveries")

    def __repr__(self) -> str:
        return f"<AlertDelivery {self.subscription_id} {self.kind}:{self.listing_id}>"
