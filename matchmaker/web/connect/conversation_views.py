"""对接 conversations: post a message, close with an outcome, report a message, block."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.services.connect import conversations
from matchmaker.web.connect.blueprint import bp
from matchmaker.web.connect.forms import ActionForm, BlockForm, CloseForm, MessageForm, ReportForm
from matchmaker.web.connect.views import answer, party_enquiry, render_enquiry, upload_of
from matchmaker.web.errors import render_error
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import accepts_files, is_safe_next, login_required
from matchmaker.web.refusals import on_refusal


@bp.post("/<int:enquiry_id>/messages")
@login_required
@accepts_files
def post_message(enquiry_id: int) -> Response | tuple[str, int]:
    """A message (and an optional file) in an accepted conversation."""
    return answer(
        enquiry_id,
        MessageForm(),
        "message_form",
        lambda enquiry, form: conversations.post_message(
            actor=current_user,
            enquiry=enquiry,
            body=form.body.data,
            upload=upload_of(form.file.data),
        ),
        _("消息已发送。"),
    )


@bp.post("/<int:enquiry_id>/close")
@login_required
def close(enquiry_id: int) -> Response | tuple[str, int]:
    """Either side ends the conversation: 合同已签, 暂不合作 (with a reason) or 转线下."""
    return answer(
        enquiry_id,
        CloseForm(),
        "close_form",
        lambda enquiry, form: conversations.close_conversation(
            actor=current_user,
            enquiry=enquiry,
            outcome=form.outcome.data,
            reason=form.reason.data or "",
        ),
        _("洽谈已结束。"),
    )


@bp.post("/messages/<int:message_id>/report")
@login_required
def report(message_id: int) -> Response | tuple[str, int]:
    """A party reports a message of the other side; the platform's admins then see its text."""
    message = conversations.get_message(actor=current_user, message_id=message_id)
    enquiry = party_enquiry(message.enquiry_id)
    form = ReportForm()
    if not form.validate_on_submit():
        for text in form.reason.errors:
            flash(text, "danger")
        return render_enquiry(enquiry), 400
    on_refusal(lambda: render_enquiry(enquiry))
    with form_errors(None) as outcome:  # the page has no report form: the reason is flashed
        conversations.report_message(actor=current_user, message=message, reason=form.reason.data)
    if not outcome.ok:
        return render_enquiry(enquiry), 400
    flash(_("已举报，平台管理员会核查这条消息。"), "success")
    return redirect(url_for("connect.show", enquiry_id=enquiry.id))


def _back() -> Response:
    target = request.form.get("next") or ""
    return redirect(target if is_safe_next(target) else url_for("connect.inbox"))


@bp.post("/block/<int:org_id>")
@login_required
def block(org_id: int) -> Response | tuple[Response | str, int]:
    """Block an organisation: it can no longer send my organisation enquiries or messages."""
    form = BlockForm()
    if not form.validate_on_submit():
        return render_error(400, " ".join(str(text) for text in form.reason.errors) or None)
    conversations.block_organisation(
        actor=current_user, organisation_id=org_id, reason=form.reason.data or ""
    )
    flash(_("已屏蔽该机构，它不能再向你的机构发起对接或发送消息。"), "success")
    return _back()


@bp.post("/unblock/<int:org_id>")
@login_required
def unblock(org_id: int) -> Response:
    """Lift a block."""
    if not ActionForm().validate_on_submit():
        abort(400)
    conversations.unblock_organisation(actor=current_user, organisation_id=org_id)
    flash(_("已取消屏蔽。"), "success")
    return _back()
