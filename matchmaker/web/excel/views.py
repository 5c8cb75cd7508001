"""Excel in and out: template download, bulk import with an error report, public exports."""

from __future__ import annotations

import io
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db, limiter
from matchmaker.models import Job, JobStatus
from matchmaker.permissions import LISTING_PERMISSION, has_permission
from matchmaker.services.market import excel
from matchmaker.services.market.browsing import BrowseFilter
from matchmaker.web.excel.forms import ImportForm
from matchmaker.web.excel.uploads import IMPORT_JOB, queue_import
from matchmaker.web.ids import to_id
from matchmaker.web.policy import accepts_files, login_required, public

bp = Blueprint("excel", __name__)
KINDS = {"results": "result", "needs": "need"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}


def _kind(kinds: str) -> str:
    """The listing kind of the URL, if the user's role creates that kind (else 403)."""
    kind = KINDS[kinds]
    if not has_permission(current_user, LISTING_PERMISSION[kind]):
        abort(403)
    if current_user.organisation_id is None:
        abort(404)
    return kind


def _my_import(job_id: int) -> Job:
    """An import job of the current user (anyone else's, or any other job, is a 404)."""
    job = db.session.get(Job, job_id)
    if job is None or job.name != IMPORT_JOB or job.created_by_id != current_user.id:
        abort(404)
    return job


def _job_message(job: Job) -> str:
    """What the page says about a job that is not finished yet."""
    if job.status == JobStatus.QUEUED:
        if job.attempts:
            return _("处理时出错，稍后会自动重试……")
        return _("排队中，等待后台任务进程……")
    if job.status == JobStatus.RUNNING:
        return job.message or _("正在读取文件……")
    return ""


def _my_listings(kind: str) -> str:
    # The listings blueprint may not be registered yet; fall back to the dashboard.
    if kind == "expert":
        return url_for("talent.my_experts")
    if "listings.mine" in current_app.view_functions:
        return url_for("listings.mine")
    return url_for("main.dashboard")


def _upload_again(kind: str) -> str:
    if kind == "expert":
        return url_for("talent.import_experts")
    return url_for("excel.import_listings", kinds=f"{kind}s")


@bp.get("/<any(results, needs):kinds>/template.xlsx")
@login_required
def template(kinds: str) -> Response:
    """An empty template with dropdowns (results for universities, needs for enterprises)."""
    kind = _kind(kinds)
    name = _("科技成果导入模板") if kind == "result" else _("技术需求导入模板")
    return send_file(
        io.BytesIO(excel.build_template(kind)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"{name}.xlsx",
        max_age=0,
    )


@bp.route("/<any(results, needs):kinds>/import", methods=["GET", "POST"])
@login_required
@accepts_files
def import_listings(kinds: str) -> Response | str:
    """Upload a filled workbook or CSV: safety checks here, every row checked by a job."""
    kind = _kind(kinds)
    form = ImportForm()
    if form.validate_on_submit():
        job = queue_import(form, kind=kind)
        if job is not None:
            return redirect(url_for("excel.import_status", job_id=job.id))
    return render_template(
        "excel/import.html",
        form=form,
        kind=kind,
        template_url=url_for("excel.template", kinds=kinds),
        max_mb=f"{current_app.config['IMPORT_MAX_BYTES'] / 1024 / 1024:g}",
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    )


@bp.get("/imports/<int:job_id>")
@login_required
def import_status(job_id: int) -> str:
    """An import's progress while it runs; then the drafts created, or every bad row and column."""
    job = _my_import(job_id)
    kind = (job.args or {}).get("kind", "result")
    return render_template(
        "excel/status.html",
        job=job,
        kind=kind,
        upload_again=_upload_again(kind),
        filename=(job.args or {}).get("filename", ""),
        result=(job.result or {}) if job.status == JobStatus.DONE else {},
        message=_job_message(job),
        my_listings=_my_listings(kind),
    )


@bp.get("/imports/<int:job_id>.json")
@login_required
def import_status_json(job_id: int) -> Response:
    """An import's progress, polled by the status page (static/js/app.js)."""
    job = _my_import(job_id)
    return jsonify(
        {
            "id": job.id,
            "status": str(job.status),
            "progress": job.progress,
            "message": _job_message(job),
        }
    )


@bp.get("/reports/<token>.xlsx")
@login_required
def download_report(token: str) -> Response:
    """The annotated workbook of a failed import; only its uploader can fetch it."""
    content = excel.report_content(user_id=current_user.id, token=token)
    if content is None:
        abort(404)
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX,
        as_attachment=True,
        download_name=_("导入错误报告.xlsx"),
        max_age=0,
    )


@bp.get("/<any(results, needs):kinds>/export.<any(xlsx, csv):fmt>")
@public
@limiter.limit("30 per minute")
def export(kinds: str, fmt: str) -> Response:
    """The current filtered public list (no contact details), as .xlsx or .csv."""
    args = request.args
    browse = BrowseFilter(
        kind=KINDS[kinds],
        q=args.get("q", "")[:200],
        field=args.get("field", ""),
        stage=args.get("stage", ""),
        mode=args.get("mode", ""),
        price=args.get("price", ""),
        region=args.get("region", ""),
        org=to_id(args.get("org")),
        sort=args.get("sort", ""),
    )
    content = excel.export_xlsx(browse) if fmt == "xlsx" else excel.export_csv(browse)
    name = _("科技成果") if browse.kind == "result" else _("企业技术需求")
    return send_file(
        io.BytesIO(content),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=f"{name}-{date.today().isoformat()}.{fmt}",
        max_age=0,
    )
