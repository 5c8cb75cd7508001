"""Owners create, edit, preview, submit, withdraw and confirm their results and needs."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Attachment, Challenge, Listing, Need, Result
from matchmaker.permissions import LISTING_PERMISSION, Permission, can_publish, has_permission
from matchmaker.services import matching
from matchmaker.services.challenges import challenges
from matchmaker.services.market import attachments, listings
from matchmaker.services.platform import taxonomy
from matchmaker.services.platform.regions import region_choices
from matchmaker.web.forms import form_errors
from matchmaker.web.funnel_panels import owner_funnel
from matchmaker.web.i18n import select_locale
from matchmaker.web.listings.forms import ActionForm, AttachmentForm, NeedForm, ResultForm
from matchmaker.web.policy import accepts_files, permission_required
from matchmaker.web.refusals import on_refusal
from matchmaker.web.tracking import record_impressions

bp = Blueprint("listings", __name__)
KINDS = {"results": "result", "needs": "need"}
FORMS = {"result": ResultForm, "need": NeedForm}


def _kind(kinds: str) -> str:
    kind = KINDS[kinds]
    if not has_permission(current_user, LISTING_PERMISSION[kind]):
        abort(403)
    return kind


def _owned(kinds: str, listing_id: int) -> Listing:
    """My organisation's listing (anyone else's is a 404, through the error mapping)."""
    return listings.get_owned(actor=current_user, kind=_kind(kinds), listing_id=listing_id)


def _form(kind: str, **kwargs: object) -> ResultForm | NeedForm:
    form = FORMS[kind](**kwargs)
    form.region.choices = region_choices()
    form.field_id.choices = [(0, _("请选择"))] + taxonomy.field_choices(select_locale())
    return form


@bp.get("/listings")
@permission_required(Permission.LISTING_MANAGE)
def mine() -> str:
    """My organisation's results or needs, with their states."""
    kind = "result" if has_permission(current_user, Permission.RESULT_CREATE) else "need"
    items = listings.organisation_listings(organisation_id=current_user.organisation_id, kind=kind)
    found = _challenges(items)
    status = request.args.get("status", "")
    if status == "challenge":  # the dashboard's 已发布为榜单 chip
        items = [item for item in items if item.id in found]
    elif status in {str(item.status) for item in items}:  # a listing state's chip
        items = [item for item in items if item.status == status and item.id not in found]
    else:
        status = ""
    return render_template(
        "listings/mine.html",
        kind=kind,
        items=items,
        challenges=found,
        status_filter=status,
        can_submit=can_publish(current_user),
    )


def _challenges(items: list[Listing]) -> dict[int, Challenge]:
    """The challenge published on each need that has one (its state is shown apart)."""
    return challenges.challenges_of([item for item in items if isinstance(item, Need)])


@bp.route("/<any(results, needs):kinds>/new", methods=["GET", "POST"])
@permission_required(Permission.LISTING_MANAGE)
def new(kinds: str) -> Response | str:
    """Create a draft."""
    kind = _kind(kinds)
    form = _form(kind)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            listing = listings.create_listing(actor=current_user, data=form.to_data())
        if outcome.ok:
            flash(_("草稿已保存。检查无误后可以提交审核。"), "success")
            return redirect(url_for("listings.show", kinds=kinds, listing_id=listing.id))
    return render_template("listings/edit.html", form=form, kind=kind, listing=None)


