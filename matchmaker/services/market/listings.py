"""Results and needs: create, edit, submit, retract, withdraw, transfer, confirm.

The state machine is in listing_states.py, the review in review.py, the clock in expiry.py;
their public functions are importable from here too (the views and the CLI call them so).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    Challenge,
    Listing,
    Need,
    Result,
    TechField,
    User,
    listing_model,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.permissions import (
    LISTING_PERMISSION,
    can_manage_listing,
    has_permission,
    publish_refusal,
)
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.market import listing_states, publication
from matchmaker.services.market.expiry import expire_listings as expire_listings
from matchmaker.services.market.listing_states import (
    MACHINES,
    PUBLIC_STATUS,
    REMIND_BEFORE,
    validity_end,
)
from matchmaker.services.market.review import REASON_LABELS as REASON_LABELS
from matchmaker.services.market.review import approve_listing as approve_listing
from matchmaker.services.market.review import reject_listing as reject_listing
from matchmaker.services.market.review import review_queue_query as review_queue_query
from matchmaker.services.market.review import review_queue_size as review_queue_size
from matchmaker.services.market.review import send_review_digest as send_review_digest
from matchmaker.services.platform.amounts import check_amount
from matchmaker.services.platform.regions import REGIONS


@dataclass(frozen=True)
class ListingData:
    """Fields common to results and needs, as typed by the owner."""

    title: str
    field_id: int | None
    keywords: tuple[str, ...]
    region: str
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


@dataclass(frozen=True)
class ResultData(ListingData):
    """A result's fields."""

    summary: str = ""
    description: str = ""
    trl: int | None = None
    patents: tuple[dict[str, str], ...] = ()
    software_copyrights: tuple[str, ...] = ()
    modes: int = 0
    trial_terms: str = ""
    price_wan: Decimal | None = None
    team: str = ""


@dataclass(frozen=True)
class NeedData(ListingData):
    """A need's fields."""

    description: str = ""
    targets: str = ""
    existing_base: str = ""
    budget_wan: Decimal = Decimal(0)
    deadline: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- helpers ----------------------------------------------------------------------------------
#: The states in which the owner may edit a listing (and its attachments), from the machines.
EDITABLE = {kind: machine.sources("edit") for kind, machine in MACHINES.items()}
SUBSTANCE_EXCLUDED = {"contact_name", "contact_phone", "contact_email"}


MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 40


def keyword_errors(keywords: tuple[str, ...]) -> list[str]:
    """Why normalised keywords are refused: too many, or one too long (never cut silently)."""
    problems = []
    if len(keywords) > MAX_KEYWORDS:
        problems.append(
            _("关键词最多 %(max)d 个，现有 %(n)d 个。", max=MAX_KEYWORDS, n=len(keywords))
        )
    if any(len(word) > MAX_KEYWORD_LENGTH for word in keywords):
        problems.append(_("每个关键词不能超过 %(max)d 个字。", max=MAX_KEYWORD_LENGTH))
    return problems


