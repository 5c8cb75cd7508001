"""Expert profiles (专家/人才库): researchers of verified universities and institutes.

A profile is the third kind of public document beside results and needs: it goes through the
same review and expiry (services/talent/expert_states.py) and shows its contact with the same
staged disclosure. It is kept by the members of its organisation; `user_id` names the
researcher when they have an account (a TTO may keep profiles of researchers who have none).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk, utcnow

if TYPE_CHECKING:
    from matchmaker.models.listing import Result
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.taxonomy import TechField
    from matchmaker.models.user import User


class ExpertStatus(enum.StrEnum):
    """Life cycle of a profile (the same as a listing's; rejection sends it back to draft)."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


EXPERT_STATUS_LABELS: dict[str, Any] = {
    ExpertStatus.DRAFT: _l("草稿"),
    ExpertStatus.PENDING_REVIEW: _l("待审核"),
    ExpertStatus.PUBLISHED: _l("已发布"),
    ExpertStatus.WITHDRAWN: _l("已撤下"),
    ExpertStatus.EXPIRED: _l("已过期"),
}


class ExpertOffer(enum.IntFlag):
    """What an expert offers enterprises (a bit set stored in one integer column)."""

    CONSULTING = 1  # 技术咨询
    CO_DEVELOPMENT = 2  # 合作开发
    PART_TIME = 4  # 兼职/科技特派员
    TRAINING = 8  # 培训


#: The label of each offer, in the order forms and facets list them.
OFFER_LABELS: dict[ExpertOffer, Any] = {
    ExpertOffer.CONSULTING: _l("技术咨询"),
    ExpertOffer.CO_DEVELOPMENT: _l("合作开发"),
    ExpertOffer.PART_TIME: _l("兼职/科技特派员"),
    ExpertOffer.TRAINING: _l("培训"),
}

#: Offer facet keys (URL values) and their bits.
OFFER_KEYS: dict[str, ExpertOffer] = {
    "consulting": ExpertOffer.CONSULTING,
    "co_development": ExpertOffer.CO_DEVELOPMENT,
    "part_time": ExpertOffer.PART_TIME,
    "training": ExpertOffer.TRAINING,
}

#: Results an expert leads (linked, not retyped): only results of the expert's organisation.
expert_results = sa.Table(
    "expert_results",
    Base.metadata,
    sa.Column(
        "expert_id",
        sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"),
        primary_key=True,
        info={"pii": "none"},
    ),
    sa.Column(
        "result_id",
        sa.ForeignKey("results.id", ondelete="CASCADE"),
        primary_key=True,
        info={"pii": "none"},
    ),
)


class ExpertProfile(Base):
    """A researcher's public profile in the talent pool (人才库)."""

    __tablename__ = "expert_profiles"
    __table_args__ = (
        # the same person is listed once per organisation and unit (院系)
        sa.UniqueConstraint("organisation_id", "name", "unit"),
        sa.CheckConstraint("offers >= 0 AND offers < 16", name="offers_range"),
    )
    KIND = "expert"
    PUBLIC_STATES = frozenset({ExpertStatus.PUBLISHED})

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info={"pii": "none"},
    )
    #: The researcher's own account, when they have one.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        info={"pii": "none"},
    )
    status: Mapped[ExpertStatus] = mapped_column(
        enum_column(ExpertStatus, "expert_status"),
        default=ExpertStatus.DRAFT,
        index=True,
        info={"pii": "none"},
    )
    name: Mapped[str] = mapped_column(sa.String(100), info={"pii": "consented"})
    title: Mapped[str] = mapped_column(
        sa.String(100), default="", info={"pii": "consented"}
    )  # 职称
    unit: Mapped[str] = mapped_column(sa.String(200), default="", info={"pii": "consented"})  # 院系
    field_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tech_fields.id", ondelete="SET NULL"),
        index=True,
        info={"pii": "none"},
    )
    directions: Mapped[str] = mapped_column(
        sa.Text, default="", info={"pii": "consented"}
    )  # 研究方向
    keywords: Mapped[str] = mapped_column(sa.String(500), default="", info={"pii": "consented"})
    biography: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "consented"})
    patents: Mapped[list[str]] = mapped_column(sa.JSON, default=list, info={"pii": "consented"})
    offers: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    availability: Mapped[str] = mapped_column(sa.String(200), default="", info={"pii": "none"})
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="", info={"pii": "consented"})
    contact_email: Mapped[str] = mapped_column(
        sa.String(254), default="", info={"pii": "consented"}
    )
    #: True: the contact is shown to every signed-in user; False (default): to members of
    #: verified organisations only (the listings' staged disclosure). Never to visitors.
    contact_public: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), info={"pii": "none"}
    )
    #: The approved public version while an edit of a published profile waits for review
    #: (the public never sees unreviewed text); None when the live row is what is public.
    public_snapshot: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON, info={"pii": "consented"}
    )
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pii": "none"}
    )
    submitted_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    reviewed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    review_reason_code: Mapped[str | None] = mapped_column(sa.String(32), info={"pii": "internal"})
    review_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    published_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    expires_at: Mapped[datetime | None] = mapped_column(index=True, info={"pii": "none"})

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    field: Mapped[TechField | None] = relationship()
    results: Mapped[list[Result]] = relationship(secondary=expert_results, order_by="Result.id")

    @property
    def keyword_list(self) -> list[str]:
        """Keywords as a list."""
        return [k for k in (self.keywords or "").split(",") if k]

    @property
    def offer_flags(self) -> ExpertOffer:
        """The offers as flags."""
        return ExpertOffer(self.offers or 0)

    @property
    def offer_codes(self) -> list[str]:
        """The facet keys of the offers (see OFFER_KEYS)."""
        return [key for key, bit in OFFER_KEYS.items() if self.offer_flags & bit]

    @property
    def is_public(self) -> bool:
        """Whether the profile is on the public 人才 page."""
        return self.status in self.PUBLIC_STATES

    def __repr__(self) -> str:
        return f"<ExpertProfile {self.id} {self.status}>"
