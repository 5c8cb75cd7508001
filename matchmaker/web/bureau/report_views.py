"""The monthly report: the printable page (printed to PDF by the browser) and the .xlsx."""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from matchmaker.permissions import Permission
from matchmaker.services.bureau import figures, reports
from matchmaker.services.errors import ValidationFailed
from matchmaker.web.bureau.blueprint import bp
from matchmaker.web.policy import permission_required


def _report_or_message() -> reports.Report | None:
    """The report for ?month= (last month by default); None after flashing why it cannot be."""
    month = request.args.get("month") or reports.last_month()
    try:
        return reports.monthly_report(month)
    except ValidationFailed as error:
        flash(" ".join(error.errors.get("month", [])) or _("月份无效。"), "warning")
        return None


@bp.get("/reports/monthly")
@permission_required(Permission.STATS_VIEW)
def monthly_report() -> str | Response:
    """The month's report as a printable page (A4, one area per page)."""
    report = _report_or_message()
    if report is None:
        return redirect(url_for("bureau.monthly_report"))
    return render_template(
        "bureau/report.html", report=report, month=report.month, display=figures.display
    )


@bp.get("/reports/monthly.xlsx")
@permission_required(Permission.STATS_VIEW)
def monthly_report_xlsx() -> Response:
    """The month's report as an .xlsx workbook, one sheet per area."""
    report = _report_or_message()
    if report is None:
        return redirect(url_for("bureau.monthly_report"))
    return send_file(
        io.BytesIO(reports.write_xlsx(report)),
        mimetype=reports.XLSX_CONTENT_TYPE,
        as_attachment=True,
        download_name=_("科技成果转化月度报告-%(month)s.xlsx", month=report.month),
        max_age=0,
    )
