"""Listings: research results (科技成果) and enterprise technical needs (企业技术需求)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk, utcnow

if TYPE_CHECKING:
    from matchmaker.models.attachment import Attachment
    from matchmaker.models.organisation import Organisation
    from matchmaker.models.publication import Publication
    from matchmaker.models.taxonomy import TechField
    from matchmaker.models.user import User


class ResultStatus(enum.StrEnum):
    """Life cycle of a result; see services/listings.py for the transitions."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    LISTED = "listed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    TRANSFERRED = "transferred"


class NeedStatus(enum.StrEnum):
    """Life cycle of a need; the challenge states are used by the 揭榜挂帅 workflow."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    OPEN = "open"
    EVALUATING = "evaluating"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    IN_PROGRESS = "in_progress"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    UNAWARDED = "unawarded"
    TERMINATED = "terminated"
    # a challenge (榜) on the need waiting for the platform's review, or sent back by it
    CHALLENGE_REVIEW = "challenge_review"
    CHALLENGE_RETURNED = "challenge_returned"


class ReviewReason(enum.StrEnum):
    """Why a reviewer sent a listing or a challenge back (shown to the owner with the text)."""

    UNCLEAR = "unclear"  # 描述不清
    WRONG_FIELD = "wrong_field"  # 领域不符
    INCOMPLETE = "incomplete"  # 信息不全
    DUPLICATE = "duplicate"  # 疑似重复
    OTHER = "other"  # 其他


REVIEW_REASON_LABELS: dict[str, Any] = {
    ReviewReason.UNCLEAR: _l("描述不清"),
    ReviewReason.WRONG_FIELD: _l("领域不符"),
    ReviewReason.INCOMPLETE: _l("信息不全"),
    ReviewReason.DUPLICATE: _l("疑似重复"),
    ReviewReason.OTHER: _l("其他"),
}


class Mode(enum.IntFlag):
    """Transaction modes a result offers (a bit set stored in one integer column)."""

    TRANSFER = 1  # 转让
    LICENSE_EXCLUSIVE = 2  # 独占许可
    LICENSE_NON_EXCLUSIVE = 4  # 普通许可
    LICENSE_OPEN = 8  # 开放许可
    EQUITY = 16  # 作价投资
    COOPERATION = 32  # 合作开发
    USE_FIRST_PAY_LATER = 64  # 先使用后付费


#: The label of each mode, in the order forms and exports list them.
MODE_LABELS = {
    Mode.TRANSFER: _l("转让"),
    Mode.LICENSE_EXCLUSIVE: _l("独占许可"),
    Mode.LICENSE_NON_EXCLUSIVE: _l("普通许可"),
    Mode.LICENSE_OPEN: _l("开放许可"),
    Mode.EQUITY: _l("作价投资"),
    Mode.COOPERATION: _l("合作开发"),
    Mode.USE_FIRST_PAY_LATER: _l("先使用后付费"),
}

#: The facet groups of the modes (许可 covers the three kinds of licence).
MODE_GROUPS: dict[str, int] = {
    "transfer": Mode.TRANSFER,
    "license": Mode.LICENSE_EXCLUSIVE | Mode.LICENSE_NON_EXCLUSIVE | Mode.LICENSE_OPEN,
    "equity": Mode.EQUITY,
    "cooperation": Mode.COOPERATION,
    "use_first": Mode.USE_FIRST_PAY_LATER,
}


class Stage(enum.StrEnum):
    """Maturity stage names, derived from the TRL."""

    LAB = "lab"  # 实验室 TRL 1-3
    SMALL_PILOT = "small_pilot"  # 小试 TRL 4-5
    PILOT = "pilot"  # 中试 TRL 6-7
    INDUSTRIAL = "industrial"  # 产业化 TRL 8-9


STAGE_LABELS: dict[str, Any] = {
    Stage.LAB: _l("实验室"),
    Stage.SMALL_PILOT: _l("小试"),
    Stage.PILOT: _l("中试"),
    Stage.INDUSTRIAL: _l("产业化"),
}


def stage_for_trl(trl: int | None) -> Stage | None:
    """The stage name of a technology readiness level."""
    if trl is None:
        return None
    if trl <= 3:
        return Stage.LAB
    if trl <= 5:
        return Stage.SMALL_PILOT
    if trl <= 7:
        return Stage.PILOT
    return Stage.INDUSTRIAL


#: TRL ranges of each stage, for filtering.
STAGE_TRL = {
    Stage.LAB: (1, 3),
    Stage.SMALL_PILOT: (4, 5),
    Stage.PILOT: (6, 7),
    Stage.INDUSTRIAL: (8, 9),
}
#: The status of a patent a result lists (Result.patents: [{"number", "status"}]).
PATENT_STATUS_LABELS: dict[str, Any] = {
    "granted": _l("已授权"),
    "applied": _l("申请中"),
    "expired": _l("已失效"),
}


class ListingMixin:
    """Columns and behaviour shared by results and needs."""

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(200), info={"pii": "public"})
    keywords: Mapped[str] = mapped_column(sa.String(500), default="", info={"pii": "public"})
    region: Mapped[str] = mapped_column(sa.String(32), info={"pii": "none"})
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="", info={"pii": "personal"})
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="", info={"pii": "contact"})
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="", info={"pii": "contact"})
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pii": "none"}
    )
    submitted_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    reviewed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    review_reason_code: Mapped[str | None] = mapped_column(sa.String(32), info={"pii": "internal"})
    review_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    published_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    confirmed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    expires_at: Mapped[datetime | None] = mapped_column(index=True, info={"pii": "none"})
    reminded_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    @declared_attr
    def organisation_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(
            sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
        )

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), info={"pii": "none"})

    @declared_attr
    def field_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(
            sa.ForeignKey("tech_fields.id", ondelete="SET NULL"), index=True, info={"pii": "none"}
        )

    @declared_attr
    def organisation(cls) -> Mapped[Organisation]:  # noqa: N805
        return relationship()

    @declared_attr
    def created_by(cls) -> Mapped[User | None]:  # noqa: N805
        return relationship()

    @declared_attr
    def field(cls) -> Mapped[TechField | None]:  # noqa: N805
        return relationship()

    @property
    def keyword_list(self) -> list[str]:
        """Keywords as a list."""
        return [k for k in (self.keywords or "").split(",") if k]

    @property
    def has_public_version(self) -> bool:
        """Whether an approved version is on the public lists (possibly while under re-review)."""
        return self.publication is not None  # type: ignore[attr-defined]


class Result(ListingMixin, Base):
    """A research result listed in the technology results supermarket."""

    __tablename__ = "results"
    __table_args__ = (
        sa.CheckConstraint("trl IS NULL OR (trl >= 1 AND trl <= 9)", name="trl_range"),
        sa.CheckConstraint("price_wan IS NULL OR price_wan >= 0", name="price_not_negative"),
        sa.CheckConstraint("modes >= 0 AND modes < 128", name="modes_range"),
    )
    KIND = "result"
    PUBLIC_STATES = frozenset({ResultStatus.LISTED})

    status: Mapped[ResultStatus] = mapped_column(
        enum_column(ResultStatus, "result_status"),
        default=ResultStatus.DRAFT,
        index=True,
        info={"pii": "none"},
    )
    summary: Mapped[str] = mapped_column(sa.String(500), info={"pii": "public"})
    description: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "public"})
    trl: Mapped[int | None] = mapped_column(info={"pii": "none"})
    patents: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, info={"pii": "public"}
    )
    software_copyrights: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, info={"pii": "public"}
    )
    modes: Mapped[int] = mapped_column(default=0, info={"pii": "none"})
    trial_terms: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "public"})
    price_wan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 2), info={"pii": "public"}
    )  # None = 面议
    team: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "public"})

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="result", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    publication: Mapped[Publication | None] = relationship(
        back_populates="result", cascade="all, delete-orphan"
    )

    @property
    def stage(self) -> Stage | None:
        """Maturity stage derived from the TRL."""
        return stage_for_trl(self.trl)

    @property
    def mode_flags(self) -> Mode:
        """The offered modes as flags."""
        return Mode(self.modes or 0)

    def __repr__(self) -> str:
        return f"<Result {self.id} {self.status}>"


class Need(ListingMixin, Base):
    """An enterprise's technical need (and, later, the challenge published on it)."""

    __tablename__ = "needs"
    __table_args__ = (sa.CheckConstraint("budget_wan >= 0", name="budget_not_negative"),)
    KIND = "need"
    PUBLIC_STATES = frozenset({NeedStatus.OPEN})

    status: Mapped[NeedStatus] = mapped_column(
        enum_column(NeedStatus, "need_status"),
        default=NeedStatus.DRAFT,
        index=True,
        info={"pii": "none"},
    )
    description: Mapped[str] = mapped_column(sa.Text, info={"pii": "public"})
    targets: Mapped[str] = mapped_column(sa.Text, default="", info={"pii": "public"})  # 预期目标
    existing_base: Mapped[str] = mapped_column(
        sa.Text, default="", info={"pii": "public"}
    )  # 现有工作基础
    budget_wan: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, 2), default=0, info={"pii": "public"}
    )  # 0 = 面议
    deadline: Mapped[date | None] = mapped_column(info={"pii": "none"})

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="need", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    publication: Mapped[Publication | None] = relationship(
        back_populates="need", cascade="all, delete-orphan"
    )

    @property
    def summary(self) -> str:
        """The first 200 characters of the description (needs have no separate summary)."""
        return (self.description or "")[:200]

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.status}>"


Listing = Result | Need
ListingModel = type[Result] | type[Need]

#: The one map from a listing kind ("result", "need") to its model.
LISTING_MODELS: dict[str, ListingModel] = {Result.KIND: Result, Need.KIND: Need}


def listing_model(kind: str) -> ListingModel:
    """The model of a listing kind ("result" or "need"); KeyError for any other."""
    return LISTING_MODELS[kind]
