"""Personal access tokens for the JSON API: create (the secret shown once), list, revoke, and
authenticate a bearer secret. Only the SHA-256 hash of a secret is stored.

A token stops working when it expires or is revoked, when its user is disabled, when the
password changes after it was made, and when an admin ends the user's sessions (these two
revoke every token, so reactivating an account does not bring its tokens back).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import ApiToken, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import Role, can_publish
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.platform.audit import record_audit

SCOPES = ("read", "write")
#: The areas a token may be limited to ("read:deals", "write:market"): an operation belongs to
#: one area, and a token works for it with the bare action ("read") or the action on that area.
AREAS = ("market", "challenges", "deals", "connect", "directory", "finance", "stats")
#: Roles whose users have something in the finance area (firm profiles, loans, leads).
FINANCE_ROLES = (Role.BANK, Role.ENTERPRISE, Role.ADMIN)
#: Roles who may read the bureau's figures (stats:view): admins and the 科技局 reader.
STATS_ROLES = (Role.ADMIN, Role.BUREAU)
DEFAULT_DAYS = 90
MAX_DAYS = 365
#: Every secret starts with this, so a leaked one is recognisable (secret scanners, logs).
SECRET_PREFIX = "mm_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = 8
#: last_used_at is written at most this often per token (not on every request).
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    """A token just made, with its secret: the only moment the secret exists outside the caller."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    """The stored form of a secret (SHA-256 hex: secrets are random, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def may_write(user: User) -> bool:
    """Write scopes only for those who may change things (members of verified organisations,
    admins, brokers)."""
    return user.role in (Role.ADMIN, Role.BROKER) or can_publish(user)


def allowed_areas(user: User) -> tuple[str, ...]:
    """The areas this user's role has anything in (finance: banks, enterprises, admins;
    stats: admins and the bureau)."""
    limited = {"finance": FINANCE_ROLES, "stats": STATS_ROLES}
    return tuple(a for a in AREAS if a not in limited or user.role in limited[a])


def allowed_scopes(user: User) -> tuple[str, ...]:
    """Every scope this user may give a token: never wider than the role."""
    actions = SCOPES if may_write(user) else ("read",)
    return (*actions, *(f"{a}:{area}" for a in actions for area in allowed_areas(user)))


def all_scopes() -> tuple[str, ...]:
    """Every scope that exists (read, write, and each per area)."""
    return (*SCOPES, *(f"{a}:{area}" for a in SCOPES for area in AREAS))


def grants(scopes: list[str], action: str, area: str | None) -> bool:
    """Whether a token with `scopes` may do `action` ("read", "write") in `area`.

    The bare action covers every area; "write" (on an area) includes "read" (on it); an
    operation without an area (`/me`) needs any scope of that action."""
    held = set(scopes)
    for act in ("read", "write") if action == "read" else ("write",):
        if act in held:
            return True
        if area is None and any(s.startswith(act + ":") for s in held):
            return True
        if area is not None and f"{act}:{area}" in held:
            return True
    return False


def create_token(
    *, user: User, name: str, scopes: list[str] | None = None, expires_in_days: int | None = None
) -> NewToken:
    """Make a token for `user`; the returned secret is shown once and never stored."""
    name = " ".join((name or "").split())[:100]
    wanted = list(dict.fromkeys(scopes or ["read"]))
    days = DEFAULT_DAYS if expires_in_days is None else expires_in_days
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写令牌名称。")]
    unknown = [s for s in wanted if s not in all_scopes()]
    if unknown or not wanted:
        errors["scopes"] = [
            _("权限范围只能是 read、write、read:AREA 或 write:AREA（AREA 为 %(areas)s 之一）。")
            % {"areas": ", ".join(AREAS)}
        ]
    elif any(s.startswith("write") for s in wanted) and not may_write(user):
        errors["scopes"] = [_("你的账号不能创建有写入权限的令牌。")]
    elif any(s not in allowed_scopes(user) for s in wanted):
        errors["scopes"] = [_("你的账号在这个领域没有可用的权限。")]
    if not 1 <= days <= MAX_DAYS:
        errors["expires_in_days"] = [_("有效期须为 1 到 365 天。")]
    if errors:
        raise ValidationFailed(errors)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:PREFIX_LENGTH],
        scopes=[s for s in all_scopes() if s in wanted],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record_audit(
        actor=user,
        action="api_token.create",
        object_type="api_token",
        object_id=token.id,
        after={"name": token.name, "scopes": token.scopes},
    )
    return NewToken(token, secret)


def list_tokens(*, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones included)."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (another user's token: NotFound)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_audit(
            actor=user, action="api_token.revoke", object_type="api_token", object_id=token.id
        )
    return token


def revoke_all(*, user: User, now: datetime | None = None) -> int:
    """Revoke every live token of a user (disabled, sessions ended by an admin); how many."""
    now = now or utcnow()
    live = [t for t in list_tokens(user=user) if t.revoked_at is None]
    for token in live:
        token.revoked_at = now
    return len(live)


def authenticate(secret: str, *, now: datetime | None = None) -> tuple[User, ApiToken] | None:
    """The user and token for a bearer secret, or None when it does not (or no longer) work."""
    if not secret or len(secret) > 200:
        return None
    now = now or utcnow()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.is_live(now):
        return None
    user = token.user
    if not user.is_active:
        return None
    if user.password_changed_at is not None and token.created_at < user.password_changed_at:
        return None  # a password change ends every token made before it
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token.last_used_at = now
    return user, token
