"""University and institute members keep their researchers' expert profiles."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import ExpertProfile
from matchmaker.models.expert import EXPERT_STATUS_LABELS, OFFER_LABELS
from matchmaker.permissions import Permission, can_publish
from matchmaker.services.platform import taxonomy
from matchmaker.services.talent import experts
from matchmaker.web.forms import form_errors
from matchmaker.web.i18n import select_locale
from matchmaker.web.policy import permission_required
from matchmaker.web.refusals import on_refusal
from matchmaker.web.talent.forms import ExpertActionForm, ExpertForm
from matchmaker.web.talent.views import bp

ACTIONS = {
    "submit": (experts.submit_expert, _l("已提交审核，审核结果会通知你。")),
    "retract": (experts.retract_expert, _l("已撤回审核，档案回到草稿。")),
    "withdraw": (experts.withdraw_expert, _l("已从人才页面撤下。")),
}


def _form(**kwargs: object) -> ExpertForm:
    form = ExpertForm(**kwargs)
    form.field_id.choices = [(0, _("请选择")), *taxonomy.field_choices(select_locale())]
    form.result_ids.choices = [
        (r.id, r.title) for r in experts.own_results(current_user.organisation_id)
    ]
    return form


@bp.get("/my/experts")
@permission_required(Permission.RESULT_CREATE)
def my_experts() -> str:
    """The profiles my organisation keeps, with their states."""
    items = experts.organisation_experts(organisation_id=current_user.organisation_id)
    return render_template(
        "talent/mine.html",
        items=items,
        status_labels=EXPERT_STATUS_LABELS,
        can_submit=can_publish(current_user),
    )


@bp.route("/my/experts/new", methods=["GET", "POST"])
@permission_required(Permission.RESULT_CREATE)
def new_expert() -> Response | str:
    """A new draft profile."""
    form = _form()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            expert = experts.create_expert(
                actor=current_user, data=form.to_data(actor_id=current_user.id, user_id=None)
            )
        if outcome.ok:
            flash(_("专家档案已保存为草稿。"), "success")
            return redirect(url_for("talent.show_mine", expert_id=expert.id))
    return render_template("talent/edit.html", form=form, expert=None, is_public=False)


@bp.route("/my/experts/<int:expert_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.RESULT_CREATE)
def edit_expert(expert_id: int) -> Response | str:
    """Edit a profile (an edit of substance to a published one is reviewed again)."""
    expert = experts.get_owned(actor=current_user, expert_id=expert_id)
    form = _form(obj=None if request.method == "POST" else expert)
    if request.method == "GET":
        form.result_ids.data = [r.id for r in expert.results]
        form.patents.data = "\n".join(expert.patents or [])
        form.offers.data = [str(int(bit)) for bit in OFFER_LABELS if expert.offer_flags & bit]
        form.is_self.data = expert.user_id == current_user.id
        form.field_id.data = expert.field_id or 0
        form.contact_visibility.data = "signed_in" if expert.contact_public else "members"
    if form.validate_on_submit():
        other = expert.user_id if expert.user_id != current_user.id else None
        with form_errors(form) as outcome:
            experts.update_expert(
                actor=current_user,
                expert=expert,
                data=form.to_data(actor_id=current_user.id, user_id=other),
            )
        if outcome.ok:
            flash(_("专家档案已保存。"), "success")
            return redirect(url_for("talent.show_mine", expert_id=expert.id))
    return render_template(
        "talent/edit.html", form=form, expert=expert, is_public=experts.is_public(expert)
    )


@bp.get("/my/experts/<int:expert_id>")
@permission_required(Permission.RESULT_CREATE)
def show_mine(expert_id: int) -> str:
    """A profile as its keepers see it, with the steps it allows."""
    return _render_mine(experts.get_owned(actor=current_user, expert_id=expert_id))


def _render_mine(expert: ExpertProfile) -> str:
    return render_template(
        "talent/mine_show.html",
        expert=expert,
        form=ExpertActionForm(),
        status_labels=EXPERT_STATUS_LABELS,
        offers=[OFFER_LABELS[bit] for bit in OFFER_LABELS if expert.offer_flags & bit],
        can_submit=can_publish(current_user),
        is_public=experts.is_public(expert),
    )


@bp.post("/my/experts/<int:expert_id>/<action>")
@permission_required(Permission.RESULT_CREATE)
def act(expert_id: int, action: str) -> Response:
    """Submit, retract or withdraw a profile."""
    expert = experts.get_owned(actor=current_user, expert_id=expert_id)
    if action not in ACTIONS or not ExpertActionForm().validate_on_submit():
        abort(400)
    service, message = ACTIONS[action]
    on_refusal(lambda: _render_mine(expert))
    with form_errors(None) as outcome:
        service(actor=current_user, expert=expert)
    if outcome.ok:
        flash(str(message), "success")
    return redirect(url_for("talent.show_mine", expert_id=expert.id))
