"""Login throttling without targeted lockout (ASVS v5.0.0-6.3.1, issue 17 point 4).

Failed password checks are counted three ways, in the rate limiter's storage (Redis when
configured, so every worker and host counts together; each process's memory otherwise):

- per account *and* client address (`LOGIN_LIMIT_PER_ACCOUNT`, default 5 a minute): one address
  guessing one account is refused (429) while the owner, from elsewhere, still gets in;
- per client address (`LOGIN_LIMIT_PER_IP`): one address trying many accounts is refused;
- per account from any address (`LOGIN_GUARD_THRESHOLD`, default 10 in 10 minutes): the
  account is *guarded* instead of locked: a correct password then lets the person in only with
  the second factor (accounts with TOTP get that step anyway) or, without TOTP, through a
  single-use sign-in link e-mailed to the account's address (`make_sign_in_token`).

Failed second-step codes are limited per account (`MFA_ATTEMPT_LIMIT`, 5 in 10 minutes).

The client address is `request.remote_addr` after ProxyFix (`PROXY_FIX_X_FOR` trusted hops), so
an X-Forwarded-For header a client adds itself changes nothing. Counters fail open: when the
storage does not answer, counting falls back to this process's memory (as the limiter does,
`RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`), and when that fails too the attempt is let through
(docs/deploy.md, "Redis").
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many

from matchmaker.extensions import db, limiter
from matchmaker.models import User
from matchmaker.models.base import utcnow
from matchmaker.services.accounts import accounts, mfa
from matchmaker.services.platform import security_events
from matchmaker.services.platform.mail import send_email

log = logging.getLogger("matchmaker.login_guard")
T = TypeVar("T")

NAMESPACE = "login-guard"
#: itsdangerous salt of the e-mailed sign-in link (its own: no other token is accepted).
SIGN_IN_SALT = "login-link"


def _digest(value: str) -> str:
    # Keys in Redis name no e-mail address.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _limits(config_key: str) -> list[RateLimitItem]:
    return list(parse_many(current_app.config[config_key]))


def _storage_call(fn: Callable[[Any], T], default: T) -> T:
    """Run fn with the limiter's strategy; on a storage error fall back to the in-memory one,
    and when that fails too, answer `default` (fail open). Nothing with rate limiting off."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return default
    try:
        return fn(limiter.limiter)
    except Exception as error:  # noqa: BLE001 - redis and limits raise several families
        log.warning("login_guard.storage_unavailable", extra={"error": str(error)[:200]})
        if getattr(limiter, "_fallback_limiter", None) is not None:
            limiter._storage_dead = True  # as flask-limiter does; it checks for recovery itself
            try:
                return fn(limiter._fallback_limiter)
            except Exception:  # noqa: BLE001
                log.exception("login_guard.fallback_failed")
        return default


def _wait(config_key: str, *identifiers: str) -> int | None:
    """Seconds until one more failure is allowed under every limit of the key, else None."""

    def check(strategy: Any) -> int | None:
        longest = 0
        for item in _limits(config_key):
            if not strategy.test(item, NAMESPACE, *identifiers):
                reset_at, _remaining = strategy.get_window_stats(item, NAMESPACE, *identifiers)
                longest = max(longest, int(reset_at - time.time()) + 1, 1)
        return longest or None

    return _storage_call(check, None)


def _hit(config_key: str, *identifiers: str) -> None:
    def hit(strategy: Any) -> None:
        for item in _limits(config_key):
            strategy.hit(item, NAMESPACE, *identifiers)

    _storage_call(hit, None)


# --- password attempts --------------------------------------------------------------------------
def login_wait(*, account: str, ip: str | None) -> int | None:
    """Seconds the client must wait before trying this account again from this address (429),
    or None when it may try now."""
    address = ip or "-"
    waits = [
        _wait("LOGIN_LIMIT_PER_IP", "ip", address),
        _wait("LOGIN_LIMIT_PER_ACCOUNT", "account-ip", _digest(account), address),
    ]
    found = [w for w in waits if w]
    return max(found) if found else None


