"""Second factor: TOTP (RFC 6238) with single-use recovery codes (issue 17 point 1; ASVS
v5.0.0-6.3.3, 6.5.1, 6.5.3, 6.5.5).

- The secret comes from `pyotp.random_base32()` (the `secrets` CSPRNG, 160 bits); it is stored
  on the user only once a valid current code of it was entered (`confirm_enrolment`), which also
  creates `RECOVERY_CODE_COUNT` recovery codes, shown once and stored as SHA-256 hashes. The
  database holds the secret sealed (services/platform/sealing.py); one that no configured key
  opens refuses every code (recovery codes still work) until an admin resets it.
- A code is checked for the current 30 s step and one step either side (`VALID_WINDOW`), and
  refused when its step is not after the last accepted one (`users.totp_last_step`), so a code
  works once, even seen over a shoulder. The update is conditional, so two requests racing with
  one code cannot both pass.
- Roles in `MFA_REQUIRED_ROLES` (admin, bank) must enrol at their next login and cannot turn
  the factor off; an admin resets another user's factor (lost device) with a reason.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

import pyotp
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import RecoveryCode, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import can_manage_user
from matchmaker.services.accounts.passwords import verify_password
from matchmaker.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from matchmaker.services.platform import security_events
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.mail import send_email
from matchmaker.services.platform.sealing import UNREADABLE, open_sealed, reseal, seal

#: Seconds per TOTP step (RFC 6238 default; every authenticator app uses it).
STEP = 30
#: Steps accepted either side of the current one (clock drift): one, no more.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
#: Recovery codes: 10 characters of an unambiguous alphabet (~49 bits), shown as xxxxx-xxxxx.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ISSUER = "matchmaker"


def required_for(user: User) -> bool:
    """Whether the user's role must have a second factor (`MFA_REQUIRED_ROLES`)."""
    roles = current_app.config.get("MFA_REQUIRED_ROLES") or ()
    if isinstance(roles, str):  # MATCHMAKER_MFA_REQUIRED_ROLES=admin,bank
        roles = roles.split(",")
    return str(user.role) in {str(role).strip() for role in roles}


