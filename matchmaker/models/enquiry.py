"""对接: enquiries from one side to a listing of the other, the conversation after acceptance,
blocks between organisations, and the funnel events the platform records itself."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk
from matchmaker.models.stored_file import StoredFile

if TYPE_CHECKING:
    from matchmaker.models.broker import BrokerProfile
    from matchmaker.models.expert import ExpertProfile
    from matchmaker.models.listing import Need, Result
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.user import User


class EnquiryIntent(enum.StrEnum):
    """What the sender wants."""

    TRANSFER = "transfer"
    LICENSE = "license"
    CO_DEVELOP = "co_develop"
    CONSULTING = "consulting"
    TRIAL = "trial"
    OTHER = "other"


INTENT_LABELS = {
    EnquiryIntent.TRANSFER: _l("技术转让"),
    EnquiryIntent.LICENSE: _l("技术许可"),
    EnquiryIntent.CO_DEVELOP: _l("合作开发"),
    EnquiryIntent.CONSULTING: _l("技术咨询"),
    EnquiryIntent.TRIAL: _l("先使用后付费试用"),
    EnquiryIntent.OTHER: _l("其他"),
}


class EnquiryStatus(enum.StrEnum):
    """Where an enquiry is: waiting, asked for more, accepted (a conversation), or ended."""

    PROPOSED = "proposed"  # a broker's introduction waiting for the need owner's consent
    OPEN = "open"
    INFO_REQUESTED = "info_requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


#: States in which an enquiry still counts as "open" (one per organisation and listing).
OPEN_ENQUIRY_STATES = (EnquiryStatus.OPEN, EnquiryStatus.INFO_REQUESTED, EnquiryStatus.ACCEPTED)

ENQUIRY_STATUS_LABELS = {
    EnquiryStatus.PROPOSED: _l("待确认引荐"),
    EnquiryStatus.OPEN: _l("待答复"),
    EnquiryStatus.INFO_REQUESTED: _l("待补充信息"),
    EnquiryStatus.ACCEPTED: _l("洽谈中"),
    EnquiryStatus.DECLINED: _l("已婉拒"),
    EnquiryStatus.WITHDRAWN: _l("已撤回"),
    EnquiryStatus.CLOSED: _l("已结束"),
}


class EnquiryDecline(enum.StrEnum):
    """Why an owner declined an enquiry (the sender sees the code's label and the text)."""

    NOT_AVAILABLE = "not_available"
    NOT_A_FIT = "not_a_fit"
    TERMS = "terms"
    ALREADY_PARTNERED = "already_partnered"
    INSUFFICIENT_INFO = "insufficient_info"
    OTHER = "other"


ENQUIRY_DECLINE_LABELS = {
    EnquiryDecline.NOT_AVAILABLE: _l("暂不对外合作"),
    EnquiryDecline.NOT_A_FIT: _l("需求与成果不匹配"),
    EnquiryDecline.TERMS: _l("合作方式或条件不合适"),
    EnquiryDecline.ALREADY_PARTNERED: _l("已有合作方"),
    EnquiryDecline.INSUFFICIENT_INFO: _l("信息不足"),
    EnquiryDecline.OTHER: _l("其他"),
}


class ConversationOutcome(enum.StrEnum):
    """How a conversation ended."""

    CONTRACT = "contract"
    NO_DEAL = "no_deal"
    OFFLINE = "offline"


OUTCOME_LABELS = {
    ConversationOutcome.CONTRACT: _l("合同已签"),
    ConversationOutcome.NO_DEAL: _l("暂不合作"),
    ConversationOutcome.OFFLINE: _l("转线下洽谈"),
}


class EnquirySource(enum.StrEnum):
    """Where the sender started: the listing page, a recommendation card, the conversion list."""

    LISTING = "listing"
    RECOMMENDATION = "recommendation"
    CONVERSION = "conversion"
    INTRODUCTION = "introduction"  # proposed by a broker on the sender's behalf


class Enquiry(Base):
    """对接请求: an organisation asks the owner of a result or need to talk.

    After acceptance the same row is the conversation (its messages hang off it), so one record
    runs from the first contact to the signed contract (`deal_id`).
    """

    __tablename__ = "enquiries"
    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN result_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN need_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN expert_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_listing",
        ),
        sa.CheckConstraint("sender_org_id <> owner_org_id", name="two_parties"),
        sa.CheckConstraint(
            "status != 'declined' OR decline_code IS NOT NULL", name="declined_has_reason"
        ),
        sa.CheckConstraint("status != 'closed' OR outcome IS NOT NULL", name="closed_has_outcome"),
        # One open enquiry per (organisation, listing): the database refuses a second one too.
        sa.Index(
            "uq_enquiries_open_result",
            "sender_org_id",
            "result_id",
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'info_requested', 'accepted')"),
            postgresql_where=sa.text("status IN ('open', 'info_requested', 'accepted')"),
        ),
        sa.Index(
            "uq_enquiries_open_need",
            "sender_org_id",
            "need_id",
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'info_requested', 'accepted')"),
            postgresql_where=sa.text("status IN ('open', 'info_requested', 'accepted')"),
        ),
        sa.Index(
            "uq_enquiries_open_expert",
            "sender_org_id",
            "expert_id",
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'info_requested', 'accepted')"),
            postgresql_where=sa.text("status IN ('open', 'info_requested', 'accepted')"),
        ),
        sa.Index("ix_enquiries_owner_status", "owner_org_id", "status"),
        sa.Index("ix_enquiries_sender_created", "sender_org_id", "created_at"),
    )

    id: Mapped[intpk]
    result_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("results.id", ondelete="RESTRICT"),
        index=True,
        info={"pii": "none"},
    )
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="RESTRICT"),
        index=True,
        info={"pii": "none"},
    )
    #: An enquiry to an expert (人才库) instead of a listing.
    expert_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("expert_profiles.id", ondelete="RESTRICT"),
        index=True,
        info={"pii": "none"},
    )
    offer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversion_offers.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    #: A broker's introduction: the broker, the need it was made for (the sender's) and its note.
    broker_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("broker_profiles.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    for_need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    broker_note: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    sender_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
        info={"pii": "none"},
    )
    sender_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    owner_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
        info={"pii": "none"},
    )
    intent: Mapped[EnquiryIntent] = mapped_column(
        enum_column(EnquiryIntent, "enquiry_intent"), info={"pii": "internal"}
    )
    message: Mapped[str] = mapped_column(sa.Text, info={"pii": "internal"})
    nda_requested: Mapped[bool] = mapped_column(default=False, info={"pii": "none"})
    source: Mapped[EnquirySource] = mapped_column(
        enum_column(EnquirySource, "enquiry_source"),
        default=EnquirySource.LISTING,
        info={"pii": "none"},
    )
    status: Mapped[EnquiryStatus] = mapped_column(
        enum_column(EnquiryStatus, "enquiry_status"),
        default=EnquiryStatus.OPEN,
        info={"pii": "none"},
    )
    info_request: Mapped[str | None] = mapped_column(
        sa.Text, info={"pii": "internal"}
    )  # the owner's question
    decline_code: Mapped[EnquiryDecline | None] = mapped_column(
        enum_column(EnquiryDecline, "enquiry_decline"),
        info={"pii": "internal"},
    )
    decline_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    answered_at: Mapped[datetime | None] = mapped_column(
        info={"pii": "none"}
    )  # first answer of the owner (accept/decline/ask)
    reminded_at: Mapped[datetime | None] = mapped_column(
        info={"pii": "none"}
    )  # the last unanswered reminder sent
    reminders_sent: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    outcome: Mapped[ConversationOutcome | None] = mapped_column(
        enum_column(ConversationOutcome, "conversation_outcome"),
        info={"pii": "internal"},
    )
    outcome_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    closed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"pii": "none"}
    )
    closed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    created_at: Mapped[created_at]

    result: Mapped[Result | None] = relationship()
    need: Mapped[Need | None] = relationship(foreign_keys=[need_id])
    expert: Mapped[ExpertProfile | None] = relationship()
    broker: Mapped[BrokerProfile | None] = relationship()
    for_need: Mapped[Need | None] = relationship(foreign_keys=[for_need_id])
    sender_org: Mapped[Organisation] = relationship(foreign_keys=[sender_org_id])
    owner_org: Mapped[Organisation] = relationship(foreign_keys=[owner_org_id])
    sender_user: Mapped[User | None] = relationship(foreign_keys=[sender_user_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    messages: Mapped[list[EnquiryMessage]] = relationship(
        back_populates="enquiry", order_by="EnquiryMessage.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[EnquiryAttachment]] = relationship(
        back_populates="enquiry", order_by="EnquiryAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def listing(self) -> Result | Need | ExpertProfile:
        """The result, need or expert profile the enquiry is about."""
        if self.result_id is not None:
            listing: Result | Need | ExpertProfile | None = self.result
        elif self.need_id is not None:
            listing = self.need
        else:
            listing = self.expert
        assert listing is not None
        return listing

    @property
    def listing_kind(self) -> str:
        if self.result_id is not None:
            return "result"
        return "need" if self.need_id is not None else "expert"

    @property
    def is_introduction(self) -> bool:
        return self.source == EnquirySource.INTRODUCTION

    @property
    def party_org_ids(self) -> tuple[int, int]:
        """The two organisations (sender, owner)."""
        return self.sender_org_id, self.owner_org_id

    def __repr__(self) -> str:
        return f"<Enquiry {self.id} {self.status}>"


class EnquiryMessage(Base):
    """One message of a conversation (or the sender's answer to a request for information)."""

    __tablename__ = "enquiry_messages"
    __table_args__ = (sa.Index("ix_enquiry_messages_enquiry", "enquiry_id", "id"),)

    id: Mapped[intpk]
    enquiry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enquiries.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"pii": "none"}
    )
    author_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
        info={"pii": "none"},
    )
    body: Mapped[str] = mapped_column(sa.Text, info={"pii": "internal"})
    created_at: Mapped[created_at]
    reported_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    reported_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    report_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})

    enquiry: Mapped[Enquiry] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    attachments: Mapped[list[EnquiryAttachment]] = relationship(back_populates="message")


