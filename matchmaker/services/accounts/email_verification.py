"""Sign-up e-mail verification: a signed, expiring link mailed through the outbox.

An unverified user may log in, but may not publish (permissions.can_publish) and their
organisation is not offered for verification (services/accounts/organisations.py). Invited
members are verified by accepting the link they received by mail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.models.base import utcnow
from matchmaker.services.errors import InvalidTransition
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.mail import send_email

DEFAULT_MAX_AGE = 3 * 24 * 3600


def max_age() -> int:
    """Seconds a verification link stays valid (EMAIL_VERIFICATION_MAX_AGE, default 3 days)."""
    return int(current_app.config.get("EMAIL_VERIFICATION_MAX_AGE", DEFAULT_MAX_AGE))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-verify")


def _address_fragment(user: User) -> str:
    # Bound to the address: a link mailed to an earlier address does not verify a new one.
    return hashlib.sha256(user.email.encode()).hexdigest()[:16]


def make_verification_token(user: User) -> str:
    """A signed, expiring token that verifies this user's current e-mail address."""
    return _serializer().dumps({"uid": user.id, "e": _address_fragment(user)})


def send_verification_email(*, user: User, link_for: Callable[[str], str]) -> None:
    """Queue the mail with the verification link (sent once the transaction commits)."""
    days = max(1, max_age() // (24 * 3600))
    send_email(
        to=user.email,
        subject=_("请验证你的 matchmaker 邮箱"),
        body=_(
            "你好，%(name)s：\n\n请在 %(days)d 天内打开下面的链接，确认这个邮箱属于你：\n"
            "%(link)s\n\n"
            "验证之前你可以登录和起草内容，但不能提交发布。"
            "如果你没有在 matchmaker 注册，请忽略这封邮件。",
            name=user.name,
            days=days,
            link=link_for(make_verification_token(user)),
        ),
    )


def resend_verification_email(*, user: User, link_for: Callable[[str], str]) -> None:
    """Send the verification mail again (the view rate-limits it); refused once verified."""
    if user.is_email_verified:
        raise InvalidTransition(_("你的邮箱已经验证过了。"))
    send_verification_email(user=user, link_for=link_for)


def mark_email_verified(user: User) -> None:
    """Record that the user controls their address (a used link, an accepted invitation)."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()


def user_for_verification_token(token: str) -> User | None:
    """The user a valid, unexpired token belongs to, else None (expired, tampered, stale)."""
    try:
        data = _serializer().loads(token, max_age=max_age())
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not user.is_active or data.get("e") != _address_fragment(user):
        return None
    return user


def verify_email(*, token: str) -> User | None:
    """Verify an address with a mailed token; None when the link is invalid or expired."""
    user = user_for_verification_token(token)
    if user is None:
        return None
    if not user.is_email_verified:
        mark_email_verified(user)
        record_audit(actor=user, action="user.email_verify", object_type="user", object_id=user.id)
    return user
