"""揭榜挂帅 pages: the two public lists, applying and adopting, publishing and managing a challenge.

The owner's selection pipeline, panels and deals live in the `pipeline` blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    ApplicationAttachment,
    Challenge,
    ConversionOffer,
    Mode,
    Need,
    Organisation,
    Result,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.challenges import applications, challenges, conversion
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.market import listings
from matchmaker.services.platform import taxonomy
from matchmaker.services.platform.regions import region_choices
from matchmaker.web.challenges.forms import (
    ActionForm,
    AdoptionForm,
    ApplicationAttachmentForm,
    ApplicationForm,
    InviteForm,
    OfferForm,
    PublishForm,
    ReasonForm,
)
from matchmaker.web.downloads import send_stored_file
from matchmaker.web.forms import apply_errors
from matchmaker.web.policy import accepts_files, login_required, permission_required, public

bp = Blueprint("challenges", __name__)
T = TypeVar("T")
REFUSED = (InvalidTransition, PermissionDenied)


def _conflict(error: Exception, page: Callable[[], str]) -> tuple[str, int]:
    """An illegal transition: 409 with the page and the reason."""
    db.session.rollback()
    flash(str(error) or _("不能执行这个操作。"), "warning")
    return page(), 409


def _or_404(load: Callable[[], T]) -> T:
    try:
        return load()
    except NotFound:
        abort(404)


# --- public lists ------------------------------------------------------------------------------
@bp.get("/challenges")
@public
def list_challenges() -> str:
    """企业技术需求榜单 as challenges: open or closed ones with filters, and the showcase."""
    args = request.args
    status = "closed" if args.get("status") == "closed" else "open"
    field = taxonomy.field_by_code(args.get("field", "")) if args.get("field") else None
    items = challenges.public_challenges(
        field_id=field.id if field else None,
        region=args.get("region", "")[:32],
        band=args.get("band", ""),
        status=status,
    )
    return render_template(
        "challenges/list.html",
        items=items,
        showcase=challenges.showcase_challenges(),
        status=status,
        fields=taxonomy.active_fields(),
        regions=region_choices(),
        now=utcnow(),
    )


@bp.get("/challenges/<int:challenge_id>")
@public
def show_challenge(challenge_id: int) -> str:
    """A challenge's public page (invite-only ones: invitees, the owner and admins)."""
    challenge = _or_404(
        lambda: challenges.get_visible_challenge(user=current_user, challenge_id=challenge_id)
    )
    return _render_challenge(challenge)


def _render_challenge(challenge: Challenge) -> str:
    mine, my_results = None, []
    if has_permission(current_user, Permission.CHALLENGE_APPLY):
        org_id = current_user.organisation_id
        mine = challenges.organisation_application(challenge=challenge, organisation_id=org_id)
        my_results = challenges.listed_results(organisation_id=org_id)
    return render_template(
        "challenges/show.html",
        challenge=challenge,
        need=challenge.need,
        accepting=challenge.is_accepting(utcnow()),
        mine=mine,
        my_results=my_results,
        now=utcnow(),
    )


@bp.get("/conversion")
@public
def list_offers() -> str:
    """高校科研院所成果转化榜单: open offers with their terms."""
    args = request.args
    field = taxonomy.field_by_code(args.get("field", "")) if args.get("field") else None
    offers = conversion.open_offers(
        field_id=field.id if field else None,
        region=args.get("region", "")[:32],
        mode=args.get("mode", 0, type=int) or 0,
    )
    return render_template(
        "challenges/offers.html",
        offers=offers,
        fields=taxonomy.active_fields(),
        regions=region_choices(),
    )


@bp.get("/conversion/<int:offer_id>")
@public
def show_offer(offer_id: int) -> str:
    """An offer's public page with 申请采用 for enterprises."""
    offer = _or_404(lambda: conversion.get_public_offer(offer_id=offer_id))
    return _render_offer(offer)


