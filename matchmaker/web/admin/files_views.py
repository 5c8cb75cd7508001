"""管理 → 待检文件: uploads no malware scanner checked, opened, released or deleted by an admin."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models.stored_file import SCAN_STATUS_LABELS
from matchmaker.permissions import Permission
from matchmaker.services.platform import quarantine, scanning
from matchmaker.web.admin.views import bp
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.downloads import send_stored_file
from matchmaker.web.policy import permission_required
from matchmaker.web.refusals import on_refusal


@bp.get("/files")
@permission_required(Permission.LISTING_REVIEW)
def quarantine_list() -> str:
    """Quarantined files first-class, unscanned ones with their warning; newest first."""
    return render_template(
        "admin/quarantine.html",
        items=quarantine.held_files(actor=current_user),
        counts=quarantine.counts(actor=current_user),
        scanner=scanning.describe_scanner(),
        labels=SCAN_STATUS_LABELS,
        form=ConfirmForm(formdata=None),
    )


@bp.get("/files/<kind>/<int:attachment_id>")
@permission_required(Permission.LISTING_REVIEW)
def download_held_file(kind: str, attachment_id: int) -> Response:
    """The held file itself, for the admin who checks it (recorded in the audit log)."""
    row, blob = quarantine.open_held_file(actor=current_user, kind=kind, file_id=attachment_id)
    return send_stored_file(blob, content_type=row.content_type, name=row.original_name)


@bp.post("/files/<kind>/<int:attachment_id>/release")
@permission_required(Permission.LISTING_REVIEW)
def release_file(kind: str, attachment_id: int) -> Response:
    """Let a held file out: served to whoever may see its record from now on."""
    if ConfirmForm().validate_on_submit():
        on_refusal(quarantine_list)
        row = quarantine.release_file(actor=current_user, kind=kind, file_id=attachment_id)
        flash(_("文件“%(name)s”已放行。", name=row.original_name), "success")
    return redirect(url_for("admin.quarantine_list"))


@bp.post("/files/<kind>/<int:attachment_id>/delete")
@permission_required(Permission.LISTING_REVIEW)
def delete_file(kind: str, attachment_id: int) -> Response:
    """Delete a held file (its row now, its bytes after the commit)."""
    if ConfirmForm().validate_on_submit():
        on_refusal(quarantine_list)
        quarantine.delete_held_file(actor=current_user, kind=kind, file_id=attachment_id)
        flash(_("文件已删除。"), "success")
    return redirect(url_for("admin.quarantine_list"))