def record_failure(*, account: str, ip: str | None) -> None:
    """Count a failed password check (wrong password, unknown or disabled account)."""
    address = ip or "-"
    key = _digest(account)
    _hit("LOGIN_LIMIT_PER_IP", "ip", address)
    _hit("LOGIN_LIMIT_PER_ACCOUNT", "account-ip", key, address)
    _hit("LOGIN_GUARD_THRESHOLD", "account", key)


def is_guarded(account: str) -> bool:
    """Whether this account saw `LOGIN_GUARD_THRESHOLD` failures recently (from any address):
    a correct password alone is then not enough."""
    return _wait("LOGIN_GUARD_THRESHOLD", "account", _digest(account)) is not None


# --- second-step attempts -----------------------------------------------------------------------
def second_step_wait(user: User) -> int | None:
    """Seconds before this account may try another code, or None."""
    return _wait("MFA_ATTEMPT_LIMIT", "mfa", str(user.id))


def record_second_step_failure(user: User, *, ip: str | None) -> None:
    """Count (and log) a wrong code or recovery code."""
    _hit("MFA_ATTEMPT_LIMIT", "mfa", str(user.id))
    security_events.event("mfa.failure", outcome="failure", user_id=user.id, ip=ip)


# --- the e-mailed single-use sign-in link -------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SIGN_IN_SALT)


def _fragment(user: User) -> str:
    # Bound to the last login and the session version: using the link changes the first.
    last = user.last_login_at
    stamp = f"{last.timestamp():.6f}" if isinstance(last, datetime) else ""
    return _digest(f"{user.id}:{stamp}:{user.session_version}")[:16]


def make_sign_in_token(user: User) -> str:
    """A signed, expiring (`LOGIN_LINK_MAX_AGE`), single-use sign-in token."""
    return _serializer().dumps({"uid": user.id, "h": _fragment(user)})


