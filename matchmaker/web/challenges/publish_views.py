"""发榜: publishing a need as a challenge, and the owner's page (invite, close, withdraw)."""

from __future__ import annotations

from typing import cast

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Challenge, Need, Organisation
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.challenges import applications, challenges
from matchmaker.services.market import listings
from matchmaker.web.challenges.blueprint import bp
from matchmaker.web.challenges.forms import ActionForm, InviteForm, PublishForm, ReasonForm
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import login_required
from matchmaker.web.refusals import on_refusal


def _publishable_need(need_id: int) -> tuple[Need, bool]:
    """The need to publish on, and whether it is a 政府榜 (admins)."""
    if has_permission(current_user, Permission.CHALLENGE_GOVERNMENT):
        return db.get_or_404(Need, need_id), True
    if not has_permission(current_user, Permission.CHALLENGE_PUBLISH):
        abort(403)
    need = listings.get_owned(actor=current_user, kind="need", listing_id=need_id)
    return cast(Need, need), False


@bp.route("/my/needs/<int:need_id>/challenge", methods=["GET", "POST"])
@login_required
def publish_challenge(need_id: int) -> Response | str:
    """发榜: publish an open need as a challenge with its terms."""
    need, government = _publishable_need(need_id)
    existing = challenges.challenge_of(need)
    if existing is not None:
        return redirect(url_for("challenges.manage_challenge", challenge_id=existing.id))
    form = PublishForm()

    def page() -> str:
        return render_template(
            "challenges/publish.html", need=need, form=form, government=government
        )

    if form.validate_on_submit():
        on_refusal(page)
        with form_errors(form) as outcome:
            challenge = challenges.publish_challenge(
                actor=current_user, need=need, terms=form.to_terms(is_government=government)
            )
        if outcome.ok:
            flash(_("已发榜。截止前可以邀请机构揭榜。"), "success")
            return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))
    return page()


def _render_manage(challenge: Challenge, reason_form: ReasonForm | None = None) -> str:
    q = request.args.get("q", "").strip()[:100]
    return render_template(
        "challenges/manage.html",
        challenge=challenge,
        need=challenge.need,
        submitted=applications.challenge_applications(actor=current_user, challenge=challenge),
        recommended=challenges.recommended_invitees(actor=current_user, challenge=challenge),
        found=challenges.invitable_organisations(challenge=challenge, q=q),
        q=q,
        invite_form=InviteForm(formdata=None),
        action_form=ActionForm(formdata=None),
        reason_form=reason_form or ReasonForm(formdata=None),
        now=utcnow(),
    )


def _managed(challenge_id: int) -> Challenge:
    return challenges.get_managed_challenge(actor=current_user, challenge_id=challenge_id)


@bp.get("/my/challenges/<int:challenge_id>")
@login_required
def manage_challenge(challenge_id: int) -> str:
    """The owner's page: applications count, invitations, close, withdraw."""
    return _render_manage(_managed(challenge_id))


@bp.post("/my/challenges/<int:challenge_id>/invite")
@login_required
def invite_organisations(challenge_id: int) -> Response:
    """Invite the organisations ticked on the management page."""
    challenge = _managed(challenge_id)
    form = InviteForm()
    form.validate_on_submit()
    ids = [i for i in (form.organisation_ids.data or []) if isinstance(i, int)]
    orgs = [o for o in (db.session.get(Organisation, i) for i in ids) if o is not None]
    on_refusal(lambda: _render_manage(challenge))
    created = challenges.invite_organisations(
        actor=current_user, challenge=challenge, organisations=orgs
    )
    flash(_("已邀请 %(n)d 家机构。", n=len(created)), "success" if created else "info")
    return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))


@bp.post("/my/challenges/<int:challenge_id>/close")
@login_required
def close_challenge(challenge_id: int) -> Response:
    """End the application window early."""
    challenge = _managed(challenge_id)
    on_refusal(lambda: _render_manage(challenge))
    challenges.close_applications(actor=current_user, challenge=challenge)
    flash(_("已截止揭榜。"), "success")
    return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))


@bp.post("/my/challenges/<int:challenge_id>/withdraw")
@login_required
def withdraw_challenge(challenge_id: int) -> Response | str:
    """Take an open challenge down, with a reason the applicants see."""
    challenge = _managed(challenge_id)
    form = ReasonForm()
    if form.validate_on_submit():
        on_refusal(lambda: _render_manage(challenge, form))
        with form_errors(form) as outcome:
            challenges.withdraw_challenge(
                actor=current_user, challenge=challenge, reason=form.reason.data or ""
            )
        if outcome.ok:
            flash(_("榜单已撤下。"), "success")
            return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))
    return _render_manage(challenge, form)
