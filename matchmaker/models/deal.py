"""Deals (技术合同): parties, terms, 先使用后付费 trials, milestones, evidence and acceptance."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk
from matchmaker.models.listing import MODE_LABELS, Mode
from matchmaker.models.stored_file import StoredFile

if TYPE_CHECKING:
    from matchmaker.models.broker import BrokerProfile
    from matchmaker.models.challenge import AdoptionRequest, Application
    from matchmaker.models.enquiry import Enquiry
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.user import User


class PaymentForm(enum.StrEnum):
    """How the price is paid."""

    LUMP_SUM = "lump_sum"  # 一次性支付
    INSTALMENTS = "instalments"  # 分期支付
    ROYALTY = "royalty"  # 提成支付
    ENTRY_FEE_ROYALTY = "entry_fee_royalty"  # 入门费 + 提成
    EQUITY = "equity"  # 作价入股
    USE_FIRST_PAY_LATER = "use_first_pay_later"  # 先使用后付费


PAYMENT_FORM_LABELS: dict[str, Any] = {
    PaymentForm.LUMP_SUM: _l("一次性支付"),
    PaymentForm.INSTALMENTS: _l("分期支付"),
    PaymentForm.ROYALTY: _l("提成支付"),
    PaymentForm.ENTRY_FEE_ROYALTY: _l("入门费加提成"),
    PaymentForm.EQUITY: _l("作价入股"),
    PaymentForm.USE_FIRST_PAY_LATER: _l("先使用后付费"),
}


class DealMode(enum.StrEnum):
    """The transaction mode of one deal (one of the modes a result can offer)."""

    TRANSFER = "transfer"
    LICENSE_EXCLUSIVE = "license_exclusive"
    LICENSE_NON_EXCLUSIVE = "license_non_exclusive"
    LICENSE_OPEN = "license_open"
    EQUITY = "equity"
    COOPERATION = "cooperation"  # 合作开发 / 技术开发 (the usual outcome of a challenge)
    USE_FIRST_PAY_LATER = "use_first_pay_later"


#: A deal's mode is one of the result modes, labelled the same (the members share their names).
DEAL_MODE_LABELS: dict[str, Any] = {mode: MODE_LABELS[Mode[mode.name]] for mode in DealMode}


class DealStatus(enum.StrEnum):
    """Life cycle of a deal; transitions in services/deals.py."""

    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    RETURNED = "returned"  # 先使用后付费 trial ended with the result handed back


class TrialOutcome(enum.StrEnum):
    """How a 先使用后付费 trial ended."""

    PAY = "pay"
    RETURN = "return"
    EXTEND = "extend"


class MilestoneStatus(enum.StrEnum):
    """Life cycle of a milestone: pending → submitted → accepted | rework → submitted."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REWORK = "rework"


