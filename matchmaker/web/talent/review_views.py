"""The admin's review of expert profiles (listed in the review queue with results and needs)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import ExpertProfile
from matchmaker.models.expert import EXPERT_STATUS_LABELS, OFFER_LABELS
from matchmaker.permissions import Permission
from matchmaker.services.talent import expert_review
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import permission_required
from matchmaker.web.refusals import on_refusal
from matchmaker.web.review.forms import RejectListingForm
from matchmaker.web.talent.views import bp


def _link(expert: ExpertProfile) -> str:
    return url_for("talent.show_mine", expert_id=expert.id)


def _render(
    expert: ExpertProfile, reject_form: RejectListingForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "talent/review.html",
        expert=expert,
        approve_form=ConfirmForm(),
        reject_form=reject_form,
        status_labels=EXPERT_STATUS_LABELS,
        offers=[OFFER_LABELS[bit] for bit in OFFER_LABELS if expert.offer_flags & bit],
    ), status


@bp.get("/admin/review/experts/<int:expert_id>")
@permission_required(Permission.LISTING_REVIEW)
def review_expert(expert_id: int) -> tuple[str, int]:
    """A profile waiting for review, with approve and reject."""
    expert = expert_review.get_for_review(actor=current_user, expert_id=expert_id)
    return _render(expert, RejectListingForm())


@bp.post("/admin/review/experts/<int:expert_id>/approve")
@permission_required(Permission.LISTING_REVIEW)
def approve_expert(expert_id: int) -> Response | tuple[str, int]:
    """Approve: the profile goes on the public 人才 page."""
    expert = expert_review.get_for_review(actor=current_user, expert_id=expert_id)
    on_refusal(lambda: _render(expert, RejectListingForm())[0])
    expert_review.approve_expert(actor=current_user, expert=expert, link_for=_link)
    flash(_("已通过：%(title)s", title=expert.name), "success")
    return redirect(url_for("review.queue"))


@bp.post("/admin/review/experts/<int:expert_id>/reject")
@permission_required(Permission.LISTING_REVIEW)
def reject_expert(expert_id: int) -> Response | tuple[str, int]:
    """Send the profile back with a coded reason."""
    expert = expert_review.get_for_review(actor=current_user, expert_id=expert_id)
    form = RejectListingForm()
    on_refusal(lambda: _render(expert, form)[0])
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            expert_review.reject_expert(
                actor=current_user,
                expert=expert,
                code=form.code.data or "",
                reason=form.reason.data or "",
                link_for=_link,
            )
        if outcome.ok:
            flash(_("已驳回：%(title)s", title=expert.name), "success")
            return redirect(url_for("review.queue"))
    return _render(expert, form, 400)
