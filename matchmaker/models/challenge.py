"""揭榜挂帅: challenges on needs, applications and the results-conversion list.

The status of a challenge lives on `Need.status` (NeedStatus already holds the challenge
states): one need has at most one challenge, and the public lists, the publication read
model and listing expiry all key off the need's status, so a second status column on the
challenge could only drift from it. A challenge row holds the terms fixed at publication.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk, utcnow
from matchmaker.models.deal import PaymentForm
from matchmaker.models.listing import MODE_LABELS, Mode
from matchmaker.models.stored_file import StoredFile

if TYPE_CHECKING:
    from matchmaker.models.listing import Need, Result
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.panel import PanelMember, Score
    from matchmaker.models.user import User


class Visibility(enum.StrEnum):
    """Who may apply to a challenge."""

    PUBLIC = "public"
    INVITE_ONLY = "invite_only"


class IpOwnership(enum.StrEnum):
    """Who owns the IP of the solution (fixed before anyone applies)."""

    OWNER = "owner"  # 发榜方所有
    SOLVER = "solver"  # 揭榜方所有
    SHARED = "shared"  # 双方共有
    NEGOTIABLE = "negotiable"  # 协商确定


class LicenceKind(enum.StrEnum):
    """The licence the non-owning side receives."""

    NONE = "none"
    EXCLUSIVE = "exclusive"
    NON_EXCLUSIVE = "non_exclusive"
    OPEN = "open"


#: The licences are labelled as the licence modes of a result are.
LICENCE_LABELS: dict[str, Any] = {
    LicenceKind.NONE: _l("不另行许可"),
    LicenceKind.EXCLUSIVE: MODE_LABELS[Mode.LICENSE_EXCLUSIVE],
    LicenceKind.NON_EXCLUSIVE: MODE_LABELS[Mode.LICENSE_NON_EXCLUSIVE],
    LicenceKind.OPEN: MODE_LABELS[Mode.LICENSE_OPEN],
}


class ApplicationStatus(enum.StrEnum):
    """Life cycle of an application; transitions in services/challenges.py."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    SHORTLISTED = "shortlisted"
    FINALIST = "finalist"
    SELECTED = "selected"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


#: Applications still in the race (count towards "one live application per organisation").
LIVE_APPLICATION_STATES = frozenset(
    {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.SHORTLISTED,
        ApplicationStatus.FINALIST,
        ApplicationStatus.SELECTED,
    }
)


class DeclineReason(enum.StrEnum):
    """Why an application was declined (shown to the applicant with the free text)."""

    IMMATURE = "immature"  # 方案不成熟
    INDICATORS_UNMET = "indicators_unmet"  # 指标不满足
    PRICE_TOO_HIGH = "price_too_high"  # 报价过高
    IP_UNCLEAR = "ip_unclear"  # 知识产权不清
    UNCLEAR = "unclear"  # 描述不清
    OTHER = "other"  # 其他


class OfferStatus(enum.StrEnum):
    """Whether a result on the conversion list takes adoption requests."""

    OPEN = "open"
    CLOSED = "closed"