def normalise_keywords(raw: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Split on commas (ASCII or Chinese), semicolons and 、; trim; drop duplicates; keep order.

    Nothing is cut: `keyword_errors` refuses more than MAX_KEYWORDS or an overlong one.
    """
    if isinstance(raw, str):
        for sep in "，,;；、\n":
            raw = raw.replace(sep, ",")
        items = raw.split(",")
    else:
        items = list(raw)
    seen: dict[str, None] = {}
    for item in items:
        word = item.strip()
        if word and word.lower() not in {k.lower() for k in seen}:
            seen[word] = None
    return tuple(seen)


def _check_owner(actor: User, listing: Listing) -> None:
    if not can_manage_listing(actor, listing):
        raise NotFound


def _validate_common(data: ListingData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("请填写标题。")]
    if data.region not in REGIONS:
        errors["region"] = [_("请选择所在地区。")]
    keyword_problems = keyword_errors(normalise_keywords(data.keywords))
    if keyword_problems:
        errors["keywords"] = keyword_problems
    if data.field_id is not None:
        tech_field = db.session.get(TechField, data.field_id)
        if tech_field is None or not tech_field.is_active:
            errors["field_id"] = [_("请选择有效的技术领域。")]
    return errors


def _validate(kind: str, data: ListingData) -> None:
    errors = _validate_common(data)
    if isinstance(data, ResultData):
        if data.trl is not None and not 1 <= data.trl <= 9:
            errors["trl"] = [_("技术成熟度应在 1 到 9 之间。")]
        check_amount(errors, "price_wan", data.price_wan)
        if not 0 <= data.modes < 128:
            errors["modes"] = [_("交易方式无效。")]
    elif isinstance(data, NeedData):
        check_amount(errors, "budget_wan", data.budget_wan, negotiable=True)
    if errors:
        raise ValidationFailed(errors)


def _completeness(listing: Listing) -> dict[str, list[str]]:
    """What must be filled in before a listing can be submitted for review."""
    errors: dict[str, list[str]] = {}
    if listing.field_id is None:
        errors["field_id"] = [_("提交前请选择技术领域。")]
    if not listing.contact_name.strip() or not (
        listing.contact_phone.strip() or listing.contact_email.strip()
    ):
        errors["contact_name"] = [_("提交前请填写联系人，以及电话或邮箱。")]
    if isinstance(listing, Result):
        if len(listing.summary.strip()) < 20:
            errors["summary"] = [_("提交前请填写至少 20 个字的成果简介。")]
        if listing.trl is None:
            errors["trl"] = [_("提交前请选择技术成熟度。")]
        if not listing.modes:
            errors["modes"] = [_("提交前请至少选择一种交易方式。")]
    else:
        if len(listing.description.strip()) < 20:
            errors["description"] = [_("提交前请填写至少 20 个字的需求描述。")]
        if listing.deadline is None:
            errors["deadline"] = [_("提交前请填写需求截止日期。")]
        elif listing.deadline < datetime.now(CHINA).date():
            errors["deadline"] = [_("截止日期不能早于今天。")]
    return errors


def _apply(listing: Listing, data: ListingData) -> set[str]:
    """Copy the data onto the listing; returns the names of the fields that changed."""
    changed = set()
    for item in dataclasses.fields(data):
        if item.name == "extra":
            continue
        value = getattr(data, item.name)
        if item.name == "keywords":
            value = ",".join(normalise_keywords(value))
        elif item.name in ("patents", "software_copyrights"):
            value = [dict(v) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, str):
            value = value.strip()
        if getattr(listing, item.name) != value:
            setattr(listing, item.name, value)
            changed.add(item.name)
    return changed


# --- owner actions ----------------------------------------------------------------------------
def create_listing(*, actor: User, data: ResultData | NeedData) -> Listing:
    """Create a draft result or need for the actor's organisation (verified or not)."""
    kind = "result" if isinstance(data, ResultData) else "need"
    if not has_permission(actor, LISTING_PERMISSION[kind]) or actor.organisation_id is None:
        raise PermissionDenied
    _validate(kind, data)
    listing = listing_model(kind)(
        organisation_id=actor.organisation_id, created_by=actor, status="draft"
    )
    _apply(listing, data)
    db.session.add(listing)
    db.session.flush()
    listing_states.audit(
        actor, listing, "create", {}, after={"status": "draft", "title": listing.title}
    )
    return listing


def _refuse_if_challenge(listing: Listing) -> None:
    # A need published as a challenge has terms fixed up front and applicants relying on them:
    # it changes only through the challenge services (which notify the applicants).
    if isinstance(listing, Need) and db.session.scalar(
        sa.select(Challenge.id).where(Challenge.need_id == listing.id)
    ):
        raise InvalidTransition(_("这条需求已发布为榜单，请在榜单中操作。"))


def update_listing(*, actor: User, listing: Listing, data: ResultData | NeedData) -> set[str]:
    """Edit a listing; editing the substance of a published one sends it back to review."""
    _check_owner(actor, listing)
    _refuse_if_challenge(listing)
    listing_states.check(listing, "edit")
    _validate(listing.KIND, data)
    before = {"status": str(listing.status)}
    changed = _apply(listing, data)
    if changed - SUBSTANCE_EXCLUDED:
        send_back_to_review(listing)
    if changed:
        after = {"status": str(listing.status), "fields": sorted(changed)}
        listing_states.audit(actor, listing, "update", before, after=after)
    return changed


def send_back_to_review(listing: Listing) -> None:
    """A published listing's substance changed: review it again (the public keeps the old one)."""
    if listing_states.machine_of(listing).can(listing, "revise"):
        # audited by the edit that caused it (the update, or the attachment added or removed)
        listing_states.step(listing, "revise", actor=None, audit=False)
        listing.submitted_at = utcnow()  # admins see the queue and a daily digest


def submit_listing(*, actor: User, listing: Listing) -> None:
    """Send a draft for review; only verified organisations may."""
    _check_owner(actor, listing)
    if why := publish_refusal(actor, _("机构通过平台认证后才能提交发布。")):
        raise PermissionDenied(why)
    listing_states.check(listing, "submit")
    errors = _completeness(listing)
    if errors:
        raise ValidationFailed(errors)
    listing_states.step(listing, "submit", actor=actor)
    listing.submitted_at = utcnow()  # admins see the queue and a daily digest


def retract_submission(*, actor: User, listing: Listing) -> None:
    """Take a listing back from the review queue into draft."""
    _check_owner(actor, listing)
    listing_states.step(listing, "retract", actor=actor)


def withdraw_listing(*, actor: User, listing: Listing, reason: str | None = None) -> None:
    """Take a listing off the market (its public version disappears at once)."""
    _check_owner(actor, listing)
    _refuse_if_challenge(listing)
    listing_states.step(listing, "withdraw", actor=actor, reason=reason)
    publication.unpublish(listing)


def mark_transferred(*, actor: User, listing: Result) -> None:
    """A result has been transferred: it leaves the supermarket."""
    _check_owner(actor, listing)
    if not isinstance(listing, Result):  # a need has no such step
        raise InvalidTransition(str(listing_states.REFUSALS["transfer"]))
    listing_states.step(listing, "transfer", actor=actor)
    publication.unpublish(listing)


def confirm_listing(*, actor: User, listing: Listing, now: datetime | None = None) -> datetime:
    """One click: the listing is still available; extend its validity."""
    _check_owner(actor, listing)
    listing_states.check(listing, "confirm")
    now = now or utcnow()
    before = {"expires_at": _iso(listing.expires_at)}
    listing.confirmed_at = now
    listing.expires_at = validity_end(listing, now)
    listing.reminded_at = None
    if listing.publication is not None:
        listing.publication.expires_at = listing.expires_at
    after = {"expires_at": _iso(listing.expires_at)}
    listing_states.audit(actor, listing, "confirm", before, after=after)
    return listing.expires_at


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- lookups ----------------------------------------------------------------------------------
def get_owned(*, actor: User, kind: str, listing_id: int) -> Listing:
    """A listing of the actor's organisation, or NotFound (another org's id does not exist)."""
    listing = cast(Listing | None, db.session.get(listing_model(kind), listing_id))
    if listing is None or not can_manage_listing(actor, listing):
        raise NotFound
    return listing


def organisation_listings(*, organisation_id: int, kind: str) -> list[Listing]:
    """Every listing of an organisation (owner's view), newest first."""
    model = listing_model(kind)
    return list(
        db.session.scalars(
            sa.select(model)
            .where(model.organisation_id == organisation_id)
            .options(selectinload(model.publication))
            .order_by(model.updated_at.desc(), model.id.desc())
        )
    )


def owner_overview(
    *, organisation_id: int, kind: str, now: datetime | None = None
) -> dict[str, Any]:
    """Counts by status and the listings expiring within the reminder window (dashboard).

    One life cycle per set of counts: a need published as a challenge (榜单) has left the need's
    life cycle (its status is then the challenge's state), so it is counted apart as
    `challenges`, never as an open need; the dashboard's 我的榜单 panel shows the challenge states.
    """
    now = now or utcnow()
    model = listing_model(kind)
    owned = model.organisation_id == organisation_id
    with_challenge = sa.exists().where(Challenge.need_id == Need.id)
    query = sa.select(model.status, sa.func.count()).where(owned).group_by(model.status)
    challenges = 0
    if model is Need:
        query = query.where(~with_challenge)
        counted = sa.select(sa.func.count()).select_from(Need).where(owned, with_challenge)
        challenges = int(db.session.scalar(counted) or 0)
    rows = db.session.execute(query).all()
    expiring = db.session.scalars(
        sa.select(model)
        .where(
            model.organisation_id == organisation_id,
            model.status == PUBLIC_STATUS[kind],
            model.expires_at <= now + REMIND_BEFORE,
        )
        .order_by(model.expires_at)
    ).all()
    return {
        "counts": {str(s): n for s, n in rows},
        "challenges": challenges,
        "expiring": list(expiring),
    }
