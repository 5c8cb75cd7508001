"""揭榜: the standard proposal (draft, autosave, submit), its attachments, my applications."""

from __future__ import annotations

from typing import cast

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Application, ApplicationAttachment, Challenge, Result
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission
from matchmaker.services.challenges import application_files, applications, challenges
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.market import listings
from matchmaker.web.challenges.blueprint import bp
from matchmaker.web.challenges.forms import ActionForm, ApplicationAttachmentForm, ApplicationForm
from matchmaker.web.challenges.views import render_challenge
from matchmaker.web.downloads import send_stored_file
from matchmaker.web.forms import apply_errors, form_errors
from matchmaker.web.ids import id_arg
from matchmaker.web.policy import accepts_files, login_required, permission_required
from matchmaker.web.refusals import on_refusal


def _applicable(challenge_id: int) -> Challenge:
    return challenges.get_visible_challenge(user=current_user, challenge_id=challenge_id)


def _mine(challenge: Challenge) -> Application | None:
    return challenges.organisation_application(
        challenge=challenge, organisation_id=current_user.organisation_id
    )


def _application_form(challenge: Challenge) -> ApplicationForm:
    form = ApplicationForm()
    if request.method == "GET":
        mine = _mine(challenge)
        result_id = id_arg("result")
        if result_id:
            result = cast(
                Result, listings.get_owned(actor=current_user, kind="result", listing_id=result_id)
            )
            form.fill_from(applications.prefill_from_result(actor=current_user, result=result))
        elif mine is not None:
            form.fill_from(mine)
        else:
            form.fill_from(applications.ApplicationData())
    return form


def _render_apply(challenge: Challenge, form: ApplicationForm) -> str:
    return render_template(
        "challenges/apply.html",
        challenge=challenge,
        need=challenge.need,
        form=form,
        mine=_mine(challenge),
        accepting=challenge.is_accepting(utcnow()),
        now=utcnow(),
        attachment_form=ApplicationAttachmentForm(formdata=None),
        action_form=ActionForm(formdata=None),
        max_attachments=application_files.MAX_ATTACHMENTS,
    )


def _render_stored(challenge: Challenge) -> str:
    """The proposal page as stored (after a refused attachment step)."""
    mine = _mine(challenge)
    form = ApplicationForm(formdata=None)
    form.fill_from(mine if mine is not None else applications.ApplicationData())
    return _render_apply(challenge, form)


@bp.route("/challenges/<int:challenge_id>/apply", methods=["GET", "POST"])
@permission_required(Permission.CHALLENGE_APPLY)
def apply_challenge(challenge_id: int) -> Response | str:
    """The standard proposal: 保存草稿 or 提交 (deadline checked by the service)."""
    challenge = _applicable(challenge_id)
    on_refusal(lambda: render_challenge(challenge))  # e.g. prefilling from an unlisted result
    form = _application_form(challenge)
    if not form.validate_on_submit():
        return _render_apply(challenge, form)
    on_refusal(lambda: _render_apply(challenge, form))
    with form_errors(form) as outcome:
        application = applications.save_application_draft(
            actor=current_user, challenge=challenge, data=form.to_data()
        )
    if not outcome.ok:
        return _render_apply(challenge, form)
    if request.form.get("action") != "submit":
        flash(_("草稿已保存。"), "success")
        return redirect(url_for("challenges.apply_challenge", challenge_id=challenge.id))
    try:
        applications.submit_application(actor=current_user, application=application)
    except ValidationFailed as error:
        # Not form_errors: the draft itself is valid and is kept; show what is missing.
        apply_errors(form, error)
        flash(_("草稿已保存，但还不能提交：请补全标出的内容。"), "warning")
        return _render_apply(challenge, form)
    flash(_("揭榜申请已提交，发榜方评审后会通知你。"), "success")
    return redirect(url_for("challenges.list_applications"))