@bp.route("/<any(results, needs):kinds>/<int:listing_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.LISTING_MANAGE)
def edit(kinds: str, listing_id: int) -> Response | str:
    """Edit a listing; a published one goes back to review while the public keeps the old one."""
    listing = _owned(kinds, listing_id)
    form = _form(listing.KIND)
    if request.method == "GET":
        form.fill_from(listing)
    if form.validate_on_submit():
        was_public = listing.status in ("listed", "open")
        on_refusal(lambda: _render_show(listing))
        with form_errors(form) as outcome:
            changed = listings.update_listing(
                actor=current_user, listing=listing, data=form.to_data()
            )
        if outcome.ok:
            if was_public and listing.status == "pending_review":
                flash(_("修改已保存并提交审核；审核通过前公众仍看到原来的版本。"), "info")
            elif changed:
                flash(_("修改已保存。"), "success")
            else:
                flash(_("没有修改。"), "info")
            return redirect(url_for("listings.show", kinds=kinds, listing_id=listing.id))
    return render_template("listings/edit.html", form=form, kind=listing.KIND, listing=listing)


@bp.get("/<any(results, needs):kinds>/<int:listing_id>")
@permission_required(Permission.LISTING_MANAGE)
def show(kinds: str, listing_id: int) -> str:
    """The owner's page: state, reviewer's reason, preview, actions and attachments."""
    return _render_show(_owned(kinds, listing_id))


def _render_show(listing: Listing) -> str:
    recommendations = matching.recommend_for(listing, k=5)
    record_impressions(rec.publication for rec in recommendations)
    return render_template(
        "listings/show.html",
        listing=listing,
        kind=listing.KIND,
        challenge=challenges.challenge_of(listing) if isinstance(listing, Need) else None,
        recommendations=recommendations,
        listing_funnel=owner_funnel(listing),
        duplicates=matching.similar_listings(listing),
        feedback_form=None,
        action_form=ActionForm(formdata=None),
        attachment_form=AttachmentForm(formdata=None),
        can_submit=can_publish(current_user),
    )


ACTIONS: dict[str, tuple[Callable[..., object], str]] = {
    "submit": (listings.submit_listing, _l("已提交审核，平台审核后会通知你。")),
    "retract": (listings.retract_submission, _l("已撤回审核，内容回到草稿。")),
    "withdraw": (listings.withdraw_listing, _l("已撤下，公众不再看到这条内容。")),
    "confirm": (listings.confirm_listing, _l("已确认仍然有效，展示期已延长。")),
    "transfer": (listings.mark_transferred, _l("已标记为已转化。")),
}


@bp.post("/<any(results, needs):kinds>/<int:listing_id>/action")
@permission_required(Permission.LISTING_MANAGE)
def act(kinds: str, listing_id: int) -> Response:
    """Submit, retract, withdraw, confirm or mark transferred."""
    listing = _owned(kinds, listing_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    action = form.action.data
    if action == "transfer" and not isinstance(listing, Result):
        abort(400)
    service, message = ACTIONS[action]
    # A refused step answers 409 (403 for a refused permission) with the listing page and why;
    # an incomplete draft's missing fields are flashed on the listing page.
    on_refusal(lambda: _render_show(listing))
    with form_errors(None) as outcome:
        service(actor=current_user, listing=listing)
    if outcome.ok:
        flash(str(message), "success")
    return redirect(url_for("listings.show", kinds=kinds, listing_id=listing.id))


@bp.post("/<any(results, needs):kinds>/<int:listing_id>/attachments")
@permission_required(Permission.LISTING_MANAGE)
@accepts_files
def upload(kinds: str, listing_id: int) -> Response:
    """Attach a PDF or image."""
    listing = _owned(kinds, listing_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        for text in form.file.errors:
            flash(text, "danger")
        return redirect(url_for("listings.show", kinds=kinds, listing_id=listing.id))
    upload_file = form.file.data
    on_refusal(lambda: _render_show(listing))
    with form_errors(None) as outcome:  # a refused file: its reasons flashed on the listing
        attachments.add_attachment(
            actor=current_user,
            listing=listing,
            stream=upload_file.stream,
            filename=upload_file.filename or "",
        )
    if not outcome.ok:
        return redirect(url_for("listings.show", kinds=kinds, listing_id=listing.id))
    flash(_("附件已上传。"), "success")
    return redirect(url_for("listings.show", kinds=kinds, listing_id=listing.id))


@bp.post("/<any(results, needs):kinds>/<int:listing_id>/attachments/<int:attachment_id>/delete")
@permission_required(Permission.LISTING_MANAGE)
def delete_attachment(kinds: str, listing_id: int, attachment_id: int) -> Response:
    """Remove an attachment."""
    listing = _owned(kinds, listing_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment not in listing.attachments:
        abort(404)
    on_refusal(lambda: _render_show(listing))
    attachments.remove_attachment(actor=current_user, attachment=attachment)
    flash(_("附件已删除。"), "success")
    return redirect(url_for("listings.show", kinds=kinds, listing_id=listing.id))
