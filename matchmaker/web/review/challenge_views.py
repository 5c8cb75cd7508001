"""The reviewer's side of challenges (a 政府榜, or one on a need edited since its review): the
page showing exactly what would be public, approve, and send back with a coded reason."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Challenge
from matchmaker.permissions import Permission
from matchmaker.services.challenges import challenge_review
from matchmaker.services.market import publication
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import permission_required
from matchmaker.web.refusals import on_refusal
from matchmaker.web.review.forms import RejectListingForm
from matchmaker.web.review.views import _row, bp


def _render(
    challenge: Challenge, reject_form: RejectListingForm, status: int = 200
) -> tuple[str, int]:
    need = challenge.need
    return render_template(
        "review/challenge.html",
        challenge=challenge,
        need=need,
        terms=challenge,
        grounds=[
            challenge_review.GROUND_LABELS[g] for g in challenge_review.review_grounds(challenge)
        ],
        need_changes=[_row(change) for change in publication.changes_since_approval(need)],
        approve_form=ConfirmForm(formdata=None),
        reject_form=reject_form,
    ), status


@bp.get("/challenges/<int:challenge_id>")
@permission_required(Permission.LISTING_REVIEW)
def show_challenge(challenge_id: int) -> tuple[str, int]:
    """A challenge waiting for review, as the public would see it, with why it is reviewed."""
    challenge = db.get_or_404(Challenge, challenge_id)
    return _render(challenge, RejectListingForm(formdata=None))


@bp.post("/challenges/<int:challenge_id>/approve")
@permission_required(Permission.LISTING_REVIEW)
def approve_challenge(challenge_id: int) -> Response:
    """Approve: the challenge is listed and open for applications."""
    challenge = db.get_or_404(Challenge, challenge_id)
    on_refusal(lambda: _render(challenge, RejectListingForm(formdata=None))[0])
    challenge_review.approve_challenge(actor=current_user, challenge=challenge)
    flash(_("已通过：%(title)s", title=challenge.need.title), "success")
    return redirect(url_for("review.queue"))


@bp.post("/challenges/<int:challenge_id>/reject")
@permission_required(Permission.LISTING_REVIEW)
def reject_challenge(challenge_id: int) -> Response | tuple[str, int]:
    """Send back to the owner with a reason code and text (the listings' reasons)."""
    challenge = db.get_or_404(Challenge, challenge_id)
    on_refusal(lambda: _render(challenge, RejectListingForm(formdata=None))[0])
    form = RejectListingForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            challenge_review.reject_challenge(
                actor=current_user,
                challenge=challenge,
                code=form.code.data,
                reason=form.reason.data,
            )
        if outcome.ok:
            flash(_("已退回：%(title)s", title=challenge.need.title), "success")
            return redirect(url_for("review.queue"))
    return _render(challenge, form, 400)