def _render_offer(offer: ConversionOffer, form: AdoptionForm | None = None) -> str:
    mine = None
    if has_permission(current_user, Permission.ADOPTION_REQUEST):
        mine = conversion.organisation_adoption(
            offer=offer, organisation_id=current_user.organisation_id
        )
    return render_template(
        "challenges/offer.html", offer=offer, result=offer.result, mine=mine, form=form
    )


# --- applying (揭榜) ---------------------------------------------------------------------------
def _applicable(challenge_id: int) -> Challenge:
    return _or_404(
        lambda: challenges.get_visible_challenge(user=current_user, challenge_id=challenge_id)
    )


def _application_form(challenge: Challenge) -> ApplicationForm:
    form = ApplicationForm()
    if request.method == "GET":
        mine = challenges.organisation_application(
            challenge=challenge, organisation_id=current_user.organisation_id
        )
        result_id = request.args.get("result", type=int)
        if result_id:
            result = _or_404(
                lambda: listings.get_owned(actor=current_user, kind="result", listing_id=result_id)
            )
            form.fill_from(applications.prefill_from_result(actor=current_user, result=result))
        elif mine is not None:
            form.fill_from(mine)
        else:
            form.fill_from(applications.ApplicationData())
    return form


def _render_apply(challenge: Challenge, form: ApplicationForm) -> str:
    mine = challenges.organisation_application(
        challenge=challenge, organisation_id=current_user.organisation_id
    )
    return render_template(
        "challenges/apply.html",
        challenge=challenge,
        need=challenge.need,
        form=form,
        mine=mine,
        accepting=challenge.is_accepting(utcnow()),
        now=utcnow(),
        attachment_form=ApplicationAttachmentForm(formdata=None),
        action_form=ActionForm(formdata=None),
        max_attachments=applications.MAX_ATTACHMENTS,
    )


