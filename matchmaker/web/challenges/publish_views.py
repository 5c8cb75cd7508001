"""发榜: publishing a need as a challenge (terms, confirmation, resubmission after review), and
the owner's page (invite, close, withdraw)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Challenge, Need, Organisation
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import applications, challenge_review, challenges, scenarios
from matchmaker.services.challenges.challenge_states import CHALLENGE
from matchmaker.services.challenges.challenges import ChallengeTerms
from matchmaker.services.platform.dates import format_date
from matchmaker.web.challenges.blueprint import bp
from matchmaker.web.challenges.forms import ActionForm, InviteForm, PublishForm, ReasonForm
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import ID_MESSAGE
from matchmaker.web.policy import login_required
from matchmaker.web.refusals import on_refusal


@bp.route("/my/needs/<int:need_id>/challenge", methods=["GET", "POST"])
@login_required
def publish_challenge(need_id: int) -> Response | str:
    """发榜: the terms, then a page showing exactly what will be public, then 确认发布.

    Nothing is stored before 确认发布, whose post carries the values again and is validated
    again (form and service). A challenge the reviewer sent back is edited here and resubmitted.
    """
    need, government = challenges.publishable_need(actor=current_user, need_id=need_id)
    returned = challenge_review.get_returned_challenge(actor=current_user, need=need)
    if returned is not None and scenarios.is_scenario(returned):  # edited whole, in its own form
        return redirect(url_for("challenges.edit_scenario", challenge_id=returned.id))
    existing = challenges.challenge_of(need)
    if existing is not None and returned is None:
        return redirect(url_for("challenges.manage_challenge", challenge_id=existing.id))
    form = PublishForm()
    if need.expires_at is not None:  # the latest deadline allowed, said before it is refused
        form.deadline.description = _(
            "不能晚于需求的有效期（%(date)s）。", date=format_date(need.expires_at)
        )
    if returned is not None and not form.is_submitted():
        form.fill_from(returned)
    is_government = returned.is_government if returned is not None else government

    def page() -> str:
        return render_template(
            "challenges/publish.html",
            need=need,
            form=form,
            government=is_government,
            returned=returned,
        )

    action = request.form.get("action", "preview")
    if action == "edit" or not form.validate_on_submit():  # 返回修改, or the form's errors
        return page()
    terms = form.to_terms(is_government=is_government)
    on_refusal(page)
    done: Response | None = None
    reviewed = True  # a resubmitted challenge is always reviewed
    with form_errors(form) as outcome:
        if action == "confirm":
            done = _confirm(need, returned, terms)
        elif returned is not None:
            challenge_review.check_resubmission(actor=current_user, challenge=returned, terms=terms)
        else:
            reviewed = challenges.preview_challenge(actor=current_user, need=need, terms=terms)
    if not outcome.ok:
        return page()
    if done is not None:
        return done
    return render_template(
        "challenges/confirm.html",
        need=need,
        terms=terms,
        form=form,
        carried=form.carried(),
        reviewed=reviewed,
        returned=returned,
    )


def _confirm(need: Need, returned: Challenge | None, terms: ChallengeTerms) -> Response:
    """确认发布: publish (or resubmit) and say whether it is public or waits for review."""
    if returned is not None:
        challenge_review.resubmit_challenge(actor=current_user, challenge=returned, terms=terms)
        challenge = returned
    else:
        challenge = challenges.publish_challenge(actor=current_user, need=need, terms=terms)
    if CHALLENGE.can(need, "approve"):
        flash(_("榜单已提交平台审核，审核通过后公开，结果会通知你。"), "success")
    else:
        flash(_("已发榜。截止前可以邀请机构揭榜。"), "success")
    return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))


def _render_manage(challenge: Challenge, reason_form: ReasonForm | None = None) -> str:
    q = request.args.get("q", "").strip()[:100]
    reason_form = reason_form or ReasonForm(formdata=None)
    if not CHALLENGE.can(challenge.need, "review"):  # not public yet: nobody can have applied
        reason_form.reason.description = _(
            "榜单尚未公开，还没有机构揭榜；这个原因记入榜单记录，不会发给任何机构。"
        )
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
        reason_form=reason_form,
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
def invite_organisations(challenge_id: int) -> Response | tuple[str, int]:
    """Invite the organisations ticked on the management page."""
    challenge = _managed(challenge_id)
    form = InviteForm()
    if not form.validate_on_submit():  # an id that is none (web/ids.py)
        flash(str(ID_MESSAGE), "danger")
        return _render_manage(challenge), 400
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