class EnquiryAttachment(StoredFile, Base):
    """A file sent with an enquiry or a message (the same checks as every upload)."""

    __tablename__ = "enquiry_attachments"

    id: Mapped[intpk]
    enquiry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enquiries.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enquiry_messages.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )

    enquiry: Mapped[Enquiry] = relationship(back_populates="attachments")
    message: Mapped[EnquiryMessage | None] = relationship(back_populates="attachments")


class EnquiryRead(Base):
    """How far a user has read a conversation (unread counts and markers)."""

    __tablename__ = "enquiry_reads"
    __table_args__ = (sa.UniqueConstraint("enquiry_id", "user_id"),)

    id: Mapped[intpk]
    enquiry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enquiries.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
    )
    last_message_id: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    read_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})


class OrganisationBlock(Base):
    """An organisation refuses enquiries and messages from another one."""

    __tablename__ = "organisation_blocks"
    __table_args__ = (
        sa.UniqueConstraint("blocker_org_id", "blocked_org_id"),
        sa.CheckConstraint("blocker_org_id <> blocked_org_id", name="not_self"),
    )

    id: Mapped[intpk]
    blocker_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        info={"pii": "none"},
    )
    blocked_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    created_at: Mapped[created_at]


class FunnelStep(enum.StrEnum):
    """The steps of the 对接 funnel, from first view to an accepted contract."""

    VIEW = "view"
    IMPRESSION = "impression"  # shown as a recommendation
    CLICK = "click"  # a recommendation opened
    ENQUIRY = "enquiry"
    ACCEPTED = "accepted"
    DEAL = "deal"
    DEAL_ACCEPTED = "deal_accepted"  # 验收: every milestone accepted


