"""科技金融, the firm side: profiles (企业画像), consent to banks, the view log and the score.

What a firm declares lives on FirmProfile and FirmFinancialYear; what the platform knows about
it (needs, challenges, deals ...) is computed, never stored here. A bank sees a firm only
through an active ConsentGrant and only the scopes it names; every look is a ProfileView.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk, utcnow

if TYPE_CHECKING:
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.taxonomy import TechField
    from matchmaker.models.user import User


class FirmSize(enum.StrEnum):
    """企业规模 (工信部 划型标准)."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


FIRM_SIZE_LABELS: dict[str, Any] = {
    FirmSize.MICRO: _l("微型企业"),
    FirmSize.SMALL: _l("小型企业"),
    FirmSize.MEDIUM: _l("中型企业"),
    FirmSize.LARGE: _l("大型企业"),
}


class SpecialisedLevel(enum.StrEnum):
    """专精特新 status."""

    NONE = "none"
    SME = "sme"  # 省级专精特新中小企业
    LITTLE_GIANT = "little_giant"  # 国家级专精特新"小巨人"


SPECIALISED_LABELS: dict[str, Any] = {
    SpecialisedLevel.NONE: _l("否"),
    SpecialisedLevel.SME: _l("专精特新中小企业"),
    SpecialisedLevel.LITTLE_GIANT: _l("专精特新“小巨人”"),
}


class ConsentScope(enum.IntFlag):
    """What a firm lets banks see (a bit set stored in one integer column)."""

    BASIC = 1  # 基本信息: industry, size, region, founding year, key products, contact
    INNOVATION = 2  # 创新指标: certifications, patents, awards, R&D intensity, the score
    FINANCIALS = 4  # 财务数据: revenue and R&D spend by year
    ACTIVITY = 8  # 平台活动: needs, challenges, results adopted, deals, milestones


ALL_SCOPES = (
    ConsentScope.BASIC | ConsentScope.INNOVATION | ConsentScope.FINANCIALS | (ConsentScope.ACTIVITY)
)


class ViewAction(enum.StrEnum):
    """What a bank did with a firm's profile (shown to the firm)."""

    VIEW = "view"
    EXPORT = "export"
    SHORTLIST = "shortlist"
    LEAD = "lead"


class FirmProfile(Base):
    """企业画像: what an enterprise declares about itself, and its last computed score."""

    __tablename__ = "firm_profiles"
    __table_args__ = (
        sa.CheckConstraint("employees IS NULL OR employees >= 0", name="employees_not_negative"),
        sa.CheckConstraint(
            "founded_year IS NULL OR founded_year BETWEEN 1900 AND 2100", name="founded_year"
        ),
        sa.CheckConstraint(
            "patents_invention >= 0 AND patents_utility >= 0 AND patents_design >= 0 "
            "AND software_copyrights >= 0",
            name="patents_not_negative",
        ),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        unique=True,
        info={"pii": "none"},
    )
    field_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tech_fields.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )  # the industry, in the platform's key-industry taxonomy
    size: Mapped[FirmSize | None] = mapped_column(
        enum_column(FirmSize, "firm_size"), info={"pii": "internal"}
    )
    employees: Mapped[int | None] = mapped_column(info={"pii": "internal"})
    founded_year: Mapped[int | None] = mapped_column(info={"pii": "internal"})
    high_tech: Mapped[bool] = mapped_column(
        default=False, index=True, info={"pii": "internal"}
    )  # 高新技术企业
    high_tech_cert_no: Mapped[str | None] = mapped_column(sa.String(64), info={"pii": "internal"})
    high_tech_expires_on: Mapped[date | None] = mapped_column(info={"pii": "internal"})
    specialised: Mapped[SpecialisedLevel] = mapped_column(
        enum_column(SpecialisedLevel, "specialised_level"),
        default=SpecialisedLevel.NONE,
        info={"pii": "internal"},
    )
    specialised_cert_no: Mapped[str | None] = mapped_column(sa.String(64), info={"pii": "internal"})
    specialised_expires_on: Mapped[date | None] = mapped_column(info={"pii": "internal"})
    patents_invention: Mapped[int] = mapped_column(default=0, info={"pii": "internal"})
    patents_utility: Mapped[int] = mapped_column(default=0, info={"pii": "internal"})
    patents_design: Mapped[int] = mapped_column(default=0, info={"pii": "internal"})
    software_copyrights: Mapped[int] = mapped_column(default=0, info={"pii": "internal"})
    awards: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    key_products: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    contact_name: Mapped[str | None] = mapped_column(sa.String(64), info={"pii": "personal"})
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32), info={"pii": "contact"})
    contact_email: Mapped[str | None] = mapped_column(sa.String(255), info={"pii": "contact"})
    # the last computed 创新积分 (services/innovation_score.py), with the formula version
    score: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(6, 2), index=True, info={"pii": "financial"}
    )
    score_version: Mapped[int | None] = mapped_column(info={"pii": "none"})
    score_breakdown: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON, info={"pii": "financial"}
    )
    score_computed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    score_stale: Mapped[bool] = mapped_column(default=True, info={"pii": "none"})
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pii": "none"}
    )

    organisation: Mapped[Organisation] = relationship()
    field: Mapped[TechField | None] = relationship()
    years: Mapped[list[FirmFinancialYear]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="FirmFinancialYear.year"
    )

    def __repr__(self) -> str:
        return f"<FirmProfile {self.id} org={self.organisation_id}>"


