"""Who calls the API: a bearer token, or nobody. Session cookies are ignored here, so a page on
another site cannot make a logged-in browser call the API (no CSRF to defend against)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_babel import gettext as _

from matchmaker.api.errors import ApiError
from matchmaker.models import ApiToken, User
from matchmaker.services.accounts import api_tokens
from matchmaker.web.policy import PUBLIC

F = TypeVar("F", bound=Callable[..., Any])
#: security requirement of token-protected operations in the OpenAPI document
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _mark(action: str | None, area: str | None = None) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        # The app-wide policy hook lets API routes through; `authenticate_request` decides.
        view._access_policy = PUBLIC  # type: ignore[attr-defined]
        view._api_scope = (action, area) if action else None  # type: ignore[attr-defined]
        return view

    return decorate


def anyone(view: F) -> F:
    """Public: no token needed (a token, if sent, must still be valid)."""
    return _mark(None)(view)


def token_required(action: str, area: str | None = None) -> Callable[[F], F]:
    """A valid bearer token whose scopes grant `action` ("read" or "write") in `area` (one of
    api_tokens.AREAS; None: any area, for operations about the caller itself). The role's
    permissions are still checked by the services, as on the web."""
    if area is not None and area not in api_tokens.AREAS:
        raise ValueError(f"unknown API area {area!r}")
    return _mark(action, area)


def caller() -> User | None:
    """The user the request's token belongs to (None: anonymous)."""
    return g.get("api_user")


def signed_caller() -> User:
    """The token's user, in an operation behind `token_required` (which lets no anonymous call
    through; should one arrive anyway, it is refused as unauthenticated, never served)."""
    user = caller()
    if user is None:
        raise ApiError(401, "unauthenticated", _("请使用 API 令牌（Authorization: Bearer）。"))
    return user


def authenticate_request() -> None:
    """Blueprint hook: resolve the bearer token and enforce the view's scope."""
    g.api_user, g.api_token = None, None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, secret = header.partition(" ")
        found = api_tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise ApiError(401, "invalid_token", _("令牌无效、已过期或已撤销。"))
        g.api_user, g.api_token = found
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "_api_scope", None)
    if scope is None:
        return
    token: ApiToken | None = g.api_token
    if token is None:
        raise ApiError(401, "unauthenticated", _("请使用 API 令牌（Authorization: Bearer）。"))
    if not api_tokens.grants(token.scopes, *scope):
        raise ApiError(403, "insufficient_scope", _("这个令牌没有所需的权限范围。"))
