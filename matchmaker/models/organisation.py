"""Organisations: enterprises, universities, institutes, banks and government bodies."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk

if TYPE_CHECKING:
    from matchmaker.models.organisation_document import OrganisationDocument
    from matchmaker.models.user import User


class OrgKind(enum.StrEnum):
    """What an organisation is; decides the role of its members."""

    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"
    INSTITUTE = "institute"
    BANK = "bank"
    GOVERNMENT = "government"


class OrgStatus(enum.StrEnum):
    """Verification state: only verified organisations may publish."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


#: Kinds whose unified social credit code is mandatory (and checked).
CREDIT_CODE_REQUIRED = frozenset({OrgKind.ENTERPRISE, OrgKind.BANK})


class Organisation(Base):
    """A legal entity taking part in the market."""

    __tablename__ = "organisations"
    __table_args__ = (
        sa.CheckConstraint(
            "kind NOT IN ('enterprise', 'bank') OR credit_code IS NOT NULL",
            name="credit_code_required",
        ),
        sa.CheckConstraint(
            "status != 'verified' OR verified_at IS NOT NULL", name="verified_has_time"
        ),
    )

    id: Mapped[intpk]
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"), info={"pii": "none"})
    name: Mapped[str] = mapped_column(sa.String(200), info={"pii": "public"})
    credit_code: Mapped[str | None] = mapped_column(
        sa.String(18), unique=True, info={"pii": "public"}
    )
    region: Mapped[str] = mapped_column(sa.String(32), info={"pii": "none"})
    website: Mapped[str | None] = mapped_column(sa.String(255), info={"pii": "public"})
    description: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "public"})
    status: Mapped[OrgStatus] = mapped_column(
        enum_column(OrgStatus, "org_status"),
        default=OrgStatus.PENDING,
        index=True,
        info={"pii": "none"},
    )
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", use_alter=True, ondelete="SET NULL"),
        info={"pii": "none"},
    )
    verified_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    review_reason: Mapped[str | None] = mapped_column(sa.Text, info={"pii": "internal"})
    created_at: Mapped[created_at]

    members: Mapped[list[User]] = relationship(
        back_populates="organisation", foreign_keys="User.organisation_id"
    )
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    #: The 营业执照 / 法人证书 scan the organisation registered with (None for legacy rows).
    document: Mapped[OrganisationDocument | None] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_verified(self) -> bool:
        """Whether an admin has verified this organisation."""
        return self.status == OrgStatus.VERIFIED

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name!r}>"
