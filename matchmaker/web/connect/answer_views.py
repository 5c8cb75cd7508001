"""对接: the owner's answers (accept, decline, ask for more) and the sender's (answer, withdraw)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import Enquiry
from matchmaker.services.connect import enquiries
from matchmaker.web.connect.blueprint import bp
from matchmaker.web.connect.forms import ActionForm, AnswerForm, AskForm, DeclineForm
from matchmaker.web.connect.views import answer, party_enquiry, render_enquiry, upload_of
from matchmaker.web.policy import accepts_files, login_required
from matchmaker.web.refusals import on_refusal


def _click(enquiry_id: int, step: Callable[[Enquiry], object], done: str) -> Response:
    enquiry = party_enquiry(enquiry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: render_enquiry(enquiry))
    step(enquiry)
    flash(done, "success")
    return redirect(url_for("connect.show", enquiry_id=enquiry.id))


@bp.post("/<int:enquiry_id>/accept")
@login_required
def accept(enquiry_id: int) -> Response:
    """The owner accepts: both people's contacts are shown, the conversation opens."""
    return _click(
        enquiry_id,
        lambda enquiry: enquiries.accept_enquiry(actor=current_user, enquiry=enquiry),
        _("已接受对接。双方现在可以看到彼此的联系方式，并在这里继续洽谈。"),
    )


@bp.post("/<int:enquiry_id>/decline")
@login_required
def decline(enquiry_id: int) -> Response | tuple[str, int]:
    """The owner declines with a reason code and the text the sender sees."""
    return answer(
        enquiry_id,
        DeclineForm(),
        "decline_form",
        lambda enquiry, form: enquiries.decline_enquiry(
            actor=current_user, enquiry=enquiry, code=form.code.data, reason=form.reason.data or ""
        ),
        _("已婉拒，对方会看到原因。"),
    )


@bp.post("/<int:enquiry_id>/ask")
@login_required
def ask_info(enquiry_id: int) -> Response | tuple[str, int]:
    """The owner asks the sender for more information before answering."""
    return answer(
        enquiry_id,
        AskForm(),
        "ask_form",
        lambda enquiry, form: enquiries.ask_for_information(
            actor=current_user, enquiry=enquiry, question=form.question.data
        ),
        _("已请对方补充信息。"),
    )


@bp.post("/<int:enquiry_id>/answer")
@login_required
@accepts_files
def provide_info(enquiry_id: int) -> Response | tuple[str, int]:
    """The sender answers the owner's question (text and an optional file)."""
    return answer(
        enquiry_id,
        AnswerForm(),
        "answer_form",
        lambda enquiry, form: enquiries.provide_information(
            actor=current_user,
            enquiry=enquiry,
            text=form.text.data,
            upload=upload_of(form.file.data),
        ),
        _("补充信息已发送，等待对方答复。"),
    )


@bp.post("/<int:enquiry_id>/withdraw")
@login_required
def withdraw(enquiry_id: int) -> Response:
    """The sender withdraws an enquiry not yet accepted or declined."""
    return _click(
        enquiry_id,
        lambda enquiry: enquiries.withdraw_enquiry(actor=current_user, enquiry=enquiry),
        _("对接请求已撤回。"),
    )