def must_enrol(user: User) -> bool:
    """A role that requires the factor, without it: the user must enrol before anything else."""
    return required_for(user) and not user.has_totp


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI of a secret for this user (what the QR code holds)."""
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(
        name=user.email, issuer_name=current_app.config.get("MFA_ISSUER") or ISSUER
    )


def new_secret() -> str:
    """A new TOTP secret (`secrets` CSPRNG, 160 bits, base32). Nothing is stored: the caller
    keeps it until `confirm_enrolment` (the web keeps it in the user's own session)."""
    return pyotp.random_base32()


def is_valid_secret(secret: object) -> bool:
    """Whether `secret` has the shape of one `new_secret` makes."""
    return isinstance(secret, str) and re.fullmatch(r"[A-Z2-7]{32}", secret) is not None


def secret_of(user: User) -> str | None:
    """The user's TOTP seed, opened (UNREADABLE when no configured key opens it)."""
    return None if user.totp_secret is None else open_sealed(user.totp_secret)


def _digits(code: str | None) -> str:
    return re.sub(r"[\s-]", "", code or "")


def _accept_step(user: User, secret: str, code: str, now: float) -> bool:
    """Whether `code` is the TOTP of a step within the window that is after the last accepted
    one; if so that step becomes the last accepted one (atomically)."""
    if not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int(now) // STEP
    for step in range(current + VALID_WINDOW, current - VALID_WINDOW - 1, -1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            newer = sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step)
            done = db.session.execute(
                sa.update(User)
                .where(User.id == user.id, newer)
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            if getattr(done, "rowcount", 0) != 1:
                return False  # this step or a later one was accepted already: a replay
            user.totp_last_step = step
            db.session.flush()
            return True
    return False


def _hash_code(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code.lower()}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(user.id, raw)))
    db.session.flush()
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    raw = code.lower()
    if not re.fullmatch(f"[{_ALPHABET}]{{10}}", raw):
        return False
    row = db.session.scalar(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(user.id, raw),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    done = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        return False
    db.session.expire(row)
    return True


def remaining_recovery_codes(user: User) -> int:
    """How many unused recovery codes the user has."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def verify_second_factor(*, user: User, code: str | None, now: float | None = None) -> str | None:
    """Check a login's second step: a current TOTP code (once) or an unused recovery code
    (spent): "totp" or "recovery_code"; None for anything else, and for a user without the
    factor."""
    if not user.has_totp or user.totp_secret is None:
        return None
    entered = _digits(code)
    secret = open_sealed(user.totp_secret)
    if secret == UNREADABLE:  # sealed with a key that is gone: fail closed
        security_events.event("mfa.secret_unreadable", outcome="error", user_id=user.id)
        return "recovery_code" if _use_recovery_code(user, entered) else None
    moment = time.time() if now is None else now
    if _accept_step(user, secret, entered, moment):
        return "totp"
    if _use_recovery_code(user, entered):
        return "recovery_code"
    return None


def confirm_enrolment(
    *, user: User, secret: str, code: str | None, now: float | None = None
) -> list[str]:
    """Turn the factor on with `secret` after a valid current code of it; the recovery codes
    (plain, to show once)."""
    if user.has_totp:
        raise InvalidTransition(_("两步验证已经开启。"))
    if not is_valid_secret(secret):
        raise InvalidTransition(_("还没有开始设置两步验证。"))
    moment = time.time() if now is None else now
    if not _accept_step(user, secret, _digits(code), moment):
        raise ValidationFailed(
            {"code": _("验证码不正确或已过期，请输入验证器应用当前显示的 6 位数字。")}
        )
    user.totp_secret = seal(secret)
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    record_audit(actor=user, action="user.mfa_enable", object_type="user", object_id=user.id)
    security_events.event("mfa.enrolled", user_id=user.id)
    return codes


def enrol_from_account(
    *, user: User, secret: str, code: str | None, password: str | None, now: float | None = None
) -> list[str]:
    """Turn the factor on from the account page: the password again, then a current code."""
    _check_password(user, password)
    return confirm_enrolment(user=user, secret=secret, code=code, now=now)


def _check_password(user: User, password: str | None) -> None:
    ok, _unused = verify_password(user.password_hash, password or "")
    if not ok:
        raise ValidationFailed({"password": _("密码不正确。")})


def regenerate_recovery_codes(*, user: User, password: str | None) -> list[str]:
    """New recovery codes (the old ones stop working), after the password again."""
    if not user.has_totp:
        raise InvalidTransition(_("两步验证未开启。"))
    _check_password(user, password)
    codes = _new_recovery_codes(user)
    record_audit(
        actor=user, action="user.mfa_recovery_codes", object_type="user", object_id=user.id
    )
    return codes


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(*, user: User, password: str | None) -> None:
    """Turn the factor off, after the password again (never for a role that requires it)."""
    if required_for(user):
        raise PermissionDenied(_("你的账号角色必须使用两步验证，不能关闭。"))
    if not user.has_totp:
        raise InvalidTransition(_("两步验证未开启。"))
    _check_password(user, password)
    _clear(user)
    record_audit(actor=user, action="user.mfa_disable", object_type="user", object_id=user.id)
    security_events.event("mfa.disabled", user_id=user.id, reason="user")
    send_email(
        to=user.email,
        subject=_("你的账号已关闭两步验证"),
        body=_(
            "你好，%(name)s：\n\n你的账号刚刚关闭了两步验证。如果不是你本人操作，"
            "请立即修改密码并重新开启两步验证。",
            name=user.name,
        ),
    )


def reset_by_admin(*, actor: User | None, user: User, reason: str | None) -> None:
    """Lost device: an admin removes another user's factor (with a reason, audited); the user's
    sessions end and they are told by e-mail. A role that requires the factor enrols again at
    its next login. `actor` None: an operator on the command line (`matchmaker users
    reset-two-step`, for the last admin's lost phone)."""
    if actor is not None and not can_manage_user(actor, user):
        raise PermissionDenied(_("不能重置自己的两步验证。"))
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed({"reason": _("请填写重置原因。")})
    if not user.totp_secret:
        raise InvalidTransition(_("这个账号没有设置两步验证。"))
    _clear(user)
    user.end_sessions()
    record_audit(
        actor=actor,
        action="user.mfa_reset",
        object_type="user",
        object_id=user.id,
        reason=text[:500],
    )
    security_events.event(
        "mfa.disabled",
        user_id=user.id,
        actor_id=actor.id if actor is not None else None,
        reason="admin_reset",
    )
    send_email(
        to=user.email,
        subject=_("你的两步验证已被管理员重置"),
        body=_(
            "你好，%(name)s：\n\n平台管理员已重置你账号的两步验证（原因：%(reason)s），"
            "你在各设备上的登录已失效。下次登录时请重新设置两步验证。"
            "如果你没有申请重置，请立即联系平台管理员。",
            name=user.name,
            reason=text[:500],
        ),
    )


def next_step(user: User, *, guarded: bool) -> str:
    """After a right password: "code" (the account has the factor), "link" (guarded, no
    factor: only an e-mailed link lets it in), "enrol" (its role requires the factor it has
    not set up) or "done"."""
    if user.has_totp:
        return "code"
    if guarded:
        return "link"
    if must_enrol(user):
        return "enrol"
    return "done"


def reseal_secrets() -> tuple[int, int]:
    """Seal every stored TOTP seed again with the first sealing key (after a key rotation),
    and any stored before sealing existed: (resealed, unreadable). A seed no configured key
    opens is left as it is and counted."""
    resealed = unreadable = 0
    for user in db.session.scalars(sa.select(User).where(User.totp_secret.is_not(None))):
        stored = user.totp_secret or ""
        new = reseal(stored)
        if new == stored:
            unreadable += 1
            continue
        user.totp_secret = new
        resealed += 1
    return resealed, unreadable
