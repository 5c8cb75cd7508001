"""How a page answers a step the domain refused: the same page again, with the reason."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.services.errors import DomainError, PermissionDenied

Page = Callable[[], str]


def refused(error: DomainError, page: Page) -> tuple[str, int]:
    """An illegal transition (409) or a refused action (403): the page again, with the reason."""
    db.session.rollback()
    flash(str(error) or _("不能执行这个操作。"), "warning")
    return page(), 403 if isinstance(error, PermissionDenied) else 409
