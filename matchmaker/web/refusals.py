"""How the app answers a step the domain refused: one mapping from domain error to response.

Services raise `NotFound`, `PermissionDenied`, `InvalidTransition` or `ValidationFailed`; no
view needs to catch them. The error handler (web/errors.py) discards the unit of work and
answers 404, 403, 409 or 400: with the page the view registered by `on_refusal` and the reason
as a message, or with the error page (JSON for JSON clients) when it registered none.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, g
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from matchmaker.services.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform import uow
from matchmaker.web.errors import log_refusal, render_error, wants_json

Page = Callable[[], str]
STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    PermissionDenied: 403,
    InvalidTransition: 409,
    ValidationFailed: 400,
}


def status_of(error: DomainError) -> int:
    """The HTTP status code of a domain error."""
    for kind, code in STATUS.items():
        if isinstance(error, kind):
            return code
    return 409


def on_refusal(page: Page) -> None:
    """The page to show again, with the reason, if a service refuses this request's step."""
    g.refusal_page = page


def messages_of(error: DomainError) -> list[str]:
    """What to tell the user about a refusal, in their language."""
    if isinstance(error, ValidationFailed):
        return [text for texts in error.errors.values() for text in texts]
    return [str(error) or _("不能执行这个操作。")]


def refused(error: DomainError, page: Page | None = None) -> tuple[Response | str, int]:
    """Answer a refused step: nothing of it is stored, the user sees why.

    A 404 never says more than "not found" (the object may be one the user may not know of).
    """
    uow.discard()
    code = status_of(error)
    log_refusal(code, reason=type(error).__name__)  # a 404 here is a service's denial
    registered = g.pop("refusal_page", None)
    page = page or registered
    if code == 404:
        return render_error(404)
    texts = messages_of(error)
    if page is None or wants_json():
        return render_error(code, " ".join(texts))
    category = "danger" if isinstance(error, ValidationFailed) else "warning"
    for text in texts:
        flash(text, category)
    return page(), code