def user_for_sign_in_token(token: str) -> User | None:
    """The active user a still-valid sign-in token belongs to, else None."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["LOGIN_LINK_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not user.is_active or data.get("h") != _fragment(user):
        return None
    return user


def send_sign_in_link(*, user: User, link_for: Callable[[str], str]) -> None:
    """E-mail the single-use sign-in link (a guarded account's correct password was given)."""
    minutes = current_app.config["LOGIN_LINK_MAX_AGE"] // 60
    body = _(
        "你好，%(name)s：\n\n你的账号近期有多次失败的登录尝试，为保护账号，这次登录需要通过邮件确认。"
        "请在 %(minutes)d 分钟内打开下面的链接完成登录（链接只能使用一次）：\n%(link)s\n\n"
        "如果不是你本人在登录，说明有人知道你的密码：请登录后立即修改密码。",
        name=user.name,
        minutes=minutes,
        link=link_for(make_sign_in_token(user)),
    )
    send_email(to=user.email, subject=_("确认登录 matchmaker"), body=body)
    security_events.event("mfa.challenge", user_id=user.id, method="email_link")


def use_sign_in_token(token: str) -> User | None:
    """Spend a sign-in token: its user, once (the token stops working), else None."""
    user = user_for_sign_in_token(token)
    if user is None:
        return None
    old = user.last_login_at
    unchanged = User.last_login_at.is_(None) if old is None else User.last_login_at == old
    done = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, unchanged)
        .values(last_login_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if getattr(done, "rowcount", 0) != 1:
        return None  # used by a concurrent request a moment ago
    return user


# --- the steps, as the login views call them -----------------------------------------------------
@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of a login's password step."""

    #: The account, when the password is right (and the account active).
    user: User | None
    #: Seconds to wait (429) when this address may not try now; nothing was checked then.
    wait: int | None = None
    #: The account saw many failures from anywhere: a right password alone is not enough.
    guarded: bool = False


def check_password(*, email: str, password: str, ip: str | None) -> PasswordCheck:
    """The password step of a login (web form and POST /api/v1/tokens): throttled per address
    and per account and address, failures counted, the guarded state reported."""
    account = accounts.normalise_email(email)
    wait = login_wait(account=account, ip=ip)
    if wait:
        return PasswordCheck(user=None, wait=wait)  # the caller answers 429 (rate_limit.hit)
    guarded = is_guarded(account)
    user = accounts.authenticate(email=email, password=password)
    if user is None:
        record_failure(account=account, ip=ip)
        security_events.event(
            "login.failure", outcome="failure", account=account, ip=ip, guarded=guarded or None
        )
        return PasswordCheck(user=None, guarded=guarded)
    return PasswordCheck(user=user, guarded=guarded)


@dataclass(frozen=True)
class SecondStep:
    """The outcome of a login's second step."""

    ok: bool
    #: Seconds to wait (429) after too many wrong codes; nothing was checked then.
    wait: int | None = None


def check_second_step(*, user: User, code: str | None, ip: str | None) -> SecondStep:
    """A code or recovery code for the login's second step, limited per account."""
    wait = second_step_wait(user)
    if wait:
        return SecondStep(ok=False, wait=wait)  # the caller answers 429 (rate_limit.hit)
    method = mfa.verify_second_factor(user=user, code=code)
    if method:
        security_events.event("mfa.success", user_id=user.id, ip=ip, method=method)
        return SecondStep(ok=True)
    record_second_step_failure(user, ip=ip)
    return SecondStep(ok=False)


@dataclass(frozen=True)
class ProgramLogin:
    """The outcome of POST /api/v1/tokens' checks: the user, or why not (a 401 code and
    message), or the seconds to wait (429)."""

    user: User | None
    wait: int | None = None
    refusal: str | None = None
    message: str = ""


def wait_message(wait: int) -> str:
    """ "Try again in n minutes", in the user's language."""
    return _("尝试次数太多，请 %(minutes)d 分钟后再试。", minutes=max(1, -(-wait // 60)))


def program_login(*, email: str, password: str, otp: str | None, ip: str | None) -> ProgramLogin:
    """A program's login (no pages, no e-mailed link): the password, then the second factor
    when the account has one (`otp`: a current code or a recovery code). Refused: a guarded
    account without a second factor (its owner logs in on the web), and an account whose role
    requires a second factor it has not set up."""
    check = check_password(email=email, password=password, ip=ip)
    if check.wait:
        return ProgramLogin(user=None, wait=check.wait, message=wait_message(check.wait))
    user = check.user
    if check.guarded and (user is None or not user.has_totp):
        # the same answer whether the password was right: guessing on gets no signal
        return ProgramLogin(
            user=None,
            refusal="account_guarded",
            message=_(
                "这个账号近期有多次失败的登录尝试：请先在网页上登录（按邮件确认），"
                "再在账号页面创建令牌。"
            ),
        )
    if user is None:
        return ProgramLogin(
            user=None,
            refusal="invalid_credentials",
            message=_("邮箱或密码不正确，或账号已停用。"),
        )
    if user.has_totp:
        if not otp:
            return ProgramLogin(
                user=None,
                refusal="otp_required",
                message=_(
                    "这个账号开启了两步验证：请在 otp 字段提供当前的 6 位验证码或一个恢复码。"
                ),
            )
        step = check_second_step(user=user, code=otp, ip=ip)
        if step.wait:
            return ProgramLogin(user=None, wait=step.wait, message=wait_message(step.wait))
        if not step.ok:
            return ProgramLogin(
                user=None, refusal="invalid_otp", message=_("验证码不正确、已使用过或已过期。")
            )
    elif mfa.must_enrol(user):
        return ProgramLogin(
            user=None,
            refusal="mfa_setup_required",
            message=_("管理员和银行账号必须使用两步验证：请先在网页上登录并完成设置，再申请令牌。"),
        )
    return ProgramLogin(user=user)
