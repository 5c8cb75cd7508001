"""Quotas on the mail one person can make the platform send to an address they typed in.

Invitations to an organisation, invitations to a challenge and to its review panel, the notice
mailed when someone registers with an address that already has an account, and password-reset
links (SECURITY.md row 5 and 8: v5.0.0-6.3.1, v5.0.0-2.4.1, v5.0.0-6.4.1). The per-IP limits
of the pages stay on the views (flask-limiter decorators); these count per organisation and per
target address, which no IP-based limit can.

They are counted in the rate limiter's storage with its strategy (moving window): Redis when
`REDIS_URL` is set, so a quota holds across workers and hosts; this process's memory
otherwise. Redis down: the count falls back to memory, as the page limits do (docs/deploy.md).
Addresses are kept only as a hash in the keys.

Each quota has a setting (limits' syntax, `"3 per day;10 per week"`): `QUOTAS` names it and
its default. A refused quota counts nothing; a quota of several rules counts only when all fit.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import ngettext
from limits import RateLimitItem, parse_many
from limits.strategies import RateLimiter

from matchmaker.extensions import limiter
from matchmaker.services.errors import LimitReached

log = logging.getLogger("matchmaker.security")

#: quota name -> its setting (config.py has each default)
QUOTAS: dict[str, str] = {
    # invitations to join an organisation, from one organisation to one address
    "invite-address": "INVITE_LIMIT_PER_ADDRESS",
    # invitations to join an organisation, from one organisation in all
    "invite-org": "INVITE_LIMIT_PER_ORGANISATION",
    # reviewers invited by e-mail to a challenge's panel, from one sender to one address, and
    # from one sender in all (counted apart from invitations to join an organisation, with
    # the same settings)
    "panel-invite-address": "INVITE_LIMIT_PER_ADDRESS",
    "panel-invite-sender": "INVITE_LIMIT_PER_ORGANISATION",
    # organisations invited to challenges, by one organisation in all
    "challenge-invite-org": "CHALLENGE_INVITE_LIMIT_PER_ORGANISATION",
    # "someone tried to register with your address" notices to one address
    "signup-notice": "SIGNUP_NOTICE_LIMIT_PER_ADDRESS",
    # password-reset links to one address (the page's per-IP limit is on the view)
    "reset-address": "PASSWORD_RESET_LIMIT_PER_ADDRESS",
}


@dataclass(frozen=True)
class Exceeded:
    """A quota that is used up: which one, and the seconds until it frees up."""

    quota: str
    retry_after: int

    def wait_text(self) -> str:
        """The wait in the user's language ("3 分钟", "2 小时")."""
        return wait_text(self.retry_after)


def wait_text(seconds: int) -> str:
    """A wait rounded up to minutes below two hours, else to hours."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 120:
        return ngettext("%(num)d 分钟", "%(num)d 分钟", minutes)
    hours = math.ceil(minutes / 60)
    return ngettext("%(num)d 小时", "%(num)d 小时", hours)


def register_limit() -> str:
    """The limit on registration posts per IP, for both registration pages' views."""
    return str(current_app.config["REGISTER_LIMIT_PER_IP"])


def _items(quota: str) -> list[RateLimitItem]:
    return list(parse_many(str(current_app.config[QUOTAS[quota]])))


def _identifiers(quota: str, subject: object) -> tuple[str, str, str]:
    # A hash: no address is written to the limiter's storage in clear.
    digest = hashlib.sha256(str(subject).strip().lower().encode()).hexdigest()[:32]
    return ("mail-quota", quota, digest)


def _strategies() -> list[RateLimiter]:
    """The limiter's strategy, then its in-memory fallback (when Redis is down)."""
    found = [limiter.limiter]
    fallback = getattr(limiter, "_fallback_limiter", None)
    if fallback is not None and fallback is not found[0]:
        found.append(fallback)
    return found


def _take(strategy: RateLimiter, wanted: list[tuple[str, object]], cost: int) -> Exceeded | None:
    checks = [
        (quota, item, _identifiers(quota, subject))
        for quota, subject in wanted
        for item in _items(quota)
    ]
    for quota, item, ids in checks:
        if not strategy.test(item, *ids, cost=cost):
            reset = strategy.get_window_stats(item, *ids).reset_time
            return Exceeded(quota=quota, retry_after=max(1, math.ceil(reset - time.time())))
    for _quota, item, ids in checks:
        strategy.hit(item, *ids, cost=cost)
    return None


def take(*wanted: tuple[str, object], cost: int = 1) -> Exceeded | None:
    """Spend `cost` of every named quota for its subject, e.g.
    `take(("invite-org", org.id), ("invite-address", f"{org.id}:{address}"))`.

    None when all of them had room (all are then counted); else the first one used up, and
    nothing is counted. Nothing is ever refused when the limiter is disabled, or when neither
    its storage nor its in-memory fallback answers (logged).
    """
    if not limiter.enabled or cost <= 0:
        return None
    try:
        strategies = _strategies()
    except Exception as error:  # noqa: BLE001 - a limiter that was never set up counts nothing
        log.warning("mail_quota.no_limiter", extra={"error": str(error)})
        return None
    for strategy in strategies:
        try:
            return _take(strategy, list(wanted), cost)
        except Exception as error:  # noqa: BLE001 - storage errors come in several families
            log.warning("mail_quota.storage_error", extra={"error": str(error)})
    return None


def spend(
    *wanted: tuple[str, object],
    messages: Mapping[str, Callable[[str], str]],
    field: str = "email",
    cost: int = 1,
) -> None:
    """`take`, refusing when a quota is used up: LimitReached on the form's `field`, with the
    message of the quota that ran out (`messages[quota](wait text)`, in the user's language)."""
    exceeded = take(*wanted, cost=cost)
    if exceeded is not None:
        message = messages[exceeded.quota](exceeded.wait_text())
        raise LimitReached({field: message}, retry_after=exceeded.retry_after)
