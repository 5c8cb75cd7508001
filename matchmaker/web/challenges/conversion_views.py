"""成果转化: a result's offer on the conversion list, and enterprises' adoption requests."""

from __future__ import annotations

from typing import cast

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import AdoptionRequest, ConversionOffer, Mode, Result
from matchmaker.permissions import Permission
from matchmaker.services.challenges import conversion
from matchmaker.services.market import listings
from matchmaker.web.challenges.blueprint import bp
from matchmaker.web.challenges.forms import ActionForm, AdoptionForm, OfferForm
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import permission_required
from matchmaker.web.refusals import on_refusal


# --- adopting a result from the conversion list ------------------------------------------------
@bp.route("/conversion/<int:offer_id>/adopt", methods=["GET", "POST"])
@permission_required(Permission.ADOPTION_REQUEST)
def adopt_offer(offer_id: int) -> Response | str:
    """申请采用: intended use, scale, preferred terms."""
    offer = conversion.get_public_offer(offer_id=offer_id)
    form = AdoptionForm()

    def page() -> str:
        return render_template("challenges/adopt.html", offer=offer, form=form)

    if form.validate_on_submit():
        on_refusal(page)
        with form_errors(form) as outcome:
            conversion.request_adoption(
                actor=current_user,
                offer=offer,
                intended_use=form.intended_use.data or "",
                scale=form.scale.data or "",
                preferred_terms=form.preferred_terms.data or "",
                wants_trial=bool(form.wants_trial.data),
            )
        if outcome.ok:
            flash(_("采用申请已提交，成果方答复后会通知你。"), "success")
            return redirect(url_for("challenges.list_adoptions"))
    return page()


@bp.get("/my/adoptions")
@permission_required(Permission.ADOPTION_REQUEST)
def list_adoptions() -> str:
    """My organisation's adoption requests."""
    return _render_adoptions()


def _render_adoptions() -> str:
    items = conversion.organisation_adoptions(organisation_id=current_user.organisation_id)
    return render_template("challenges/adoptions.html", items=items, action_form=ActionForm())


@bp.post("/my/adoptions/<int:request_id>/withdraw")
@permission_required(Permission.ADOPTION_REQUEST)
def withdraw_adoption(request_id: int) -> Response:
    """The enterprise withdraws its request before the owner decides."""
    adoption = conversion.get_adoption(actor=current_user, request_id=request_id)
    on_refusal(_render_adoptions)
    conversion.withdraw_adoption(actor=current_user, request=adoption)
    flash(_("采用申请已撤回。"), "success")
    return redirect(url_for("challenges.list_adoptions"))


# --- results on the conversion list ------------------------------------------------------------
def _owned_result(result_id: int) -> Result:
    return cast(Result, listings.get_owned(actor=current_user, kind="result", listing_id=result_id))


def _offer_requests(offer: ConversionOffer | None) -> list[AdoptionRequest]:
    """The adoption requests on the owner's offer (none before it is published)."""
    if offer is None:
        return []
    return conversion.offer_requests(actor=current_user, offer=offer)


def _render_offer_form(result: Result, offer: ConversionOffer | None, form: OfferForm) -> str:
    return render_template(
        "challenges/offer_form.html",
        result=result,
        offer=offer,
        form=form,
        action_form=ActionForm(formdata=None),
        requests=_offer_requests(offer),
    )


@bp.route("/my/results/<int:result_id>/offer", methods=["GET", "POST"])
@permission_required(Permission.OFFER_PUBLISH)
def publish_offer(result_id: int) -> Response | str:
    """Put a listed result on the conversion list (or reopen it with new terms)."""
    result = _owned_result(result_id)
    offer = conversion.offer_of(result)
    form = OfferForm()
    if request.method == "GET" and offer is not None:
        form.modes.data = [int(m) for m in Mode if offer.modes & m]
        form.price_wan.data = offer.price_wan
        form.trial_months.data = offer.trial_months
        form.trial_terms.data = offer.trial_terms
    if form.validate_on_submit():
        on_refusal(lambda: _render_offer_form(result, offer, form))
        with form_errors(form) as outcome:
            conversion.publish_conversion_offer(
                actor=current_user, result=result, terms=form.to_terms()
            )
        if outcome.ok:
            flash(_("已发布到成果转化榜单。"), "success")
            return redirect(url_for("challenges.publish_offer", result_id=result.id))
    return _render_offer_form(result, offer, form)


@bp.post("/my/results/<int:result_id>/offer/close")
@permission_required(Permission.OFFER_PUBLISH)
def close_offer(result_id: int) -> Response:
    """Take a result off the conversion list."""
    result = _owned_result(result_id)
    offer = conversion.offer_of(result)
    if offer is None:
        abort(404)
    on_refusal(lambda: _render_offer_form(result, offer, OfferForm(formdata=None)))
    conversion.close_conversion_offer(actor=current_user, offer=offer)
    flash(_("已从成果转化榜单撤下。"), "success")
    return redirect(url_for("challenges.publish_offer", result_id=result.id))
