"""Feedback on recommendations, and the admin page of the index (status, rebuild, judgments)."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Job, listing_model
from matchmaker.permissions import Permission
from matchmaker.services import matching
from matchmaker.services.market import feedback as recommendation_feedback
from matchmaker.services.platform import jobs
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.errors import render_error
from matchmaker.web.matching import experts as expert_recs
from matchmaker.web.matching.forms import FeedbackForm
from matchmaker.web.policy import is_safe_next, login_required, permission_required

bp = Blueprint("matching", __name__)
expert_recs.register(bp)  # 推荐专家 and an expert's recommendations, for their partials
REBUILD = "recommender.rebuild"
PAIR_FIELDS = ("source_kind", "source_id", "target_kind", "target_id")


@bp.post("/recommendations/feedback")
@login_required
def feedback() -> Response | tuple[Response | str, int]:
    """Mark a recommendation useful or not (one judgment per user and pair; the latest counts).

    The pair comes from the card's hidden fields: a bad kind or id there is no user's typing,
    so it is a 400 naming the problem; a bad reason goes back to the page with a message."""
    form = FeedbackForm()
    target = form.next.data if is_safe_next(form.next.data) else url_for("main.index")
    if not form.validate_on_submit():
        if any(form[name].errors for name in PAIR_FIELDS):
            return render_error(400, _("反馈没有保存：推荐的条目无效。"))
        flash(_("反馈没有保存：内容不完整。"), "warning")
        return redirect(target)
    source = db.get_or_404(listing_model(form.source_kind.data), form.source_id.data)
    # A missing target is a 404 and a target of the wrong kind a 400 (the error mapping).
    recommendation_feedback.record_feedback(
        actor=current_user,
        source=source,
        target_kind=form.target_kind.data,
        target_id=form.target_id.data,
        useful=form.useful.data == "1",
        reason=form.reason.data,
    )
    flash(_("谢谢反馈，它会帮助改进推荐。"), "success")
    return redirect(target)


@bp.get("/admin/recommender")
@permission_required(Permission.LISTING_REVIEW)
def status() -> str:
    """The index: generation, documents, pending changes, feedback counts, rebuild jobs."""
    return render_template(
        "matching/status.html",
        status=matching.index_status(),
        feedback=recommendation_feedback.feedback_counts(),
        rebuilds=jobs.recent(name=REBUILD, limit=5),
        form=ConfirmForm(formdata=None),
    )


@bp.post("/admin/recommender/rebuild")
@permission_required(Permission.LISTING_REVIEW)
def rebuild() -> Response:
    """Queue a full rebuild for the job workers (out of the request path)."""
    waiting = [j for j in jobs.recent(name=REBUILD, limit=5) if j.status in ("queued", "running")]
    if waiting:
        flash(_("已有重建任务在排队或运行中。"), "info")
    else:
        jobs.enqueue(REBUILD, actor=current_user)
        flash(_("已加入重建任务队列，完成后所有进程会自动切换到新索引。"), "success")
    return redirect(url_for("matching.status"))


@bp.get("/admin/jobs/<int:job_id>.json")
@permission_required(Permission.LISTING_REVIEW)
def job_status(job_id: int) -> Response:
    """A job's progress, polled by the admin page."""
    job = db.get_or_404(Job, job_id)
    return jsonify(
        {
            "id": job.id,
            "name": job.name,
            "status": str(job.status),
            "progress": job.progress,
            "message": job.message,
        }
    )


@bp.get("/admin/recommender/judgments.tsv")
@permission_required(Permission.LISTING_REVIEW)
def judgments() -> Response:
    """Users' feedback as graded judgments in the evaluation's QRELS format."""
    return Response(
        recommendation_feedback.feedback_judgments(),
        mimetype="text/tab-separated-values",
        headers={"Content-Disposition": "attachment; filename=judgments.tsv"},
    )
