"""科技金融, the credit side: loan products, financing needs, shortlists and leads (银企对接)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk, utcnow

if TYPE_CHECKING:
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.user import User


class ProductKind(enum.StrEnum):
    """Kinds of loan product for technology firms."""

    SCI_TECH = "sci_tech"  # 科创贷
    IP_PLEDGE = "ip_pledge"  # 知识产权质押贷
    USE_FIRST = "use_first"  # 先用后付贷 (finances a 先使用后付费 adoption)
    TALENT = "talent"  # 人才贷
    CREDIT = "credit"  # 信用贷 (unsecured)
    OTHER = "other"


class Collateral(enum.IntFlag):
    """Security offered by a firm or accepted by a product (a bit set)."""

    NONE = 0
    UNSECURED = 1  # 信用 (no collateral)
    IP_PLEDGE = 2  # 知识产权质押
    PROPERTY = 4  # 房产/设备抵押
    GUARANTEE = 8  # 担保
    RECEIVABLES = 16  # 应收账款质押


class ProductStatus(enum.StrEnum):
    """Life cycle of a loan product: draft → published ⇄ withdrawn."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class LoanProduct(Base):
    """A bank's loan product with its ranges and eligibility rules."""

    __tablename__ = "loan_products"
    __table_args__ = (
        sa.CheckConstraint(
            "amount_min_wan >= 0 AND amount_max_wan >= amount_min_wan", name="amount_range"
        ),
        sa.CheckConstraint(
            "term_min_months > 0 AND term_max_months >= term_min_months", name="term_range"
        ),
        sa.CheckConstraint("rate_min >= 0 AND rate_max >= rate_min", name="rate_range"),
        sa.CheckConstraint("min_score IS NULL OR min_score BETWEEN 0 AND 100", name="min_score"),
    )

    id: Mapped[intpk]
    bank_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    name: Mapped[str] = mapped_column(sa.String(120), info={"pii": "public"})
    kind: Mapped[ProductKind] = mapped_column(
        enum_column(ProductKind, "product_kind"), info={"pii": "none"}
    )
    description: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "public"})
    amount_min_wan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), info={"pii": "public"})
    amount_max_wan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), info={"pii": "public"})
    term_min_months: Mapped[int] = mapped_column(info={"pii": "public"})
    term_max_months: Mapped[int] = mapped_column(info={"pii": "public"})
    rate_min: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 2), info={"pii": "public"}
    )  # annual %, e.g. 3.45
    rate_max: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), info={"pii": "public"})
    # eligibility rules; an empty list / None / False means "no requirement"
    field_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list, info={"pii": "none"})
    min_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2), info={"pii": "public"})
    requires_high_tech: Mapped[bool] = mapped_column(default=False, info={"pii": "none"})
    requires_specialised: Mapped[bool] = mapped_column(default=False, info={"pii": "none"})
    collateral: Mapped[int] = mapped_column(
        default=int(Collateral.UNSECURED), info={"pii": "public"}
    )  # accepted
    status: Mapped[ProductStatus] = mapped_column(
        enum_column(ProductStatus, "product_status"),
        default=ProductStatus.DRAFT,
        index=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    published_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pii": "none"}
    )

    bank: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<LoanProduct {self.id} {self.kind} {self.status}>"


class FinancingStatus(enum.StrEnum):
    """Life cycle of a financing need: open → closed (satisfied or withdrawn)."""

    OPEN = "open"
    SATISFIED = "satisfied"
    CLOSED = "closed"


class FinancingNeed(Base):
    """融资需求: what an enterprise wants to borrow, for what, for how long, against what."""

    __tablename__ = "financing_needs"
    __table_args__ = (
        sa.CheckConstraint("amount_wan > 0", name="amount_positive"),
        sa.CheckConstraint("term_months > 0", name="term_positive"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    title: Mapped[str] = mapped_column(sa.String(120), info={"pii": "internal"})
    amount_wan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), info={"pii": "financial"})
    purpose: Mapped[str] = mapped_column(sa.Text, info={"pii": "internal"})
    term_months: Mapped[int] = mapped_column(info={"pii": "financial"})
    collateral: Mapped[int] = mapped_column(
        default=int(Collateral.UNSECURED), info={"pii": "financial"}
    )  # offered
    status: Mapped[FinancingStatus] = mapped_column(
        enum_column(FinancingStatus, "financing_status"),
        default=FinancingStatus.OPEN,
        index=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]
    closed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<FinancingNeed {self.id} {self.amount_wan} {self.status}>"


