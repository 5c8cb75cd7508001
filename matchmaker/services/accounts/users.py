"""Account administration: admins, activation and session termination."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import Organisation, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import Role, can_manage_user
from matchmaker.services.accounts import api_tokens
from matchmaker.services.accounts.accounts import find_user_by_email, normalise_email
from matchmaker.services.accounts.passwords import hash_password, password_problem
from matchmaker.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit


def create_admin(
    *, email: str, password: str, name: str, organisation: Organisation | None = None
) -> User:
    """Create a platform administrator (CLI only; there are no default accounts)."""
    errors: dict[str, str] = {}
    if find_user_by_email(email) is not None:
        errors["email"] = _("这个邮箱已经注册过了。")
    problem = password_problem(password, context=(normalise_email(email).split("@")[0],))
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=normalise_email(email),
        name=name.strip() or email,
        password_hash=hash_password(password),
        role=Role.ADMIN,
        organisation=organisation,
        password_changed_at=utcnow(),
        email_verified_at=utcnow(),  # created by an operator on the command line
    )
    db.session.add(user)
    db.session.flush()
    record_audit(actor=None, action="user.create_admin", object_type="user", object_id=user.id)
    return user


def set_user_active(*, actor: User, user: User, active: bool, reason: str | None = None) -> None:
    """Activate or deactivate an account; deactivation ends its sessions at once."""
    if not can_manage_user(actor, user):
        raise PermissionDenied
    if user.is_active == active:
        raise InvalidTransition(_("账号已经是这个状态。"))
    user.is_active = active
    if not active:
        user.end_sessions()
        api_tokens.revoke_all(user=user)  # tokens end with the account, for good
    record_audit(
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=user.id,
        before={"is_active": not active},
        after={"is_active": active},
        reason=(reason or "").strip() or None,
    )


def terminate_sessions(*, actor: User, user: User) -> None:
    """End every session of a user (they must log in again)."""
    if not can_manage_user(actor, user):
        raise PermissionDenied
    user.end_sessions()
    api_tokens.revoke_all(user=user)
    record_audit(
        actor=actor, action="user.terminate_sessions", object_type="user", object_id=user.id
    )


def logout_everywhere(*, user: User) -> None:
    """Logging out ends the session for every cookie issued so far."""
    user.end_sessions()


def users_query(
    *, q: str | None = None, role: str | None = None, active: str | None = None
) -> sa.Select:
    """Users for the admin list, newest first."""
    stmt = sa.select(User).options(selectinload(User.organisation))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == role)
    if active in ("1", "0"):
        stmt = stmt.where(User.is_active.is_(active == "1"))
    if q:
        like = f"%{q.strip()[:100]}%"
        stmt = stmt.where(sa.or_(User.email.ilike(like), User.name.ilike(like)))
    return stmt.order_by(User.created_at.desc(), User.id.desc())
