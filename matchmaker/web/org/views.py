"""The user's own organisation: its status, evidence, members and invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from matchmaker.models import Organisation
from matchmaker.permissions import Permission, can_invite_to
from matchmaker.services.accounts import accounts, evidence
from matchmaker.services.accounts.organisations import verification_blockers
from matchmaker.services.platform.links import external_url
from matchmaker.web.downloads import send_stored_file
from matchmaker.web.forms import form_errors
from matchmaker.web.org.forms import DocumentForm, InviteForm
from matchmaker.web.policy import accepts_files, login_required, permission_required

bp = Blueprint("org", __name__)


def _own_organisation() -> Organisation:
    org = current_user.organisation
    if org is None:
        abort(404)
    return org


def _render_mine(
    org: Organisation, *, form: InviteForm | None = None, document_form: DocumentForm | None = None
) -> str:
    return render_template(
        "org/mine.html",
        org=org,
        members=list(org.members),
        form=form or InviteForm(formdata=None),
        document_form=document_form or DocumentForm(formdata=None),
        document_label=evidence.document_label(org.kind),
        blockers=verification_blockers(org),
    )


@bp.route("/", methods=["GET", "POST"])
@permission_required(Permission.ORG_INVITE)
def mine() -> Response | str:
    """My organisation, with its evidence and the form to invite colleagues."""
    org = _own_organisation()
    form = InviteForm()
    if form.validate_on_submit():
        if not can_invite_to(current_user, org):
            abort(403)
        with form_errors(form) as outcome:
            accounts.invite_member(
                actor=current_user,
                email=form.email.data,
                link_for=lambda token: external_url("auth.join", token=token),
                login_url=external_url("auth.login"),
            )
        if outcome.ok:
            flash(_("邀请已发送到 %(email)s。", email=form.email.data), "success")
            return redirect(url_for("org.mine"))
    return _render_mine(org, form=form)


@bp.post("/document")
@permission_required(Permission.ORG_INVITE)
@accepts_files
def upload_document() -> Response | tuple[str, int]:
    """Upload or replace the 营业执照 / 法人证书 scan."""
    org = _own_organisation()
    if set(request.files) - {"document"}:
        abort(400)
    form = DocumentForm()
    if form.validate_on_submit():
        data = form.document.data
        upload = (
            evidence.DocumentUpload(stream=data.stream, filename=data.filename or "")
            if isinstance(data, FileStorage)
            else None
        )
        with form_errors(form) as outcome:
            evidence.upload_document(actor=current_user, organisation=org, upload=upload)
        if outcome.ok:
            flash(_("扫描件已上传，平台管理员会据此核验机构。"), "success")
            return redirect(url_for("org.mine"))
    return _render_mine(org, document_form=form), 400


@bp.get("/<int:org_id>/document")
@login_required
def document(org_id: int) -> Response:
    """The scan itself: only for admins and the organisation's own members (else 404)."""
    row, path = evidence.downloadable(user=current_user, organisation_id=org_id)
    return send_stored_file(path, content_type=row.content_type, name=row.original_name)
