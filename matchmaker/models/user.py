"""People who log in, and invitations to join an organisation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, created_at, enum_column, intpk
from matchmaker.permissions import Role

if TYPE_CHECKING:
    from matchmaker.models.organisation import Organisation


class User(UserMixin, Base):
    """An account; belongs to at most one organisation (admins may have none)."""

    __tablename__ = "users"
    __table_args__ = (
        # a broker (技术经纪人) is no member: BrokerProfile says where it works; a 科技局
        # reader (bureau) is a government officer with no organisation on the platform
        sa.CheckConstraint(
            "role IN ('admin', 'broker', 'bureau') OR organisation_id IS NOT NULL",
            name="member_has_org",
        ),
        sa.CheckConstraint("session_version >= 1", name="session_version_positive"),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, info={"pii": "contact"})
    name: Mapped[str] = mapped_column(sa.String(100), info={"pii": "personal"})
    phone: Mapped[str | None] = mapped_column(sa.String(32), info={"pii": "contact"})
    password_hash: Mapped[str] = mapped_column(sa.String(255), info={"pii": "secret"})
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"), info={"pii": "none"})
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True, info={"pii": "none"}
    )
    is_active: Mapped[bool] = mapped_column(default=True, info={"pii": "none"})
    locale: Mapped[str | None] = mapped_column(sa.String(16), info={"pii": "personal"})
    session_version: Mapped[int] = mapped_column(default=1, info={"pii": "none"})
    created_at: Mapped[created_at]
    last_login_at: Mapped[datetime | None] = mapped_column(info={"pii": "personal"})
    password_changed_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    #: When the user opened the verification link mailed at sign-up (None: not yet verified).
    email_verified_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    #: When the user last opened 我的榜单: applications submitted since then count as new.
    challenges_seen_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})
    #: Codes of the e-mail groups the user does not want (services.notifications.EMAIL_GROUPS).
    email_opt_out: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default="[]", info={"pii": "personal"}
    )
    #: 大字模式 (适老化): pages render with larger text for this user (issue 19).
    large_text: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), info={"pii": "personal"}
    )
    #: Second factor (issue 17, services/accounts/mfa.py): the TOTP secret (base32), set when
    #: enrolment is confirmed (a valid code seen), with `totp_enabled_at`. Stored sealed
    #: (services/platform/sealing.py): `fernet:…`, never the seed itself.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255), info={"pii": "secret"})
    totp_enabled_at: Mapped[datetime | None] = mapped_column(info={"pii": "security"})
    #: The time step (unix time // 30) of the last accepted code: a code of that step or an
    #: earlier one is refused (replay).
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger, info={"pii": "security"})

    organisation: Mapped[Organisation | None] = relationship(
        back_populates="members", foreign_keys=[organisation_id]
    )

    def get_id(self) -> str:
        """Flask-Login identity: id plus session version, so bumping the version ends sessions."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Invalidate every cookie issued so far (logout, password change, disable)."""
        self.session_version = (self.session_version or 1) + 1

    @property
    def is_email_verified(self) -> bool:
        """Whether the user has confirmed their e-mail address."""
        return self.email_verified_at is not None

    @property
    def has_totp(self) -> bool:
        """Whether the account's second factor (TOTP) is on."""
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def is_admin(self) -> bool:
        """Whether the user is a platform administrator."""
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Invitation(Base):
    """An invitation for a person to join an existing organisation."""

    __tablename__ = "invitations"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True, info={"pii": "none"}
    )
    email: Mapped[str] = mapped_column(sa.String(254), info={"pii": "contact"})
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"pii": "secret"})
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"pii": "none"}
    )
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(info={"pii": "none"})
    accepted_at: Mapped[datetime | None] = mapped_column(info={"pii": "none"})

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship()
