"""Events of every kind (对接会, 路演, 银企对接, 科学家企业家沙龙, 人才活动): registration of
organisations from both sides, check-in, featured listings and outcomes; for 银企对接 events also
the one-on-one bank-firm meetings (the table keeps its first name, ``finance_events``)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk

if TYPE_CHECKING:
    from matchmaker.models.credit import FinancingNeed, LoanProduct
    from matchmaker.models.deal import Deal
    from matchmaker.models.listing import Need, Result
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.user import User


class EventKind(enum.StrEnum):
    """What kind of event; decides who it is for and what its page shows."""

    MATCHMAKING = "matchmaking"  # 对接会
    ROADSHOW = "roadshow"  # 路演: featured results, each with its matched needs
    BANK_ENTERPRISE = "bank_enterprise"  # 银企对接: with one-on-one meeting scheduling
    SALON = "salon"  # 科学家企业家沙龙
    TALENT = "talent"  # 人才活动 (counted against the city's talent-event target)


class EventStatus(enum.StrEnum):
    """draft → open (registration) → scheduled (meetings proposed) → finished; or cancelled."""

    DRAFT = "draft"
    OPEN = "open"
    SCHEDULED = "scheduled"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class Event(Base):
    """An event of any kind, created by a government admin (or a bank, for 银企对接)."""

    __tablename__ = "finance_events"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 120", name="slot_minutes"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[intpk]
    organiser_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    kind: Mapped[EventKind] = mapped_column(
        enum_column(EventKind, "event_kind"),
        default=EventKind.BANK_ENTERPRISE,
        index=True,
        info={"pii": "none"},
    )
    title: Mapped[str] = mapped_column(sa.String(200), info={"pii": "public"})
    description: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "public"})
    location: Mapped[str] = mapped_column(sa.String(200), default="", info={"pii": "public"})
    online_url: Mapped[str] = mapped_column(
        sa.String(500), default="", info={"pii": "public"}
    )  # an online event's link
    capacity: Mapped[int | None] = mapped_column(
        info={"pii": "none"}
    )  # organisations that may register; None = no limit
    outcome_summary: Mapped[str] = mapped_column(
        sa.Text, default="", info={"pii": "public"}
    )  # shown once finished
    starts_at: Mapped[datetime] = mapped_column(index=True, info={"pii": "none"})
    ends_at: Mapped[datetime] = mapped_column(info={"pii": "none"})
    registration_closes_at: Mapped[datetime] = mapped_column(info={"pii": "none"})
    slot_minutes: Mapped[int] = mapped_column(default=20, info={"pii": "none"})
    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus, "event_status"),
        default=EventStatus.DRAFT,
        index=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]

    organiser: Mapped[Organisation] = relationship()
    registrations: Mapped[list[EventRegistration]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventRegistration.id"
    )
    meetings: Mapped[list[EventMeeting]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventMeeting.starts_at"
    )
    features: Mapped[list[EventFeature]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventFeature.position"
    )
    outcomes: Mapped[list[EventOutcome]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventOutcome.id"
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.status}>"


class EventRegistration(Base):
    """A firm or a bank taking part in an event."""

    __tablename__ = "event_registrations"
    __table_args__ = (sa.UniqueConstraint("event_id", "organisation_id"),)

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("finance_events.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    registered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    note: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    created_at: Mapped[created_at]
    checked_in_at: Mapped[datetime | None] = mapped_column(
        info={"pii": "none"}
    )  # attendance, recorded by the organiser
    checked_in_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )

    event: Mapped[Event] = relationship(back_populates="registrations")
    organisation: Mapped[Organisation] = relationship()
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])

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
        sa.ForeignKey("finance_events.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    bank_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    firm_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("loan_products.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    financing_need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("financing_needs.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    starts_at: Mapped[datetime] = mapped_column(info={"pii": "none"})
    table_no: Mapped[int] = mapped_column(default=1, info={"pii": "internal"})
    fit: Mapped[float] = mapped_column(
        default=0.0, info={"pii": "internal"}
    )  # the match strength it was proposed on
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus, "meeting_status"),
        default=MeetingStatus.PROPOSED,
        info={"pii": "none"},
    )
    outcome: Mapped[MeetingOutcome | None] = mapped_column(
        enum_column(MeetingOutcome, "meeting_outcome"),
        info={"pii": "internal"},
    )
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]

    event: Mapped[Event] = relationship(back_populates="meetings")
    bank: Mapped[Organisation] = relationship(foreign_keys=[bank_org_id])
    firm: Mapped[Organisation] = relationship(foreign_keys=[firm_org_id])
    product: Mapped[LoanProduct | None] = relationship()
    financing_need: Mapped[FinancingNeed | None] = relationship()

    def __repr__(self) -> str:
        return f"<EventMeeting {self.id} {self.status}>"


class EventFeature(Base):
    """A listing featured at an event (a roadshow's results, a 对接会's needs)."""

    __tablename__ = "event_features"
    __table_args__ = (
        sa.CheckConstraint("(result_id IS NOT NULL) <> (need_id IS NOT NULL)", name="one_listing"),
        sa.UniqueConstraint("event_id", "result_id", name="uq_event_features_result"),
        sa.UniqueConstraint("event_id", "need_id", name="uq_event_features_need"),
    )

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("finance_events.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    result_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("results.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    position: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    created_at: Mapped[created_at]

    event: Mapped[Event] = relationship(back_populates="features")
    result: Mapped[Result | None] = relationship()
    need: Mapped[Need | None] = relationship()

    def __repr__(self) -> str:
        return f"<EventFeature event={self.event_id} result={self.result_id} need={self.need_id}>"


class OutcomeKind(enum.StrEnum):
    """What came of an event between two organisations."""

    CONTACT = "contact"  # 建立联系
    INTENTION = "intention"  # 签订意向
    DEAL = "deal"  # 达成交易: linked to the deal record


class EventOutcome(Base):
    """An outcome of an event: a contact made, an intention signed or a deal that followed."""

    __tablename__ = "event_outcomes"
    __table_args__ = (
        sa.CheckConstraint("kind != 'deal' OR deal_id IS NOT NULL", name="deal_has_record"),
        sa.CheckConstraint(
            "intention_wan IS NULL OR intention_wan >= 0", name="intention_not_negative"
        ),
    )

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("finance_events.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    kind: Mapped[OutcomeKind] = mapped_column(
        enum_column(OutcomeKind, "event_outcome_kind"), info={"pii": "none"}
    )
    first_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    second_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        info={"pii": "none"},
    )
    deal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deals.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    intention_wan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(14, 2), info={"pii": "public"}
    )  # 意向金额
    note: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]

    event: Mapped[Event] = relationship(back_populates="outcomes")
    first_org: Mapped[Organisation] = relationship(foreign_keys=[first_org_id])
    second_org: Mapped[Organisation | None] = relationship(foreign_keys=[second_org_id])
    deal: Mapped[Deal | None] = relationship()

    def __repr__(self) -> str:
        return f"<EventOutcome {self.id} {self.kind} event={self.event_id}>"