class AdoptionStatus(enum.StrEnum):
    """Life cycle of a request to adopt a result from the conversion list."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ChallengeKind(enum.StrEnum):
    """A 榜单 (a need put up for solvers) or a 场景 (an application scenario: a real site offered
    to try a technology on, published by a government admin for the scenario's owner)."""

    CHALLENGE = "challenge"
    SCENARIO = "scenario"


class Challenge(Base):
    """A challenge (榜) published on an open need, with its terms fixed up front."""

    __tablename__ = "challenges"
    __table_args__ = (
        sa.CheckConstraint("bounty_wan >= 0", name="bounty_not_negative"),
        sa.CheckConstraint(
            "weight_feasibility >= 0 AND weight_maturity >= 0 AND weight_price >= 0 "
            "AND weight_team >= 0 AND "
            "weight_feasibility + weight_maturity + weight_price + weight_team > 0",
            name="weights_valid",
        ),
    )

    id: Mapped[intpk]
    need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"), unique=True, info={"pii": "none"}
    )
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    bounty_wan: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, 2), default=0, info={"pii": "public"}
    )  # 0 = 面议
    deadline_at: Mapped[datetime] = mapped_column(
        index=True, info={"pii": "none"}
    )  # applications close
    success_criteria: Mapped[str] = mapped_column(sa.Text, info={"pii": "public"})
    deliverables: Mapped[str] = mapped_column(sa.Text, info={"pii": "public"})
    ip_ownership: Mapped[IpOwnership] = mapped_column(
        enum_column(IpOwnership, "ip_ownership"), info={"pii": "public"}
    )
    ip_licence: Mapped[LicenceKind] = mapped_column(
        enum_column(LicenceKind, "licence_kind"),
        default=LicenceKind.NONE,
        info={"pii": "public"},
    )
    payment_form: Mapped[PaymentForm] = mapped_column(
        enum_column(PaymentForm, "challenge_payment_form"),
        info={"pii": "public"},
    )
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "challenge_visibility"),
        default=Visibility.PUBLIC,
        info={"pii": "none"},
    )
    has_panel: Mapped[bool] = mapped_column(default=False, info={"pii": "none"})
    is_government: Mapped[bool] = mapped_column(
        default=False, info={"pii": "none"}
    )  # 政府榜 (every 场景 is one)
    kind: Mapped[ChallengeKind] = mapped_column(
        enum_column(ChallengeKind, "challenge_kind"),
        default=ChallengeKind.CHALLENGE,
        index=True,
        info={"pii": "none"},
    )
    scenario_owner: Mapped[str] = mapped_column(
        sa.String(200), default="", info={"pii": "public"}
    )  # 场景方 (a hospital)
    scenario_site: Mapped[str] = mapped_column(
        sa.String(200), default="", info={"pii": "public"}
    )  # where the site is
    weight_feasibility: Mapped[int] = mapped_column(default=30, info={"pii": "public"})
    weight_maturity: Mapped[int] = mapped_column(default=25, info={"pii": "public"})
    weight_price: Mapped[int] = mapped_column(default=20, info={"pii": "public"})
    weight_team: Mapped[int] = mapped_column(default=25, info={"pii": "public"})
    status_reason: Mapped[str | None] = mapped_column(
        sa.Text, info={"pii": "public"}
    )  # why unawarded / terminated
    # the platform's review (政府榜, or a need edited since its own review): see
    # services/challenges/challenge_review.py; the codes are the listings' ReviewReason
    submitted_at: Mapped[datetime | None] = mapped_column(
        info={"pii": "none"}
    )  # last sent for review
    reviewed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    review_reason_code: Mapped[str | None] = mapped_column(sa.String(32), info={"pii": "internal"})
    review_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    published_at: Mapped[datetime] = mapped_column(
        default=utcnow, info={"pii": "none"}
    )  # went public (approved)
    closed_at: Mapped[datetime | None] = mapped_column(
        info={"pii": "none"}
    )  # application window closed
    awarded_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    solved_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    need: Mapped[Need] = relationship()
    published_by: Mapped[User | None] = relationship()
    invitations: Mapped[list[ChallengeInvitation]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="ChallengeInvitation.id"
    )
    applications: Mapped[list[Application]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="Application.id"
    )
    panel_members: Mapped[list[PanelMember]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="PanelMember.id"
    )

    @property
    def organisation_id(self) -> int:
        """The owner organisation (the need's)."""
        return self.need.organisation_id

    @property
    def status(self) -> str:
        """The challenge's state, which is its need's status."""
        return str(self.need.status)

    @property
    def weights(self) -> dict[str, int]:
        """Scoring weights by criterion."""
        return {
            "feasibility": self.weight_feasibility,
            "maturity": self.weight_maturity,
            "price": self.weight_price,
            "team": self.weight_team,
        }

    def is_accepting(self, now: datetime) -> bool:
        """Whether the application window is open at `now`."""
        return self.need.status == "open" and now < self.deadline_at

    def __repr__(self) -> str:
        return f"<Challenge {self.id} need={self.need_id}>"


class ChallengeInvitation(Base):
    """An organisation invited to apply to a challenge."""

    __tablename__ = "challenge_invitations"
    __table_args__ = (sa.UniqueConstraint("challenge_id", "organisation_id"),)

    id: Mapped[intpk]
    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenges.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]

    challenge: Mapped[Challenge] = relationship(back_populates="invitations")
    organisation: Mapped[Organisation] = relationship()