class Deal(Base):
    """A technology contract between a provider (solver / result owner) and a client."""

    __tablename__ = "deals"
    __table_args__ = (
        sa.CheckConstraint("amount_wan >= 0", name="amount_not_negative"),
        sa.CheckConstraint("broker_fee_wan >= 0", name="broker_fee_not_negative"),
        sa.CheckConstraint(
            "(CASE WHEN application_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN adoption_request_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN enquiry_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_source",
        ),
        sa.CheckConstraint("provider_org_id <> client_org_id", name="two_parties"),
        sa.CheckConstraint(
            "payment_form != 'use_first_pay_later' OR "
            "(trial_start IS NOT NULL AND trial_end IS NOT NULL AND trial_end > trial_start)",
            name="trial_period",
        ),
        sa.CheckConstraint(
            "status != 'terminated' OR termination_reason IS NOT NULL", name="terminated_reason"
        ),
    )

    id: Mapped[intpk]
    provider_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
        index=True,
        info={"pii": "none"},
    )
    client_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
        index=True,
        info={"pii": "none"},
    )
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"),
        unique=True,
        info={"pii": "none"},
    )
    adoption_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("adoption_requests.id", ondelete="RESTRICT"),
        unique=True,
        info={"pii": "none"},
    )
    enquiry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enquiries.id", ondelete="RESTRICT"),
        unique=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    #: 经纪服务: the broker whose introduction led to the deal, and the broker's fee (万元).
    broker_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("broker_profiles.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    broker_fee_wan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 2), info={"pii": "financial"}
    )
    status: Mapped[DealStatus] = mapped_column(
        enum_column(DealStatus, "deal_status"),
        default=DealStatus.ACTIVE,
        index=True,
        info={"pii": "none"},
    )
    mode: Mapped[DealMode] = mapped_column(enum_column(DealMode, "deal_mode"), info={"pii": "none"})
    amount_wan: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), info={"pii": "financial"})
    payment_form: Mapped[PaymentForm] = mapped_column(
        enum_column(PaymentForm, "payment_form"), info={"pii": "internal"}
    )
    contract_number: Mapped[str | None] = mapped_column(
        sa.String(64), unique=True, info={"pii": "internal"}
    )  # 登记号
    signed_on: Mapped[date | None] = mapped_column(info={"pii": "none"})
    trial_start: Mapped[date | None] = mapped_column(info={"pii": "none"})
    trial_end: Mapped[date | None] = mapped_column(index=True, info={"pii": "none"})
    trial_outcome: Mapped[TrialOutcome | None] = mapped_column(
        enum_column(TrialOutcome, "trial_outcome"),
        info={"pii": "internal"},
    )
    trial_reminded_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    trial_overdue_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    termination_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    created_at: Mapped[created_at]
    closed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_org_id])
    client: Mapped[Organisation] = relationship(foreign_keys=[client_org_id])
    application: Mapped[Application | None] = relationship()
    adoption_request: Mapped[AdoptionRequest | None] = relationship()
    enquiry: Mapped[Enquiry | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    broker: Mapped[BrokerProfile | None] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", order_by="Milestone.position"
    )

    @property
    def has_trial(self) -> bool:
        """Whether this is a 先使用后付费 deal."""
        return self.payment_form == PaymentForm.USE_FIRST_PAY_LATER

    @property
    def party_org_ids(self) -> tuple[int, int]:
        """The two organisations (provider, client)."""
        return self.provider_org_id, self.client_org_id

    def __repr__(self) -> str:
        return f"<Deal {self.id} {self.status}>"


class Milestone(Base):
    """A delivery step of a deal, accepted (验收) by the client."""

    __tablename__ = "milestones"
    __table_args__ = (
        sa.UniqueConstraint("deal_id", "position"),
        sa.CheckConstraint(
            "status != 'rework' OR rework_reason IS NOT NULL", name="rework_has_reason"
        ),
    )

    id: Mapped[intpk]
    deal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("deals.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    position: Mapped[int] = mapped_column(info={"pii": "none"})
    title: Mapped[str] = mapped_column(sa.String(200), info={"pii": "internal"})
    due_on: Mapped[date] = mapped_column(info={"pii": "none"})
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column(MilestoneStatus, "milestone_status"),
        default=MilestoneStatus.PENDING,
        info={"pii": "none"},
    )
    note: Mapped[str] = mapped_column(
        sa.Text, default="", info={"pii": "internal"}
    )  # the solver's delivery note
    rework_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    submitted_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    accepted_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    created_at: Mapped[created_at]

    deal: Mapped[Deal] = relationship(back_populates="milestones")
    evidence: Mapped[list[MilestoneEvidence]] = relationship(
        back_populates="milestone", cascade="all, delete-orphan", order_by="MilestoneEvidence.id"
    )

    def __repr__(self) -> str:
        return f"<Milestone {self.id} {self.status}>"


class MilestoneEvidence(StoredFile, Base):
    """A delivery file (PDF or image) of a milestone, stored like listing attachments."""

    __tablename__ = "milestone_evidence"

    id: Mapped[intpk]
    milestone_id: Mapped[int] = mapped_column(
        sa.ForeignKey("milestones.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )

    milestone: Mapped[Milestone] = relationship(back_populates="evidence")

    def __repr__(self) -> str:
        return f"<MilestoneEvidence {self.id} {self.content_type}>"
