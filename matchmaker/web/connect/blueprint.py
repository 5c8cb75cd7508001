"""The 对接 blueprint object (its views live in the sibling modules, one per area), the labels
its templates use and the `can_enquire` check behind every "发起对接" button."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for
from flask.blueprints import BlueprintSetupState

from matchmaker.models.enquiry import (
    ENQUIRY_DECLINE_LABELS,
    ENQUIRY_STATUS_LABELS,
    INTENT_LABELS,
    OUTCOME_LABELS,
    Enquiry,
    EnquiryStatus,
)
from matchmaker.models.listing import Need
from matchmaker.permissions import can_publish
from matchmaker.services.connect import introductions, targets

bp = Blueprint("connect", __name__)

#: Badge colour of each enquiry state.
ENQUIRY_STATUS_STYLES = {
    EnquiryStatus.PROPOSED: "primary",
    EnquiryStatus.OPEN: "warning",
    EnquiryStatus.INFO_REQUESTED: "info",
    EnquiryStatus.ACCEPTED: "success",
    EnquiryStatus.DECLINED: "secondary",
    EnquiryStatus.WITHDRAWN: "secondary",
    EnquiryStatus.CLOSED: "dark",
}

#: Jinja globals (also seen by macros imported without context).
CONNECT_LABELS: dict[str, object] = {
    "INTENT_LABELS": INTENT_LABELS,
    "ENQUIRY_STATUS_LABELS": ENQUIRY_STATUS_LABELS,
    "ENQUIRY_STATUS_STYLES": ENQUIRY_STATUS_STYLES,
    "ENQUIRY_DECLINE_LABELS": ENQUIRY_DECLINE_LABELS,
    "OUTCOME_LABELS": OUTCOME_LABELS,
}


@bp.record_once
def _register_labels(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals.update(CONNECT_LABELS)


@bp.app_template_global("can_enquire")
def can_enquire(user: Any, owner_org_id: int | None) -> bool:
    """Whether to offer "发起对接" on a listing of `owner_org_id`: a member of a verified
    organisation other than the owner (the service decides; this only hides a useless button)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(
        can_publish(user) and owner_org_id is not None and user.organisation_id != owner_org_id
    )


@bp.app_template_global("can_introduce")
def can_introduce(user: Any, need: Need | None) -> bool:
    """Whether to offer "由经纪人引荐" on a need's page: a verified broker following it."""
    if need is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return introductions.can_introduce(user, need)


@bp.app_template_global("enquiry_title")
def enquiry_title(enquiry: Enquiry) -> str:
    """What an enquiry is about: a listing's title or an expert's name."""
    return targets.subject_title(enquiry)


@bp.app_template_global("subject_url")
def subject_url(kind: str, target_id: int) -> str:
    """The public page of a result, need or expert."""
    if kind == "expert":
        return url_for("talent.show_expert", expert_id=target_id)
    return url_for(f"market.{kind}", listing_id=target_id)