class Application(Base):
    """揭榜申请: an organisation's proposal to solve a challenge.

    One row per organisation and challenge (a unique constraint, portable everywhere); a
    withdrawn application is reopened as a draft on the same row, so "one live application"
    needs no partial index and its whole history stays on one audited object id.
    """

    __tablename__ = "applications"
    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "organisation_id"),
        sa.CheckConstraint("trl IS NULL OR (trl >= 1 AND trl <= 9)", name="trl_range"),
        sa.CheckConstraint("price_wan IS NULL OR price_wan >= 0", name="price_not_negative"),
        sa.CheckConstraint(
            "status != 'declined' OR decline_reason_code IS NOT NULL", name="declined_has_reason"
        ),
    )

    id: Mapped[intpk]
    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenges.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    source_result_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("results.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"),
        default=ApplicationStatus.DRAFT,
        index=True,
        info={"pii": "none"},
    )
    approach: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    indicators: Mapped[str] = mapped_column(
        sa.Text, default="", info={"pii": "internal"}
    )  # expected vs criteria
    trl: Mapped[int | None] = mapped_column(info={"pii": "none"})
    plan: Mapped[list[dict[str, Any]]] = mapped_column(
        sa.JSON, default=list, info={"pii": "internal"}
    )  # milestones
    team: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    price_wan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 2), info={"pii": "financial"}
    )  # None = 面议
    terms: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    decline_reason_code: Mapped[DeclineReason | None] = mapped_column(
        enum_column(DeclineReason, "decline_reason"),
        info={"pii": "internal"},
    )
    decline_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pii": "none"}
    )
    submitted_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    decided_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    challenge: Mapped[Challenge] = relationship(back_populates="applications")
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    source_result: Mapped[Result | None] = relationship()
    scores: Mapped[list[Score]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Score.id"
    )
    attachments: Mapped[list[ApplicationAttachment]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationAttachment.id",
    )

    @property
    def is_live(self) -> bool:
        """Whether the application is still in the race (or is the winner)."""
        return self.status in LIVE_APPLICATION_STATES

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.status}>"


class ApplicationAttachment(StoredFile, Base):
    """A file (PDF or image) attached to an application, stored like listing attachments."""

    __tablename__ = "application_attachments"

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )

    application: Mapped[Application] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<ApplicationAttachment {self.id} {self.content_type}>"


class ConversionOffer(Base):
    """A listed result on the 高校科研院所成果转化榜单, with its terms."""

    __tablename__ = "conversion_offers"
    __table_args__ = (
        sa.CheckConstraint("price_wan IS NULL OR price_wan >= 0", name="price_not_negative"),
        sa.CheckConstraint("modes > 0 AND modes < 128", name="modes_range"),
        sa.CheckConstraint("trial_months IS NULL OR trial_months > 0", name="trial_positive"),
    )

    id: Mapped[intpk]
    result_id: Mapped[int] = mapped_column(
        sa.ForeignKey("results.id", ondelete="CASCADE"),
        unique=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    status: Mapped[OfferStatus] = mapped_column(
        enum_column(OfferStatus, "offer_status"),
        default=OfferStatus.OPEN,
        index=True,
        info={"pii": "none"},
    )
    modes: Mapped[int] = mapped_column(info={"pii": "none"})  # Mode flags offered on the list
    price_wan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 2), info={"pii": "public"}
    )  # None = 面议
    trial_months: Mapped[int | None] = mapped_column(
        info={"pii": "public"}
    )  # 先使用后付费 trial length; None = no trial
    trial_terms: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "public"})
    published_at: Mapped[datetime] = mapped_column(default=utcnow, info={"pii": "none"})
    closed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    result: Mapped[Result] = relationship()
    adoption_requests: Mapped[list[AdoptionRequest]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="AdoptionRequest.id"
    )

    @property
    def organisation_id(self) -> int:
        """The offering organisation (the result's)."""
        return self.result.organisation_id

    def __repr__(self) -> str:
        return f"<ConversionOffer {self.id} {self.status}>"


class AdoptionRequest(Base):
    """An enterprise's request to adopt a result from the conversion list (one row per org)."""

    __tablename__ = "adoption_requests"
    __table_args__ = (sa.UniqueConstraint("offer_id", "organisation_id"),)

    id: Mapped[intpk]
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversion_offers.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    status: Mapped[AdoptionStatus] = mapped_column(
        enum_column(AdoptionStatus, "adoption_status"),
        default=AdoptionStatus.SUBMITTED,
        index=True,
        info={"pii": "none"},
    )
    intended_use: Mapped[str] = mapped_column(sa.Text, info={"pii": "internal"})
    scale: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    preferred_terms: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    wants_trial: Mapped[bool] = mapped_column(default=False, info={"pii": "none"})
    decision_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    created_at: Mapped[created_at]
    decided_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    offer: Mapped[ConversionOffer] = relationship(back_populates="adoption_requests")
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AdoptionRequest {self.id} {self.status}>"
