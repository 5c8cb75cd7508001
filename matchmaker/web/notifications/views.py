"""The notification centre: list and mark read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.permissions import Permission
from matchmaker.services.platform import notifications
from matchmaker.web.ids import id_arg, page_arg
from matchmaker.web.policy import is_safe_next, permission_required

bp = Blueprint("notifications", __name__)


@bp.get("/")
@permission_required(Permission.NOTIFICATIONS_READ)
def index() -> str:
    """My notifications, newest first."""
    page = db.paginate(
        notifications.notifications_query(current_user),
        page=page_arg(),
        per_page=30,
        max_per_page=100,
        error_out=False,
    )
    items = [(note, *notifications.render(note.kind, note.params or {})) for note in page.items]
    return render_template("notifications/index.html", page=page, items=items)


@bp.post("/read")
@permission_required(Permission.NOTIFICATIONS_READ)
def mark_read() -> Response:
    """Mark one notification (id=...) or all of them read, then go on."""
    note_id = id_arg("id", request.form)  # none: every notification
    notifications.mark_read(user=current_user, notification_id=note_id)
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("notifications.index"))
