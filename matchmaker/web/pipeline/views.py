"""The challenge owner's pipeline (screen, assess, select), the review panel and its scores."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Application, ApplicationStatus, Challenge
from matchmaker.permissions import can_manage_challenge, is_panel_member
from matchmaker.services.challenges import applications, challenges, panel_invitations, panels
from matchmaker.services.challenges.challenge_states import members
from matchmaker.services.platform.links import external_url
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import id_arg
from matchmaker.web.pipeline.blueprint import bp
from matchmaker.web.pipeline.forms import (
    ActionForm,
    DeclineForm,
    PanelForm,
    ScoreForm,
    SelectForm,
)
from matchmaker.web.pipeline_labels import PIPELINE_STAGES
from matchmaker.web.policy import login_required
from matchmaker.web.refusals import on_refusal


def _managed(challenge_id: int) -> Challenge:
    return challenges.get_managed_challenge(actor=current_user, challenge_id=challenge_id)


def _application(application_id: int) -> Application:
    return applications.get_application(actor=current_user, application_id=application_id)


def _panel_form(challenge: Challenge, *, submitted: bool = False) -> PanelForm:
    form = PanelForm() if submitted else PanelForm(formdata=None)
    form.user_id.choices = [(0, _("请选择"))] + [
        (m.id, f"{m.name} · {m.email}") for m in members(challenge.need.organisation)
    ]
    return form


def _render_board(challenge: Challenge, **bound: object) -> str:
    """The board; `bound` holds submitted forms to show with their errors."""
    apps = applications.challenge_applications(actor=current_user, challenge=challenge)
    rows = panels.combined_scores(actor=current_user, challenge=challenge)
    return render_template(
        "pipeline/show.html",
        challenge=challenge,
        board={stage: [a for a in apps if a.status == stage] for stage in PIPELINE_STAGES},
        totals={r.application.id: r.total for r in rows},
        action_form=ActionForm(formdata=None),
        decline_forms={
            a.id: bound.get(f"decline-{a.id}")
            or DeclineForm(formdata=None, prefix=f"decline-{a.id}")
            for a in apps
        },
        select_forms={
            a.id: bound.get(f"select-{a.id}") or SelectForm(formdata=None, prefix=f"select-{a.id}")
            for a in apps
        },
        panel_form=bound.get("panel") or _panel_form(challenge),
    )


@bp.get("/challenges/<int:challenge_id>/pipeline")
@login_required
def show(challenge_id: int) -> str:
    """The owner's board of applications by stage, with the panel."""
    return _render_board(_managed(challenge_id))


STEPS = {
    "shortlist": (applications.shortlist_application, _l("已列入初筛名单。")),
    "finalist": (applications.make_finalist, _l("已进入终审。")),
}


