"""Security events: one named, structured record per security-relevant thing that happened.

Every event goes to the `matchmaker.security` logger as one JSON line (matchmaker/logs.py: UTC
timestamp, control characters escaped, secrets and phone numbers masked) with:

- `event`: its name, one of `EVENTS` (docs/security.md lists them);
- `outcome`: `ok`, `failure` (wrong credentials, a bad code), `denied` (authorisation refused,
  including a 404 that hides an object the caller may not see) or `blocked` (CSRF, rate limit);
- what the web layer knows of the request (`request_context`): `user_id`, `ip`, `method`,
  `path`, `endpoint`, `request_id` (the proxy's `X-Request-Id`, when it sends one);
- the event's own fields (`account`, `action`, `object_type`, `object_id`, `status`, ...).

Services cannot read the request (docs/architecture.md), so the web layer registers a provider
of that context once (`set_request_context`); the CLI and jobs log without it.

Never pass a password, a token, a code or a phone number as a field: the formatter masks the
usual names and patterns, but the event is the place not to collect them at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("matchmaker.security")

#: The events the platform writes: name -> what it means (the documentation's table).
EVENTS: dict[str, str] = {
    "login.success": "a user signed in (password accepted, second factor if any)",
    "login.failure": "a sign-in refused: unknown account, wrong password, disabled account",
    "logout": "a user signed out",
    "mfa.challenge": "a second factor was asked for",
    "mfa.success": "a second factor was accepted",
    "mfa.failure": "a second factor was refused (wrong, expired or replayed code)",
    "mfa.enrolled": "a user set up a second factor",
    "mfa.disabled": "a second factor was removed",
    "mfa.secret_unreadable": "a sealed TOTP seed no configured key opens: codes refused",
    "authz.denied": "403: the role may not do this (route policy or a service's check)",
    "authz.not_found": "404 on an object: it does not exist or the caller may not see it",
    "authz.unauthenticated": "401 from the API: no token, or an invalid one",
    "http.method_not_allowed": "405: a method the address does not accept",
    "policy.missing": "a route without an access policy was refused (a programming error)",
    "csrf.failed": "a form without a valid CSRF token was refused",
    "rate_limit.hit": "429: too many attempts (login, token, API)",
    "upload.refused": "a file sent where no upload is expected",
    "admin.action": "an administrator changed something (approve, reject, verify, suspend, "
    "activate, deactivate, terminate sessions, role), after its audit row is committed",
    "password_reset.unknown_account": "a password reset asked for an unknown address",
}

#: Outcomes logged as warnings (the rest at info).
WARN_OUTCOMES = frozenset({"failure", "denied", "blocked", "error"})

ContextProvider = Callable[[], dict[str, Any]]
_provider: ContextProvider | None = None

#: Attribute names a LogRecord already has: a field of that name is renamed, not an error.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def set_request_context(provider: ContextProvider | None) -> None:
    """Register the function that describes the current request (the web layer's)."""
    global _provider
    _provider = provider


def request_context() -> dict[str, Any]:
    """What the registered provider knows of the current request ({} outside a request)."""
    if _provider is None:
        return {}
    try:
        return dict(_provider())
    except Exception:  # a security record is never the reason a request fails
        return {}


def event(name: str, *, outcome: str = "ok", **fields: Any) -> None:
    """Write one security event: the request's context, the outcome and the given fields.

    Fields whose value is None are left out; a field given here wins over the context's.
    """
    data: dict[str, Any] = {"outcome": outcome, **request_context()}
    data.update({key: value for key, value in fields.items() if value is not None})
    extra = {(f"{key}_" if key in _RESERVED else key): value for key, value in data.items()}
    level = logging.WARNING if outcome in WARN_OUTCOMES else logging.INFO
    log.log(level, name, extra=extra)
