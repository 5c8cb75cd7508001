"""场景清单: the public list of application scenarios, the admin's 新建场景 and the
修改后重新提交 of a scenario the reviewer sent back (the same form and confirmation page).

A scenario's page is its challenge's page (`challenges.show_challenge`, /scenarios/<id> leads
there); applying, managing, the pipeline and the deal are the challenge pages'.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Challenge
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission
from matchmaker.services.challenges import scenarios
from matchmaker.services.platform import taxonomy
from matchmaker.services.platform.regions import region_choices
from matchmaker.web.challenges.blueprint import bp
from matchmaker.web.challenges.scenario_forms import ScenarioForm
from matchmaker.web.forms import form_errors
from matchmaker.web.i18n import select_locale
from matchmaker.web.ids import page_arg
from matchmaker.web.policy import permission_required, public
from matchmaker.web.refusals import on_refusal

#: The tabs of 场景清单.
STATUSES = ("open", "closed", "done")


@bp.get("/scenarios")
@public
def list_scenarios() -> str:
    """场景清单: listed scenarios, filtered by field and region, a page at a time."""
    args = request.args
    status = args.get("status", "open")
    status = status if status in STATUSES else "open"
    field = taxonomy.field_by_code(args.get("field", "")) if args.get("field") else None
    result = scenarios.public_scenarios(
        field_id=field.id if field else None,
        region=args.get("region", "")[:32],
        status=status,
        page=page_arg(),
    )
    return render_template(
        "challenges/scenarios.html",
        result=result,
        status=status,
        fields=taxonomy.active_fields(),
        regions=region_choices(),
        now=utcnow(),
    )


@bp.get("/scenarios/<int:challenge_id>")
@public
def show_scenario(challenge_id: int) -> Response:
    """A scenario's page is its challenge's page."""
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not scenarios.is_scenario(challenge):
        abort(404)
    return redirect(url_for("challenges.show_challenge", challenge_id=challenge.id))


def _form() -> ScenarioForm:
    form = ScenarioForm()
    form.region.choices = region_choices()
    form.field_id.choices = [(0, _("请选择"))] + taxonomy.field_choices(select_locale())
    return form


@bp.route("/scenarios/new", methods=["GET", "POST"])
@permission_required(Permission.SCENARIO_PUBLISH)
def new_scenario() -> Response | str:
    """新建场景: the scenario and its terms, then the page of exactly what will be public, then
    确认发布. Nothing is stored before 确认发布, whose post is validated again."""
    form = _form()

    def page() -> str:
        return render_template("challenges/scenario_new.html", form=form)

    action = request.form.get("action", "preview")
    if action == "edit" or not form.validate_on_submit():  # 返回修改, or the form's errors
        return page()
    data = form.to_data()
    on_refusal(page)
    if action == "confirm":
        with form_errors(form) as outcome:
            challenge = scenarios.publish_scenario(actor=current_user, data=data)
        if not outcome.ok:
            return page()
        flash(_("场景已提交平台审核，审核通过后在场景清单公开。"), "success")
        return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))
    with form_errors(form) as outcome:
        need, terms = scenarios.preview_scenario(actor=current_user, data=data)
    if not outcome.ok:
        return page()
    return render_template(
        "challenges/scenario_confirm.html",
        need=need,
        terms=terms,
        scenario=data,
        form=form,
        carried=form.carried(),
    )


@bp.route("/scenarios/<int:challenge_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.SCENARIO_PUBLISH)
def edit_scenario(challenge_id: int) -> Response | str:
    """修改后重新提交: a scenario the reviewer sent back, edited whole in the 新建场景 form
    (prefilled), shown on the confirmation page, and sent back into the review on 确认提交."""
    challenge = db.get_or_404(Challenge, challenge_id)
    scenarios.returned_scenario(actor=current_user, challenge=challenge)  # 404 / 409
    form = _form()
    if not form.is_submitted():
        form.fill_from_scenario(scenarios.scenario_data_of(challenge))

    def page() -> str:
        return render_template("challenges/scenario_new.html", form=form, returned=challenge)

    action = request.form.get("action", "preview")
    if action == "edit" or not form.validate_on_submit():  # 返回修改, or the form's errors
        return page()
    data = form.to_data()
    on_refusal(page)
    if action == "confirm":
        with form_errors(form) as outcome:
            scenarios.resubmit_scenario(actor=current_user, challenge=challenge, data=data)
        if not outcome.ok:
            return page()
        flash(_("场景已重新提交平台审核，审核通过后在场景清单公开。"), "success")
        return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))
    with form_errors(form) as outcome:
        need, terms = scenarios.check_scenario_resubmission(
            actor=current_user, challenge=challenge, data=data
        )
    if not outcome.ok:
        return page()
    return render_template(
        "challenges/scenario_confirm.html",
        need=need,
        terms=terms,
        scenario=data,
        form=form,
        carried=form.carried(),
        returned=challenge,
    )
