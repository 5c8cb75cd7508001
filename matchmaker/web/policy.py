"""Route access policies: every endpoint declares one, or it is refused (deny by default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from matchmaker.permissions import Permission

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ANONYMOUS_ONLY = "anonymous"


def _policy(value: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        view._access_policy = value  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Anyone may call this endpoint."""
    return _policy(PUBLIC)(view)


def anonymous_only(view: F) -> F:
    """Only logged-out visitors (login, register, reset): others go to their dashboard."""
    return _policy(ANONYMOUS_ONLY)(view)


def login_required(view: F) -> F:
    """Any logged-in user."""
    return _policy(AUTHENTICATED)(view)


def permission_required(permission: Permission) -> Callable[[F], F]:
    """A logged-in user whose role grants the permission."""
    return _policy(permission)


def accepts_files(view: F) -> F:
    """The view takes file uploads; every other view refuses requests carrying files (400)."""
    view._accepts_files = True  # type: ignore[attr-defined]
    return view


def policy_of(view: Callable[..., Any] | None) -> str | None:
    """The declared policy of a view function (PUBLIC, AUTHENTICATED, ANONYMOUS_ONLY or a
    Permission), or None when it has none."""
    policy = getattr(view, "_access_policy", None)
    return policy if isinstance(policy, str) else None


def is_safe_next(target: str | None) -> bool:
    """Whether a `next` target is a path on this site (no scheme, host, or backslash tricks)."""
    if not target or len(target) > 2000:
        return False
    if any(ord(c) < 32 or c == "\\" for c in target):
        return False
    parts = urlsplit(target)
    return (
        not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not (target.startswith("//"))
    )