class FirmFinancialYear(Base):
    """One year of declared financials (万元)."""

    __tablename__ = "firm_financial_years"
    __table_args__ = (
        sa.UniqueConstraint("profile_id", "year"),
        sa.CheckConstraint("revenue_wan >= 0 AND rd_spend_wan >= 0", name="not_negative"),
    )

    id: Mapped[intpk]
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("firm_profiles.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    year: Mapped[int] = mapped_column(info={"pii": "none"})
    revenue_wan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), info={"pii": "financial"})
    rd_spend_wan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), info={"pii": "financial"})

    profile: Mapped[FirmProfile] = relationship(back_populates="years")

    def __repr__(self) -> str:
        return f"<FirmFinancialYear {self.profile_id} {self.year}>"


class ConsentGrant(Base):
    """A firm's consent that banks may see some scopes of its profile until a date.

    At most one grant of a firm is live (not revoked, not expired): a new grant revokes the
    previous one. Rows are kept after revocation as the firm's consent history.
    """

    __tablename__ = "consent_grants"
    __table_args__ = (
        sa.CheckConstraint("scopes > 0 AND scopes < 16", name="scopes_range"),
        sa.CheckConstraint("expires_at > granted_at", name="expires_after_grant"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    scopes: Mapped[int] = mapped_column(info={"pii": "none"})
    granted_at: Mapped[datetime] = mapped_column(default=utcnow, info={"pii": "none"})
    expires_at: Mapped[datetime] = mapped_column(index=True, info={"pii": "none"})
    revoked_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    reminded_at: Mapped[datetime | None] = mapped_column(
        info={"pii": "none"}
    )  # the consent.expiring reminder was sent (once)
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )

    organisation: Mapped[Organisation] = relationship()
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

    @property
    def scope_flags(self) -> ConsentScope:
        """The scopes as a flag set."""
        return ConsentScope(self.scopes)

    def is_live(self, now: datetime) -> bool:
        """Not revoked and not yet expired at `now`."""
        return self.revoked_at is None and self.expires_at > now

    def __repr__(self) -> str:
        return f"<ConsentGrant {self.id} org={self.organisation_id} scopes={self.scopes}>"


class ProfileView(Base):
    """One bank user's look at (or export of) a firm's profile: the firm sees this log."""

    __tablename__ = "profile_views"
    __table_args__ = (sa.Index("ix_profile_views_firm_created", "firm_org_id", "created_at"),)

    id: Mapped[intpk]
    firm_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), info={"pii": "none"}
    )
    bank_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"pii": "none"}
    )
    action: Mapped[ViewAction] = mapped_column(
        enum_column(ViewAction, "view_action"), info={"pii": "none"}
    )
    scopes: Mapped[int] = mapped_column(
        info={"pii": "none"}
    )  # the scopes that were visible at the time
    grant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consent_grants.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]

    firm: Mapped[Organisation] = relationship(foreign_keys=[firm_org_id])
    bank: Mapped[Organisation] = relationship(foreign_keys=[bank_org_id])
    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ProfileView {self.id} {self.action} firm={self.firm_org_id}>"


class ScoreFormula(Base):
    """One version of the 创新积分 weights; the highest version is the one in force."""

    __tablename__ = "score_formulas"

    id: Mapped[intpk]
    version: Mapped[int] = mapped_column(unique=True, info={"pii": "none"})
    weights: Mapped[dict[str, Any]] = mapped_column(sa.JSON, info={"pii": "internal"})
    note: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "internal"})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    created_at: Mapped[created_at]

    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ScoreFormula v{self.version}>"