@bp.post("/challenges/<int:challenge_id>/apply/draft")
@permission_required(Permission.CHALLENGE_APPLY)
def autosave_draft(challenge_id: int) -> Response | tuple[Response, int]:
    """Autosave (JSON): {saved_at} or {errors}; a refusal answers with its status code."""
    challenge = _applicable(challenge_id)
    form = ApplicationForm()
    if not form.validate():
        return jsonify(errors=form.errors), 400
    with form_errors(form) as outcome:
        application = applications.save_application_draft(
            actor=current_user, challenge=challenge, data=form.to_data()
        )
    if outcome.error is not None:
        return jsonify(errors=outcome.error.errors), 400
    return jsonify(saved_at=application.updated_at.isoformat(), id=application.id)


@bp.post("/challenges/<int:challenge_id>/apply/attachments")
@permission_required(Permission.CHALLENGE_APPLY)
@accepts_files
def upload_application_attachment(challenge_id: int) -> Response:
    """Attach a PDF or image to the organisation's draft or submitted application."""
    challenge = _applicable(challenge_id)
    back = redirect(url_for("challenges.apply_challenge", challenge_id=challenge.id))
    mine = _mine(challenge)
    if mine is None:
        flash(_("请先保存草稿，再上传附件。"), "warning")
        return back
    form = ApplicationAttachmentForm()
    if not form.validate_on_submit():
        for text in form.file.errors:
            flash(text, "danger")
        return back
    upload_file = form.file.data
    on_refusal(lambda: _render_stored(challenge))
    with form_errors(None) as outcome:  # the messages are flashed for the page redirected to
        application_files.add_application_attachment(
            actor=current_user,
            application=mine,
            stream=upload_file.stream,
            filename=upload_file.filename or "",
        )
    if not outcome.ok:
        return back
    flash(_("附件已上传。"), "success")
    return back


@bp.post("/challenges/<int:challenge_id>/apply/attachments/<int:attachment_id>/delete")
@permission_required(Permission.CHALLENGE_APPLY)
def delete_application_attachment(challenge_id: int, attachment_id: int) -> Response:
    """Remove an attachment from the organisation's application."""
    challenge = _applicable(challenge_id)
    mine = _mine(challenge)
    attachment = db.session.get(ApplicationAttachment, attachment_id)
    if mine is None or attachment is None or attachment.application_id != mine.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: _render_stored(challenge))
    application_files.remove_application_attachment(actor=current_user, attachment=attachment)
    flash(_("附件已删除。"), "success")
    return redirect(url_for("challenges.apply_challenge", challenge_id=challenge.id))


@bp.get("/applications/<int:application_id>/attachments/<int:attachment_id>")
@login_required
def download_application_attachment(application_id: int, attachment_id: int) -> Response:
    """Download an application's attachment (applicant, owner, panel and admins only)."""
    attachment, path = application_files.downloadable_attachment(
        user=current_user, application_id=application_id, attachment_id=attachment_id
    )
    return send_stored_file(
        path, content_type=attachment.content_type, name=attachment.original_name
    )


@bp.get("/my/applications")
@permission_required(Permission.CHALLENGE_APPLY)
def list_applications() -> str:
    """My organisation's applications, with their status and any decline reason."""
    return _render_applications()


def _render_applications() -> str:
    items = challenges.organisation_applications(organisation_id=current_user.organisation_id)
    return render_template("challenges/applications.html", items=items, action_form=ActionForm())


@bp.post("/my/applications/<int:application_id>/withdraw")
@permission_required(Permission.CHALLENGE_APPLY)
def withdraw_application(application_id: int) -> Response:
    """The applicant withdraws its application."""
    application = applications.get_application(actor=current_user, application_id=application_id)
    on_refusal(_render_applications)
    applications.withdraw_application(
        actor=current_user, application=application, reason=request.form.get("reason", "")
    )
    flash(_("申请已撤回。截止前可以重新揭榜。"), "success")
    return redirect(url_for("challenges.list_applications"))