@bp.route("/challenges/<int:challenge_id>/apply", methods=["GET", "POST"])
@permission_required(Permission.CHALLENGE_APPLY)
def apply_challenge(challenge_id: int) -> Response | str | tuple[str, int]:
    """The standard proposal: 保存草稿 or 提交 (deadline checked by the service)."""
    challenge = _applicable(challenge_id)
    try:
        form = _application_form(challenge)
    except InvalidTransition as error:
        return _conflict(error, lambda: _render_challenge(challenge))
    if not form.validate_on_submit():
        return _render_apply(challenge, form)
    try:
        application = applications.save_application_draft(
            actor=current_user, challenge=challenge, data=form.to_data()
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_apply(challenge, form)
    except REFUSED as error:
        return _conflict(error, lambda: _render_apply(challenge, form))
    if request.form.get("action") != "submit":
        db.session.commit()
        flash(_("草稿已保存。"), "success")
        return redirect(url_for("challenges.apply_challenge", challenge_id=challenge.id))
    try:
        applications.submit_application(actor=current_user, application=application)
    except ValidationFailed as error:
        db.session.commit()  # the draft itself is valid: keep it, show what is missing
        apply_errors(form, error)
        flash(_("草稿已保存，但还不能提交：请补全标出的内容。"), "warning")
        return _render_apply(challenge, form)
    except REFUSED as error:
        return _conflict(error, lambda: _render_apply(challenge, form))
    db.session.commit()
    flash(_("揭榜申请已提交，发榜方评审后会通知你。"), "success")
    return redirect(url_for("challenges.list_applications"))


@bp.post("/challenges/<int:challenge_id>/apply/draft")
@permission_required(Permission.CHALLENGE_APPLY)
def autosave_draft(challenge_id: int) -> Response | tuple[Response, int]:
    """Autosave (JSON): {saved_at} or {errors} / {error}."""
    challenge = _applicable(challenge_id)
    form = ApplicationForm()
    if not form.validate():
        return jsonify(errors=form.errors), 400
    try:
        application = applications.save_application_draft(
            actor=current_user, challenge=challenge, data=form.to_data()
        )
    except ValidationFailed as error:
        db.session.rollback()
        return jsonify(errors=error.errors), 400
    except REFUSED as error:
        db.session.rollback()
        return jsonify(error=str(error)), 409
    db.session.commit()
    return jsonify(saved_at=application.updated_at.isoformat(), id=application.id)


def _flash_refusal(error: Exception) -> None:
    db.session.rollback()
    texts = (
        [t for m in error.errors.values() for t in m]
        if isinstance(error, ValidationFailed)
        else [str(error) or _("不能执行这个操作。")]
    )
    for text in texts:
        flash(text, "danger")


@bp.post("/challenges/<int:challenge_id>/apply/attachments")
@permission_required(Permission.CHALLENGE_APPLY)
@accepts_files
def upload_application_attachment(challenge_id: int) -> Response:
    """Attach a PDF or image to the organisation's draft or submitted application."""
    challenge = _applicable(challenge_id)
    back = redirect(url_for("challenges.apply_challenge", challenge_id=challenge.id))
    mine = challenges.organisation_application(
        challenge=challenge, organisation_id=current_user.organisation_id
    )
    if mine is None:
        flash(_("请先保存草稿，再上传附件。"), "warning")
        return back
    form = ApplicationAttachmentForm()
    if not form.validate_on_submit():
        for text in form.file.errors:
            flash(text, "danger")
        return back
    upload_file = form.file.data
    try:
        attachment = applications.add_application_attachment(
            actor=current_user,
            application=mine,
            stream=upload_file.stream,
            filename=upload_file.filename or "",
        )
    except NotFound:
        abort(404)
    except (ValidationFailed, *REFUSED) as error:
        _flash_refusal(error)
        return back
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        applications.discard_application_attachment(attachment)
        raise
    applications.finalize_application_attachment(attachment)
    flash(_("附件已上传。"), "success")
    return back


@bp.post("/challenges/<int:challenge_id>/apply/attachments/<int:attachment_id>/delete")
@permission_required(Permission.CHALLENGE_APPLY)
def delete_application_attachment(challenge_id: int, attachment_id: int) -> Response:
    """Remove an attachment from the organisation's application."""
    challenge = _applicable(challenge_id)
    mine = challenges.organisation_application(
        challenge=challenge, organisation_id=current_user.organisation_id
    )
    attachment = db.session.get(ApplicationAttachment, attachment_id)
    if mine is None or attachment is None or attachment.application_id != mine.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        applications.remove_application_attachment(actor=current_user, attachment=attachment)
    except NotFound:
        abort(404)
    except REFUSED as error:
        _flash_refusal(error)
    else:
        db.session.commit()
        flash(_("附件已删除。"), "success")
    return redirect(url_for("challenges.apply_challenge", challenge_id=challenge.id))


@bp.get("/applications/<int:application_id>/attachments/<int:attachment_id>")
@login_required
def download_application_attachment(application_id: int, attachment_id: int) -> Response:
    """Download an application's attachment (applicant, owner, panel and admins only)."""
    attachment, path = _or_404(
        lambda: applications.downloadable_attachment(
            user=current_user, application_id=application_id, attachment_id=attachment_id
        )
    )
    return send_stored_file(
        path, content_type=attachment.content_type, name=attachment.original_name
    )


@bp.get("/my/applications")
@permission_required(Permission.CHALLENGE_APPLY)
def list_applications() -> str:
    """My organisation's applications, with their status and any decline reason."""
    return _render_applications()


def _render_applications() -> str:
    items = challenges.organisation_applications(organisation_id=current_user.organisation_id)
    return render_template("challenges/applications.html", items=items, action_form=ActionForm())


@bp.post("/my/applications/<int:application_id>/withdraw")
@permission_required(Permission.CHALLENGE_APPLY)
def withdraw_application(application_id: int) -> Response | tuple[str, int]:
    """The applicant withdraws its application."""
    application = _or_404(
        lambda: applications.get_application(actor=current_user, application_id=application_id)
    )
    try:
        applications.withdraw_application(
            actor=current_user, application=application, reason=request.form.get("reason", "")
        )
    except NotFound:
        abort(404)
    except REFUSED as error:
        return _conflict(error, _render_applications)
    db.session.commit()
    flash(_("申请已撤回。截止前可以重新揭榜。"), "success")
    return redirect(url_for("challenges.list_applications"))


# --- adopting a result from the conversion list ------------------------------------------------
@bp.route("/conversion/<int:offer_id>/adopt", methods=["GET", "POST"])
@permission_required(Permission.ADOPTION_REQUEST)
def adopt_offer(offer_id: int) -> Response | str | tuple[str, int]:
    """申请采用: intended use, scale, preferred terms."""
    offer = _or_404(lambda: conversion.get_public_offer(offer_id=offer_id))
    form = AdoptionForm()
    if not form.validate_on_submit():
        return render_template("challenges/adopt.html", offer=offer, form=form)
    try:
        conversion.request_adoption(
            actor=current_user,
            offer=offer,
            intended_use=form.intended_use.data or "",
            scale=form.scale.data or "",
            preferred_terms=form.preferred_terms.data or "",
            wants_trial=bool(form.wants_trial.data),
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return render_template("challenges/adopt.html", offer=offer, form=form)
    except REFUSED as error:
        return _conflict(
            error, lambda: render_template("challenges/adopt.html", offer=offer, form=form)
        )
    db.session.commit()
    flash(_("采用申请已提交，成果方答复后会通知你。"), "success")
    return redirect(url_for("challenges.list_adoptions"))


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
def withdraw_adoption(request_id: int) -> Response | tuple[str, int]:
    """The enterprise withdraws its request before the owner decides."""
    adoption = _or_404(lambda: conversion.get_adoption(actor=current_user, request_id=request_id))
    try:
        conversion.withdraw_adoption(actor=current_user, request=adoption)
    except NotFound:
        abort(404)
    except REFUSED as error:
        return _conflict(error, _render_adoptions)
    db.session.commit()
    flash(_("采用申请已撤回。"), "success")
    return redirect(url_for("challenges.list_adoptions"))


# --- publishing and managing a challenge -------------------------------------------------------
def _publishable_need(need_id: int) -> tuple[Need, bool]:
    """The need to publish on, and whether it is a 政府榜 (admins)."""
    if has_permission(current_user, Permission.CHALLENGE_GOVERNMENT):
        return db.get_or_404(Need, need_id), True
    if not has_permission(current_user, Permission.CHALLENGE_PUBLISH):
        abort(403)
    need = _or_404(lambda: listings.get_owned(actor=current_user, kind="need", listing_id=need_id))
    return need, False  # type: ignore[return-value]


@bp.route("/my/needs/<int:need_id>/challenge", methods=["GET", "POST"])
@login_required
def publish_challenge(need_id: int) -> Response | str | tuple[str, int]:
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

    if not form.validate_on_submit():
        return page()
    try:
        challenge = challenges.publish_challenge(
            actor=current_user, need=need, terms=form.to_terms(is_government=government)
        )
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return page()
    except REFUSED as error:
        return _conflict(error, page)
    db.session.commit()
    flash(_("已发榜。截止前可以邀请机构揭榜。"), "success")
    return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))


