"""Feedback on recommendations, and the admin page of the index (status, rebuild, judgments)."""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.extensions import db
from matchmaker.models import Need, Result
from matchmaker.permissions import Permission
from matchmaker.services import matching
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.matching.forms import FeedbackForm
from matchmaker.web.policy import is_safe_next, login_required, permission_required

bp = Blueprint("matching", __name__)
MODELS = {"result": Result, "need": Need}
_rebuilding = threading.Lock()


@bp.post("/recommendations/feedback")
@login_required
def feedback() -> Response:
    """Mark a recommendation useful or not (one judgment per user and pair; a new one replaces it)."""
    form = FeedbackForm()
    target = form.next.data if is_safe_next(form.next.data) else url_for("main.index")
    if not form.validate_on_submit():
        flash(_("反馈没有保存：内容不完整。"), "warning")
        return redirect(target)
    source = db.session.get(MODELS[form.source_kind.data], form.source_id.data)
    if source is None:
        abort(404)
    try:
        matching.record_feedback(
            actor=current_user, source=source, target_kind=form.target_kind.data,
            target_id=form.target_id.data, useful=form.useful.data == "1", reason=form.reason.data,
        )
    except (NotFound, ValidationFailed):
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("谢谢反馈，它会帮助改进推荐。"), "success")
    return redirect(target)


@bp.get("/admin/recommender")
@permission_required(Permission.LISTING_REVIEW)
def status() -> str:
    """The index: generation, documents, pending changes, feedback counts."""
    return render_template(
        "matching/status.html",
        status=matching.index_status(),
        feedback=matching.feedback_counts(),
        rebuilding=_rebuilding.locked(),
        form=ConfirmForm(formdata=None),
    )


@bp.post("/admin/recommender/rebuild")
@permission_required(Permission.LISTING_REVIEW)
def rebuild() -> Response:
    """Start a full rebuild in the background (out of the request path)."""
    if _rebuilding.locked():
        flash(_("索引正在重建，请稍后刷新。"), "info")
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(target=_rebuild_in_background, args=(app,), daemon=True).start()
        flash(_("已开始重建索引，完成后所有进程会自动切换到新索引。"), "success")
    return redirect(url_for("matching.status"))


def _rebuild_in_background(app: Flask) -> None:
    with _rebuilding, app.app_context():
        try:
            matching.rebuild_index()
            db.session.commit()
        except Exception:  # the request that started it is gone; log, never crash the worker
            db.session.rollback()
            app.logger.exception("recommender rebuild failed")
        finally:
            db.session.remove()


@bp.get("/admin/recommender/judgments.tsv")
@permission_required(Permission.LISTING_REVIEW)
def judgments() -> Response:
    """Users' feedback as graded judgments in the evaluation's QRELS format."""
    return Response(
        matching.feedback_judgments(),
        mimetype="text/tab-separated-values",
        headers={"Content-Disposition": "attachment; filename=judgments.tsv"},
    )
