"""The admin review queue: pending listings (and challenges: challenge_views.py) oldest first;
a listing with its diff, approve or reject."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Need, Result, listing_model
from matchmaker.models.listing import PATENT_STATUS_LABELS
from matchmaker.permissions import Permission
from matchmaker.services import matching
from matchmaker.services.challenges import challenge_review
from matchmaker.services.market import listings, publication
from matchmaker.services.platform.amounts import format_money
from matchmaker.services.platform.dates import format_date
from matchmaker.services.platform.regions import region_label
from matchmaker.services.talent import expert_review
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.forms import form_errors
from matchmaker.web.labels import mode_labels, stage_label
from matchmaker.web.listings.links import link_for
from matchmaker.web.policy import permission_required
from matchmaker.web.refusals import on_refusal
from matchmaker.web.review.forms import RejectListingForm
from matchmaker.web.review.queue_rows import queue_rows

bp = Blueprint("review", __name__)
KINDS = {"results": "result", "needs": "need"}
#: Below this share of unchanged characters a text is shown before / after, not interleaved.
INTERLEAVE_MIN_RATIO = 0.5


@dataclass(frozen=True)
class ReviewRow:
    """One field of the review table as a person reads it.

    `shape` is "text" (before / after as plain text), "segments" (an inline diff), or
    "tags" (keywords: kept, removed and added ones).
    """

    key: str
    shape: str
    before: str | None = None
    after: str | None = None
    segments: tuple[tuple[str, str], ...] = ()
    tags: tuple[tuple[str, str], ...] = ()


def _shown(key: str, value: Any) -> str | None:
    """A field's value formatted for people (labels, units, dates), None when empty."""
    if value is None or value == "" or value == []:
        return None
    if key == "region":
        return region_label(value)
    if key == "amount":
        return format_money(value)
    if key == "trl":
        return stage_label(value)
    if key == "modes":
        return "、".join(mode_labels(value)) or None
    if key == "deadline" and isinstance(value, date):
        return format_date(value)
    if key == "patents":
        labels = PATENT_STATUS_LABELS
        lines = [f"{p.get('number', '')} · {labels.get(p.get('status'), '')}" for p in value]
        return "\n".join(lines)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _row(change: dict[str, Any]) -> ReviewRow:
    key, before, after = change["key"], change["before"], change["after"]
    if key == "keywords":
        old, new = list(before or []), list(after or [])
        tags = [("delete", k) for k in old if k not in new]
        tags += [("insert" if k not in old else "equal", k) for k in new]
        return ReviewRow(key=key, shape="tags", tags=tuple(tags))
    if change["segments"] and isinstance(before, str) and isinstance(after, str):
        similar = difflib.SequenceMatcher(a=before, b=after, autojunk=False).ratio()
        if similar >= INTERLEAVE_MIN_RATIO:
            return ReviewRow(key=key, shape="segments", segments=tuple(change["segments"]))
    return ReviewRow(key=key, shape="text", before=_shown(key, before), after=_shown(key, after))


@bp.get("/")
@permission_required(Permission.LISTING_REVIEW)
def queue() -> str:
    """Everything waiting for review (results, needs, challenges), oldest first."""
    rows = queue_rows(
        listings.review_queue_query(),
        challenge_review.pending_challenges(),
        expert_review.pending_experts(),
    )
    return render_template("review/queue.html", items=rows)


def _render(
    listing: Result | Need, reject_form: RejectListingForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "review/show.html",
        listing=listing,
        kind=listing.KIND,
        changes=[_row(change) for change in publication.changes_since_approval(listing)],
        duplicates=matching.similar_listings(listing),
        approve_form=ConfirmForm(formdata=None),
        reject_form=reject_form,
    ), status


@bp.get("/<any(results, needs):kinds>/<int:listing_id>")
@permission_required(Permission.LISTING_REVIEW)
def show(kinds: str, listing_id: int) -> tuple[str, int]:
    """One listing with its changes against the last approved version."""
    listing = db.get_or_404(listing_model(KINDS[kinds]), listing_id)
    return _render(listing, RejectListingForm(formdata=None))


@bp.post("/<any(results, needs):kinds>/<int:listing_id>/approve")
@permission_required(Permission.LISTING_REVIEW)
def approve(kinds: str, listing_id: int) -> Response:
    """Approve: the listing (or its new version) goes public."""
    listing = db.get_or_404(listing_model(KINDS[kinds]), listing_id)
    on_refusal(lambda: _render(listing, RejectListingForm(formdata=None))[0])
    listings.approve_listing(actor=current_user, listing=listing, link_for=link_for)
    flash(_("已通过：%(title)s", title=listing.title), "success")
    return redirect(url_for("review.queue"))


@bp.post("/<any(results, needs):kinds>/<int:listing_id>/reject")
@permission_required(Permission.LISTING_REVIEW)
def reject(kinds: str, listing_id: int) -> Response | tuple[str, int]:
    """Send back to the owner with a reason code and text."""
    listing = db.get_or_404(listing_model(KINDS[kinds]), listing_id)
    on_refusal(lambda: _render(listing, RejectListingForm(formdata=None))[0])
    form = RejectListingForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            listings.reject_listing(
                actor=current_user,
                listing=listing,
                code=form.code.data,
                reason=form.reason.data,
                link_for=link_for,
            )
        if outcome.ok:
            flash(_("已驳回：%(title)s", title=listing.title), "success")
            return redirect(url_for("review.queue"))
    return _render(listing, form, 400)