class ShortlistEntry(Base):
    """A firm on a bank's shortlist, with the bank's own note (never shown to the firm)."""

    __tablename__ = "shortlist_entries"
    __table_args__ = (sa.UniqueConstraint("bank_org_id", "firm_org_id"),)

    id: Mapped[intpk]
    bank_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    firm_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    note: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pii": "none"}
    )

    firm: Mapped[Organisation] = relationship(foreign_keys=[firm_org_id])

    def __repr__(self) -> str:
        return f"<ShortlistEntry bank={self.bank_org_id} firm={self.firm_org_id}>"


class LeadStatus(enum.StrEnum):
    """requested → accepted | declined; accepted → in_contact → approved | rejected;
    approved → disbursed. A bank may withdraw a request the firm has not answered."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"  # the firm said no
    WITHDRAWN = "withdrawn"  # the bank took the request back
    IN_CONTACT = "in_contact"
    APPROVED = "approved"  # 授信 (credit approved)
    REJECTED = "rejected"  # the bank declined credit, with a reason code
    DISBURSED = "disbursed"  # 放款


#: States in which a lead between a bank and a firm is still going (one at a time per pair).
LIVE_LEAD_STATES = frozenset(
    {LeadStatus.REQUESTED, LeadStatus.ACCEPTED, LeadStatus.IN_CONTACT, LeadStatus.APPROVED}
)


class CreditRejection(enum.StrEnum):
    """Reason codes for a bank's refusal of credit."""

    INSUFFICIENT_REVENUE = "insufficient_revenue"
    HIGH_LEVERAGE = "high_leverage"
    CREDIT_HISTORY = "credit_history"
    COLLATERAL = "collateral"
    OUTSIDE_POLICY = "outside_policy"  # industry or purpose outside the bank's policy
    INCOMPLETE = "incomplete"  # documents missing
    OTHER = "other"


CREDIT_REJECTION_LABELS: dict[str, Any] = {
    CreditRejection.INSUFFICIENT_REVENUE: _l("经营收入不足"),
    CreditRejection.HIGH_LEVERAGE: _l("负债率过高"),
    CreditRejection.CREDIT_HISTORY: _l("信用记录不符合要求"),
    CreditRejection.COLLATERAL: _l("担保条件不足"),
    CreditRejection.OUTSIDE_POLICY: _l("不在授信政策范围内"),
    CreditRejection.INCOMPLETE: _l("材料不完整"),
    CreditRejection.OTHER: _l("其他原因"),
}


class Lead(Base):
    """A bank's request to contact a firm, through to credit and disbursement."""

    __tablename__ = "leads"
    __table_args__ = (
        sa.CheckConstraint(
            "status NOT IN ('approved', 'disbursed') OR approved_amount_wan > 0",
            name="approved_has_amount",
        ),
        sa.CheckConstraint(
            "status != 'disbursed' OR disbursed_amount_wan > 0", name="disbursed_has_amount"
        ),
        sa.CheckConstraint(
            "status != 'rejected' OR rejection_reason IS NOT NULL", name="rejected_has_reason"
        ),
        sa.Index("ix_leads_bank_firm", "bank_org_id", "firm_org_id"),
    )

    id: Mapped[intpk]
    bank_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    firm_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("loan_products.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    financing_need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("financing_needs.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event_meetings.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    status: Mapped[LeadStatus] = mapped_column(
        enum_column(LeadStatus, "lead_status"),
        default=LeadStatus.REQUESTED,
        index=True,
        info={"pii": "none"},
    )
    message: Mapped[str] = mapped_column(
        sa.Text, default="", info={"pii": "internal"}
    )  # the bank's note to the firm
    firm_reply: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    approved_amount_wan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(14, 2), info={"pii": "financial"}
    )
    approved_product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("loan_products.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    disbursed_amount_wan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(14, 2), info={"pii": "financial"}
    )
    first_loan: Mapped[bool] = mapped_column(
        default=False, info={"pii": "financial"}
    )  # 首贷: the firm's first bank loan
    rejection_reason: Mapped[CreditRejection | None] = mapped_column(
        enum_column(CreditRejection, "credit_rejection"),
        info={"pii": "internal"},
    )
    rejection_note: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]
    answered_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    approved_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    disbursed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    closed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    bank: Mapped[Organisation] = relationship(foreign_keys=[bank_org_id])
    firm: Mapped[Organisation] = relationship(foreign_keys=[firm_org_id])
    product: Mapped[LoanProduct | None] = relationship(foreign_keys=[product_id])
    approved_product: Mapped[LoanProduct | None] = relationship(foreign_keys=[approved_product_id])
    financing_need: Mapped[FinancingNeed | None] = relationship()
    requested_by: Mapped[User | None] = relationship()

    @property
    def is_live(self) -> bool:
        """Whether the lead is still going."""
        return self.status in LIVE_LEAD_STATES

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.status}>"
