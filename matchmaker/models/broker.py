"""技术经纪人: licensed brokers who follow needs and introduce results and experts to them.

A broker is a user of role `broker` with one profile here: the licence (number and issuing
body) the admin checks before the broker may act, and the organisation the broker works for
(None when independent). Brokers follow needs (assigned by the admin or claimed); an
introduction is an enquiry (models/enquiry.py) proposed by the broker on the need owner's
behalf; the deal it leads to records the broker and the fee (models/deal.py).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk

if TYPE_CHECKING:
    from matchmaker.models.listing import Need
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.user import User


class BrokerStatus(enum.StrEnum):
    """A broker's verification: only a verified broker acts (claims, introduces)."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


BROKER_STATUS_LABELS: dict[str, Any] = {
    BrokerStatus.PENDING: _l("待核验"),
    BrokerStatus.VERIFIED: _l("已核验"),
    BrokerStatus.REJECTED: _l("未通过核验"),
    BrokerStatus.SUSPENDED: _l("已暂停"),
}


class AssignmentSource(enum.StrEnum):
    """How a broker came to follow a need."""

    ASSIGNED = "assigned"  # by the admin
    CLAIMED = "claimed"  # by the broker


class BrokerProfile(Base):
    """One broker: the licence the admin verified and where the broker works."""

    __tablename__ = "broker_profiles"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True, info={"pii": "none"}
    )
    #: The organisation the broker works for; None for an independent broker.
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    licence_number: Mapped[str] = mapped_column(
        sa.String(64), unique=True, info={"pii": "consented"}
    )  # 证书编号
    issuing_body: Mapped[str] = mapped_column(sa.String(200), info={"pii": "consented"})  # 发证机构
    fields_text: Mapped[str] = mapped_column(
        sa.String(500), default="", info={"pii": "consented"}
    )  # 服务领域
    biography: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "consented"})
    status: Mapped[BrokerStatus] = mapped_column(
        enum_column(BrokerStatus, "broker_status"),
        default=BrokerStatus.PENDING,
        index=True,
        info={"pii": "none"},
    )
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    verified_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    review_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    assignments: Mapped[list[BrokerAssignment]] = relationship(
        back_populates="broker", order_by="BrokerAssignment.id", cascade="all, delete-orphan"
    )

    @property
    def is_verified(self) -> bool:
        return self.status == BrokerStatus.VERIFIED

    def __repr__(self) -> str:
        return f"<BrokerProfile {self.id} {self.status}>"


class BrokerAssignment(Base):
    """A broker following a need, from assignment or claim until released (`ended_at`)."""

    __tablename__ = "broker_assignments"
    __table_args__ = (
        # one live assignment per broker and need
        sa.Index(
            "uq_broker_assignments_live",
            "broker_id",
            "need_id",
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
    )

    id: Mapped[intpk]
    broker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("broker_profiles.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
    )
    source: Mapped[AssignmentSource] = mapped_column(
        enum_column(AssignmentSource, "assignment_source"),
        info={"pii": "none"},
    )
    assigned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]
    ended_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    broker: Mapped[BrokerProfile] = relationship(back_populates="assignments")
    need: Mapped[Need] = relationship()
    assigned_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<BrokerAssignment {self.broker_id}->{self.need_id}>"