def _step(application_id: int, step: str) -> Response:
    application = _application(application_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    service, message = STEPS[step]
    on_refusal(lambda: _render_board(application.challenge))
    service(actor=current_user, application=application)
    flash(str(message), "success")
    return redirect(url_for("pipeline.show", challenge_id=application.challenge_id))


@bp.post("/applications/<int:application_id>/shortlist")
@login_required
def shortlist_application(application_id: int) -> Response:
    """Screen: keep a submitted application."""
    return _step(application_id, "shortlist")


@bp.post("/applications/<int:application_id>/finalist")
@login_required
def promote_application(application_id: int) -> Response:
    """Assess: send a shortlisted application to the final round."""
    return _step(application_id, "finalist")


@bp.post("/applications/<int:application_id>/decline")
@login_required
def decline_application(application_id: int) -> Response | tuple[str, int]:
    """Decline with a reason code and the text the applicant sees."""
    return _board_decision(
        application_id,
        DeclineForm,
        "decline",
        lambda application, form: applications.decline_application(
            actor=current_user,
            application=application,
            code=form.code.data,
            reason=form.reason.data,
        ),
        _("已婉拒，申请方会看到原因。"),
    )


@bp.post("/applications/<int:application_id>/select")
@login_required
def select_application(application_id: int) -> Response | tuple[str, int]:
    """Choose the solver; the other applicants are declined with the given reason."""
    return _board_decision(
        application_id,
        SelectForm,
        "select",
        lambda application, form: applications.select_application(
            actor=current_user,
            application=application,
            others_code=form.code.data,
            others_reason=form.reason.data,
        ),
        _("已选定揭榜方，其他申请方已收到通知。"),
    )


def _board_decision(
    application_id: int,
    form_class: type[DeclineForm] | type[SelectForm],
    action: str,
    decide: Callable[[Application, DeclineForm | SelectForm], object],
    done: str,
) -> Response | tuple[str, int]:
    """A decision taken from a card's form on the owner's board (the form is prefixed by the
    action and the application, so an invalid one re-renders in place with its errors)."""
    application = _application(application_id)
    challenge = application.challenge
    prefix = f"{action}-{application.id}"
    form = form_class(prefix=prefix)
    if not can_manage_challenge(current_user, challenge):
        abort(404)
    if form.validate_on_submit():
        on_refusal(lambda: _render_board(challenge))
        with form_errors(form) as outcome:
            decide(application, form)
        if outcome.ok:
            flash(done, "success")
            return redirect(url_for("pipeline.show", challenge_id=challenge.id))
    return _render_board(challenge, **{prefix: form}), 400


@bp.get("/applications/<int:application_id>/review")
@login_required
def review_application(application_id: int) -> str:
    """One application in full, for the owner and the panel."""
    application = _application(application_id)
    return render_template("pipeline/review.html", application=application)


@bp.post("/challenges/<int:challenge_id>/panel")
@login_required
def add_member(challenge_id: int) -> Response | tuple[str, int]:
    """Put a member of the owner's organisation on the panel, or invite anyone by e-mail (the
    same answer whether the address has an account or not: SECURITY.md row 8)."""
    challenge = _managed(challenge_id)
    form = _panel_form(challenge, submitted=True)
    if not form.validate_on_submit():
        return _render_board(challenge, panel=form), 400
    email = (form.email.data or "").strip()
    on_refusal(lambda: _render_board(challenge, panel=form))
    if email:
        with form_errors(form) as outcome:
            panel_invitations.invite_panel_member(
                actor=current_user,
                challenge=challenge,
                email=email,
                link_for=lambda token: external_url("pipeline.panel_invitation", token=token),
                register_url=external_url("auth.register"),
            )
        if not outcome.ok:
            return _render_board(challenge, panel=form), 400
        flash(_("已向该邮箱发送评审邀请。"), "success")
        return redirect(url_for("pipeline.show", challenge_id=challenge.id))
    user = next(
        (m for m in members(challenge.need.organisation) if m.id == form.user_id.data), None
    )
    if user is None:
        form.user_id.errors = [*form.user_id.errors, _("没有找到这个用户。")]
        return _render_board(challenge, panel=form), 400
    with form_errors(form) as outcome:
        panels.add_panel_member(actor=current_user, challenge=challenge, user=user)
    if outcome.error is not None:
        form.user_id.errors = [*form.user_id.errors, *outcome.error.errors.get("user", [])]
        return _render_board(challenge, panel=form), 400
    flash(_("已加入评审专家组。"), "success")
    return redirect(url_for("pipeline.show", challenge_id=challenge.id))


def _render_invitation(token: str, invitation: panel_invitations.PanelInvitation) -> str:
    return render_template(
        "pipeline/panel_invitation.html",
        challenge=invitation.challenge,
        inviter=invitation.inviter,
        token=token,
        form=ActionForm(formdata=None),
    )


@bp.route("/panel-invitations/<token>", methods=["GET", "POST"])
@login_required
def panel_invitation(token: str) -> Response | str:
    """The invited reviewer confirms joining the panel (a POST: opening the link stores nothing)."""
    invitation = panel_invitations.open_panel_invitation(actor=current_user, token=token)
    if invitation is None:
        flash(panel_invitations.invalid_link_message(), "danger")
        return redirect(url_for("main.dashboard"))
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        on_refusal(lambda: _render_invitation(token, invitation))
        panel_invitations.accept_panel_invitation(actor=current_user, invitation=invitation)
        flash(_("你已加入评审专家组。"), "success")
        return redirect(
            url_for("pipeline.score_applications", challenge_id=invitation.challenge.id)
        )
    return _render_invitation(token, invitation)


def _scored(challenge_id: int) -> Challenge:
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not (
        can_manage_challenge(current_user, challenge) or is_panel_member(current_user, challenge)
    ):
        abort(404)
    return challenge


def _render_scores(challenge: Challenge, bound: ScoreForm | None = None) -> str:
    rows = panels.combined_scores(actor=current_user, challenge=challenge)
    member = next((m for m in challenge.panel_members if m.user_id == current_user.id), None)
    forms = {}
    if member is not None:
        for row in rows:
            app_id = row.application.id
            if row.application.status != ApplicationStatus.FINALIST:
                continue
            if bound is not None and bound.application_id.data == str(app_id):
                forms[app_id] = bound
                continue
            mine = row.by_member.get(member.id, {})
            form = ScoreForm(formdata=None, prefix=f"score-{app_id}", data=mine)
            form.application_id.data = str(app_id)
            forms[app_id] = form
    return render_template(
        "pipeline/scores.html",
        challenge=challenge,
        rows=rows,
        forms=forms,
        weight_sum=sum(challenge.weights.values()),
    )


@bp.route("/challenges/<int:challenge_id>/scores", methods=["GET", "POST"])
@login_required
def score_applications(challenge_id: int) -> Response | str | tuple[str, int]:
    """Panel members score finalists; the owner sees the combined scores side by side."""
    challenge = _scored(challenge_id)
    if request.method == "GET":
        return _render_scores(challenge)
    app_id = id_arg("application", request.form)
    application = next((a for a in challenge.applications if a.id == app_id), None)
    if application is None:
        abort(404)
    form = ScoreForm(prefix=f"score-{application.id}")
    if form.validate_on_submit() and form.application_id.data == str(application.id):
        on_refusal(lambda: _render_scores(challenge))
        with form_errors(form) as outcome:
            panels.score_application(
                actor=current_user,
                application=application,
                feasibility=form.feasibility.data,
                maturity=form.maturity.data,
                price=form.price.data,
                team=form.team.data,
                comment=form.comment.data or "",
            )
        if outcome.ok:
            flash(_("评分已保存。"), "success")
            return redirect(url_for("pipeline.score_applications", challenge_id=challenge.id))
    return _render_scores(challenge, form), 400
