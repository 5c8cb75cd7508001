"""Bulk import of expert profiles (a TTO lists its researchers in one go): the template and the
upload; the rows are checked by the "excel.import" job and its progress shown by web/excel."""

from __future__ import annotations

import io
from urllib.parse import quote

from flask import current_app, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.permissions import Permission
from matchmaker.services.market import excel
from matchmaker.services.talent import experts
from matchmaker.web.excel.uploads import queue_import
from matchmaker.web.policy import accepts_files, permission_required
from matchmaker.web.talent.forms import ExpertImportForm
from matchmaker.web.talent.views import bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/my/experts/template.xlsx")
@permission_required(Permission.RESULT_CREATE)
def expert_template() -> Response:
    """The expert import template, with a sheet of the organisation's results to link."""
    experts.require_keeper(current_user)
    content = excel.build_template("expert", organisation_id=current_user.organisation_id)
    response = send_file(
        io.BytesIO(content),
        mimetype=XLSX,
        as_attachment=True,
        max_age=0,
        download_name="expert-profiles-template.xlsx",
    )
    # an ASCII name for old clients, the translated one (RFC 5987) for the rest
    name = quote(f"{_('专家档案导入模板')}.xlsx", safe="")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=expert-profiles-template.xlsx; filename*=UTF-8''{name}"
    )
    return response


@bp.route("/my/experts/import", methods=["GET", "POST"])
@permission_required(Permission.RESULT_CREATE)
@accepts_files
def import_experts() -> Response | str:
    """Upload a filled template: the safety checks here, every row checked by the job."""
    experts.require_keeper(current_user)
    form = ExpertImportForm()
    if form.validate_on_submit():
        job = queue_import(form, kind="expert")
        if job is not None:
            return redirect(url_for("excel.import_status", job_id=job.id))
    return render_template(
        "excel/import.html",
        form=form,
        kind="expert",
        template_url=url_for("talent.expert_template"),
        max_mb=f"{current_app.config['IMPORT_MAX_BYTES'] / 1024 / 1024:g}",
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    )