def _managed(challenge_id: int) -> Challenge:
    return _or_404(
        lambda: challenges.get_managed_challenge(actor=current_user, challenge_id=challenge_id)
    )


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
    form.validate_on_submit()
    ids = [i for i in (form.organisation_ids.data or []) if isinstance(i, int)]
    orgs = [o for o in (db.session.get(Organisation, i) for i in ids) if o is not None]
    try:
        created = challenges.invite_organisations(
            actor=current_user, challenge=challenge, organisations=orgs
        )
    except REFUSED as error:
        return _conflict(error, lambda: _render_manage(challenge))
    db.session.commit()
    flash(_("已邀请 %(n)d 家机构。", n=len(created)), "success" if created else "info")
    return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))


@bp.post("/my/challenges/<int:challenge_id>/close")
@login_required
def close_challenge(challenge_id: int) -> Response | tuple[str, int]:
    """End the application window early."""
    challenge = _managed(challenge_id)
    try:
        challenges.close_applications(actor=current_user, challenge=challenge)
    except REFUSED as error:
        return _conflict(error, lambda: _render_manage(challenge))
    db.session.commit()
    flash(_("已截止揭榜。"), "success")
    return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))


@bp.post("/my/challenges/<int:challenge_id>/withdraw")
@login_required
def withdraw_challenge(challenge_id: int) -> Response | str | tuple[str, int]:
    """Take an open challenge down, with a reason the applicants see."""
    challenge = _managed(challenge_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_manage(challenge, form)
    try:
        challenges.withdraw_challenge(
            actor=current_user, challenge=challenge, reason=form.reason.data or ""
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_manage(challenge, form)
    except REFUSED as error:
        return _conflict(error, lambda: _render_manage(challenge, form))
    db.session.commit()
    flash(_("榜单已撤下。"), "success")
    return redirect(url_for("challenges.manage_challenge", challenge_id=challenge.id))


# --- results on the conversion list ------------------------------------------------------------
def _owned_result(result_id: int) -> Result:
    return _or_404(
        lambda: listings.get_owned(actor=current_user, kind="result", listing_id=result_id)
    )


def _offer_requests(offer: ConversionOffer | None) -> list[AdoptionRequest]:
    """The adoption requests on the owner's offer (none before it is published)."""
    if offer is None:
        return []
    return _or_404(lambda: conversion.offer_requests(actor=current_user, offer=offer))


@bp.route("/my/results/<int:result_id>/offer", methods=["GET", "POST"])
@permission_required(Permission.OFFER_PUBLISH)
def publish_offer(result_id: int) -> Response | str | tuple[str, int]:
    """Put a listed result on the conversion list (or reopen it with new terms)."""
    result = _owned_result(result_id)
    offer = conversion.offer_of(result)
    form = OfferForm()
    if request.method == "GET" and offer is not None:
        form.modes.data = [int(m) for m in Mode if offer.modes & m]
        form.price_wan.data = offer.price_wan
        form.trial_months.data = offer.trial_months
        form.trial_terms.data = offer.trial_terms

    def page() -> str:
        return render_template(
            "challenges/offer_form.html",
            result=result,
            offer=offer,
            form=form,
            action_form=ActionForm(formdata=None),
            requests=_offer_requests(offer),
        )

    if not form.validate_on_submit():
        return page()
    try:
        offer = conversion.publish_conversion_offer(
            actor=current_user, result=result, terms=form.to_terms()
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return page()
    except REFUSED as error:
        return _conflict(error, page)
    db.session.commit()
    flash(_("已发布到成果转化榜单。"), "success")
    return redirect(url_for("challenges.publish_offer", result_id=result.id))


@bp.post("/my/results/<int:result_id>/offer/close")
@permission_required(Permission.OFFER_PUBLISH)
def close_offer(result_id: int) -> Response | tuple[str, int]:
    """Take a result off the conversion list."""
    result = _owned_result(result_id)
    offer = conversion.offer_of(result)
    if offer is None:
        abort(404)
    try:
        conversion.close_conversion_offer(actor=current_user, offer=offer)
    except REFUSED as error:
        return _conflict(
            error,
            lambda: render_template(
                "challenges/offer_form.html",
                result=result,
                offer=offer,
                form=OfferForm(formdata=None),
                action_form=ActionForm(formdata=None),
                requests=_offer_requests(offer),
            ),
        )
    db.session.commit()
    flash(_("已从成果转化榜单撤下。"), "success")
    return redirect(url_for("challenges.publish_offer", result_id=result.id))