FUNNEL_LABELS = {
    FunnelStep.VIEW: _l("浏览"),
    FunnelStep.IMPRESSION: _l("推荐展示"),
    FunnelStep.CLICK: _l("推荐点击"),
    FunnelStep.ENQUIRY: _l("对接请求"),
    FunnelStep.ACCEPTED: _l("接受对接"),
    FunnelStep.DEAL: _l("签订合同"),
    FunnelStep.DEAL_ACCEPTED: _l("合同验收完成"),
}


class FunnelEvent(Base):
    """One step of the funnel on one listing, recorded by the platform itself.

    Views are deduplicated per visitor and (China) day by the unique key; `visitor` is a keyed
    hash of the user or session, never an address. `field_id` and `day` are copied in so that a
    month's counts per field read one index.
    """

    __tablename__ = "funnel_events"
    __table_args__ = (
        sa.UniqueConstraint("step", "listing_kind", "listing_id", "visitor", "day"),
        sa.Index("ix_funnel_events_day_step_field", "day", "step", "field_id"),
        sa.Index("ix_funnel_events_listing", "listing_kind", "listing_id", "step"),
    )

    id: Mapped[intpk]
    step: Mapped[FunnelStep] = mapped_column(
        enum_column(FunnelStep, "funnel_step"), info={"pii": "none"}
    )
    listing_kind: Mapped[str] = mapped_column(sa.String(8), info={"pii": "none"})
    listing_id: Mapped[int] = mapped_column(info={"pii": "none"})
    field_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tech_fields.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    owner_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    actor_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    # Views: the visitor's hash (dedup per day); other steps: the object's id, so each counts once.
    visitor: Mapped[str] = mapped_column(sa.String(64), info={"pii": "network"})
    day: Mapped[date] = mapped_column(info={"pii": "none"})
    created_at: Mapped[created_at]
