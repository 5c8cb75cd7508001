"""银企对接 events: registration of firms and banks, one-on-one meetings and their outcomes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk

if TYPE_CHECKING:
    from matchmaker.models.credit import FinancingNeed, LoanProduct
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.user import User


class EventStatus(enum.StrEnum):
    """draft → open (registration) → scheduled (meetings proposed) → finished; or cancelled."""

    DRAFT = "draft"
    OPEN = "open"
    SCHEDULED = "scheduled"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class FinanceEvent(Base):
    """A 银企对接会 created by a bank or a government admin."""

    __tablename__ = "finance_events"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 120", name="slot_minutes"),
    )

    id: Mapped[intpk]
    organiser_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    registration_closes_at: Mapped[datetime]
    slot_minutes: Mapped[int] = mapped_column(default=20)
    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus, "event_status"), default=EventStatus.DRAFT, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]

    organiser: Mapped[Organisation] = relationship()
    registrations: Mapped[list[EventRegistration]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventRegistration.id"
    )
    meetings: Mapped[list[EventMeeting]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventMeeting.starts_at"
    )

    def __repr__(self) -> str:
        return f"<FinanceEvent {self.id} {self.status}>"


class EventRegistration(Base):
    """A firm or a bank taking part in an event."""

    __tablename__ = "event_registrations"
    __table_args__ = (sa.UniqueConstraint("event_id", "organisation_id"),)

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("finance_events.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    registered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[created_at]

    event: Mapped[FinanceEvent] = relationship(back_populates="registrations")
    organisation: Mapped[Organisation] = relationship()
    registered_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<EventRegistration event={self.event_id} org={self.organisation_id}>"


class MeetingStatus(enum.StrEnum):
    """proposed → confirmed → held; or cancelled."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    HELD = "held"
    CANCELLED = "cancelled"


class MeetingOutcome(enum.StrEnum):
    """What came of a one-on-one meeting."""

    NO_FIT = "no_fit"
    FOLLOW_UP = "follow_up"  # 继续沟通
    LEAD = "lead"  # turned into a lead (a bank's contact request)
    CREDIT_INTENT = "credit_intent"  # 达成授信意向
    NO_SHOW = "no_show"


class EventMeeting(Base):
    """A one-on-one slot between a bank and a firm, proposed from a product ↔ need match."""

    __tablename__ = "event_meetings"
    __table_args__ = (
        # explicit names: the convention would name both "uq_event_meetings_event_id"
        sa.UniqueConstraint(
            "event_id", "bank_org_id", "starts_at", name="uq_event_meetings_bank_slot"
        ),
        sa.UniqueConstraint(
            "event_id", "firm_org_id", "starts_at", name="uq_event_meetings_firm_slot"
        ),
        sa.CheckConstraint("status != 'held' OR outcome IS NOT NULL", name="held_has_outcome"),
    )

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("finance_events.id", ondelete="CASCADE"), index=True
    )
    bank_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    firm_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("loan_products.id", ondelete="SET NULL")
    )
    financing_need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("financing_needs.id", ondelete="SET NULL")
    )
    starts_at: Mapped[datetime]
    table_no: Mapped[int] = mapped_column(default=1)
    fit: Mapped[float] = mapped_column(default=0.0)  # the match strength it was proposed on
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus, "meeting_status"), default=MeetingStatus.PROPOSED
    )
    outcome: Mapped[MeetingOutcome | None] = mapped_column(
        enum_column(MeetingOutcome, "meeting_outcome")
    )
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]

    event: Mapped[FinanceEvent] = relationship(back_populates="meetings")
    bank: Mapped[Organisation] = relationship(foreign_keys=[bank_org_id])
    firm: Mapped[Organisation] = relationship(foreign_keys=[firm_org_id])
    product: Mapped[LoanProduct | None] = relationship()
    financing_need: Mapped[FinancingNeed | None] = relationship()

    def __repr__(self) -> str:
        return f"<EventMeeting {self.id} {self.status}>"
