"""Excel in and out: template download, bulk import with an error report, public exports."""

from __future__ import annotations

import io
import re
import secrets
import time
from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.extensions import db, limiter
from matchmaker.permissions import LISTING_PERMISSION, has_permission
from matchmaker.services import excel
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.publication import BrowseFilter
from matchmaker.web.excel.forms import ImportForm
from matchmaker.web.policy import accepts_files, login_required, public

bp = Blueprint("excel", __name__)
KINDS = {"results": "result", "needs": "need"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}
REPORT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
REPORT_MAX_AGE = 24 * 3600


def _kind(kinds: str) -> str:
    """The listing kind of the URL, if the user's role creates that kind (else 403)."""
    kind = KINDS[kinds]
    if not has_permission(current_user, LISTING_PERMISSION[kind]):
        abort(403)
    if current_user.organisation_id is None:
        abort(404)
    return kind


def _reports_dir(user_id: int) -> Path:
    return Path(current_app.instance_path) / "import-reports" / str(int(user_id))


def _save_report(content: bytes) -> str:
    """Keep an annotated workbook for its uploader under a random name; prune old ones."""
    folder = _reports_dir(current_user.id)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xlsx"):
        if time.time() - old.stat().st_mtime > REPORT_MAX_AGE:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    partial = folder / f".{token}.part"
    partial.write_bytes(content)
    partial.replace(folder / f"{token}.xlsx")
    return token


def _my_listings() -> str:
    # The listings blueprint may not be registered yet; fall back to the dashboard.
    if "listings.mine" in current_app.view_functions:
        return url_for("listings.mine")
    return url_for("main.dashboard")


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
    """Upload a filled workbook or CSV: every row is checked; drafts only if all are valid."""
    kind = _kind(kinds)
    form = ImportForm()
    report, token = None, None
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        try:
            report = excel.import_file(
                actor=current_user, kind=kind, filename=upload.filename or "", content=content
            )
        except excel.ImportRefused as refused:
            db.session.rollback()
            form.file.errors.append(refused.message)
        except PermissionDenied:
            abort(403)
        else:
            if report.ok:
                db.session.commit()
                flash(_("已检查 %(n)d 行，创建了 %(n)d 条草稿。", n=len(report.created)), "success")
                return redirect(_my_listings())
            db.session.rollback()
            token = _save_report(excel.annotated_workbook(report))
    return render_template(
        "excel/import.html",
        form=form,
        kind=kind,
        kinds=kinds,
        report=report,
        token=token,
        max_mb=f"{current_app.config['IMPORT_MAX_BYTES'] / 1024 / 1024:g}",
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    )


@bp.get("/reports/<token>.xlsx")
@login_required
def download_report(token: str) -> Response:
    """The annotated workbook of a failed import; only its uploader can fetch it."""
    if not REPORT_TOKEN.match(token):
        abort(404)
    path = _reports_dir(current_user.id) / f"{token}.xlsx"
    if not path.is_file():
        abort(404)
    return send_file(
        io.BytesIO(path.read_bytes()),
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
        org=args.get("org", type=int),
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
