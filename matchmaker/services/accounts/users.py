"""Account administration: admins, 科技局 readers, activation and session termination."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import Organisation, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, Role, can_manage_user, has_permission
from matchmaker.services.accounts import api_tokens
from matchmaker.services.accounts.accounts import (
    find_user_by_email,
    make_reset_token,
    normalise_email,
)
from matchmaker.services.accounts.passwords import hash_password, password_problem
from matchmaker.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.mail import send_email


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


def create_bureau_user(
    *,
    actor: User | None,
    email: str,
    name: str,
    password: str | None = None,
    link_for: Callable[[str], str] | None = None,
) -> User:
    """Create a read-only 科技局 account (no organisation): by an admin, on the command line
    (actor None) or by the demo seed (with a password). Without a password nobody can log in
    until the person sets one through a reset link (accounts.make_reset_token); with
    `link_for` the link is e-mailed to them."""
    if actor is not None and not has_permission(actor, Permission.USER_MANAGE):
        raise PermissionDenied
    address = normalise_email(email)
    errors: dict[str, str] = {}
    if "@" not in address or len(address) > 254:
        errors["email"] = _("请填写有效的邮箱地址。")
    elif find_user_by_email(address) is not None:
        errors["email"] = _("这个邮箱已经注册过了。")
    if len(name.strip()) > 100:
        errors["name"] = _("姓名不能超过 100 个字符。")
    if password is not None:
        problem = password_problem(password, context=(address.split("@")[0],))
        if problem:
            errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=address,
        name=(name.strip() or address)[:100],
        password_hash=hash_password(password or secrets.token_urlsafe(32)),
        role=Role.BUREAU,
        organisation=None,
        password_changed_at=utcnow(),
        email_verified_at=utcnow(),  # the address was given by an operator
    )
    db.session.add(user)
    db.session.flush()
    record_audit(actor=actor, action="user.create_bureau", object_type="user", object_id=user.id)
    if link_for is not None:
        minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
        body = _(
            "你好，%(name)s：\n\n平台已为你开通科技局只读账号（%(email)s），可查看数据看板和月度报告。"
            "请在 %(minutes)d 分钟内打开下面的链接设置密码：\n%(link)s\n\n"
            "链接过期后，可在登录页点击“忘记密码”重新获取。",
            name=user.name,
            email=user.email,
            minutes=minutes,
            link=link_for(make_reset_token(user)),
        )
        send_email(to=user.email, subject=_("你的科技局只读账号已开通"), body=body)
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
