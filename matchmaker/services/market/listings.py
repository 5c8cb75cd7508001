"""Results and needs: create, edit, submit, review, withdraw, confirm, expire (state machine)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    Challenge,
    Listing,
    Need,
    NeedStatus,
    Result,
    ResultStatus,
    ReviewReason,
    TechField,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import (
    LISTING_PERMISSION,
    Permission,
    can_manage_listing,
    can_publish,
    has_permission,
)
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.market import publication
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify
from matchmaker.services.platform.regions import REGIONS

CHINA = ZoneInfo("Asia/Shanghai")
RESULT_VALIDITY = timedelta(days=365)
NEED_MAX_VALIDITY = timedelta(days=365)
REMIND_BEFORE = timedelta(days=14)

#: Link builder the web layer installs (services never call url_for); the CLI leaves paths.
LinkFor = Callable[[Listing], str]


def _default_link(listing: Listing) -> str:
    return f"/my/{listing.KIND}s/{listing.id}"


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
PUBLIC_STATUS = {"result": ResultStatus.LISTED, "need": NeedStatus.OPEN}
EDITABLE = {
    "result": {
        ResultStatus.DRAFT,
        ResultStatus.PENDING_REVIEW,
        ResultStatus.LISTED,
        ResultStatus.WITHDRAWN,
        ResultStatus.EXPIRED,
    },
    "need": {
        NeedStatus.DRAFT,
        NeedStatus.PENDING_REVIEW,
        NeedStatus.OPEN,
        NeedStatus.WITHDRAWN,
        NeedStatus.EXPIRED,
    },
}
SUBMITTABLE = {
    "result": {ResultStatus.DRAFT, ResultStatus.WITHDRAWN, ResultStatus.EXPIRED},
    "need": {NeedStatus.DRAFT, NeedStatus.WITHDRAWN, NeedStatus.EXPIRED},
}
WITHDRAWABLE = {
    "result": {ResultStatus.PENDING_REVIEW, ResultStatus.LISTED, ResultStatus.DRAFT},
    "need": {NeedStatus.PENDING_REVIEW, NeedStatus.OPEN, NeedStatus.DRAFT},
}
MODEL = {"result": Result, "need": Need}
SUBSTANCE_EXCLUDED = {"contact_name", "contact_phone", "contact_email"}


def normalise_keywords(raw: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Split on commas (ASCII or Chinese), semicolons and 、; trim; drop duplicates; keep order."""
    if isinstance(raw, str):
        for sep in "，,;；、\n":
            raw = raw.replace(sep, ",")
        items = raw.split(",")
    else:
        items = list(raw)
    seen: dict[str, None] = {}
    for item in items:
        word = item.strip()[:40]
        if word and word.lower() not in {k.lower() for k in seen}:
            seen[word] = None
    return tuple(seen)[:20]


def _state(listing: Listing) -> dict[str, Any]:
    return {"status": str(listing.status)}


def _check_owner(actor: User, listing: Listing) -> None:
    if not can_manage_listing(actor, listing):
        raise NotFound


def _audit(
    actor: User | None,
    listing: Listing,
    action: str,
    before: dict[str, Any],
    *,
    reason: str | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    record_audit(
        actor=actor,
        action=f"{listing.KIND}.{action}",
        object_type=listing.KIND,
        object_id=listing.id,
        before=before,
        after=after or _state(listing),
        reason=reason,
    )


def _validate_common(data: ListingData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("请填写标题。")]
    if data.region not in REGIONS:
        errors["region"] = [_("请选择所在地区。")]
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
        if data.price_wan is not None and data.price_wan < 0:
            errors["price_wan"] = [_("价格不能为负数。")]
        if not 0 <= data.modes < 128:
            errors["modes"] = [_("交易方式无效。")]
    elif isinstance(data, NeedData) and data.budget_wan < 0:
        errors["budget_wan"] = [_("意向金额不能为负数，面议请填 0。")]
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
    listing = MODEL[kind](organisation_id=actor.organisation_id, created_by=actor)
    listing.status = "draft"
    _apply(listing, data)
    db.session.add(listing)
    db.session.flush()
    _audit(actor, listing, "create", {}, after={"status": "draft", "title": listing.title})
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
    if listing.status not in EDITABLE[listing.KIND]:
        raise InvalidTransition(_("当前状态下不能修改。"))
    _validate(listing.KIND, data)
    before = _state(listing)
    changed = _apply(listing, data)
    if changed - SUBSTANCE_EXCLUDED:
        send_back_to_review(listing)
    if changed:
        _audit(
            actor, listing, "update", before, after={**_state(listing), "fields": sorted(changed)}
        )
    return changed


def send_back_to_review(listing: Listing) -> None:
    """A published listing's substance changed: review it again (the public keeps the old one)."""
    if listing.status == PUBLIC_STATUS[listing.KIND]:
        listing.status = "pending_review"
        listing.submitted_at = utcnow()
        _notify_reviewers(listing)


def submit_listing(*, actor: User, listing: Listing) -> None:
    """Send a draft for review; only verified organisations may."""
    _check_owner(actor, listing)
    if not can_publish(actor):
        raise PermissionDenied(_("机构通过平台认证后才能提交发布。"))
    if listing.status not in SUBMITTABLE[listing.KIND]:
        raise InvalidTransition(_("只有草稿可以提交审核。"))
    errors = _completeness(listing)
    if errors:
        raise ValidationFailed(errors)
    before = _state(listing)
    listing.status = "pending_review"
    listing.submitted_at = utcnow()
    _audit(actor, listing, "submit", before)
    _notify_reviewers(listing)


def retract_submission(*, actor: User, listing: Listing) -> None:
    """Take a listing back from the review queue into draft."""
    _check_owner(actor, listing)
    if listing.status != "pending_review":
        raise InvalidTransition(_("这条内容不在审核中。"))
    before = _state(listing)
    listing.status = "draft"
    _audit(actor, listing, "retract", before)


def withdraw_listing(*, actor: User, listing: Listing, reason: str | None = None) -> None:
    """Take a listing off the market (its public version disappears at once)."""
    _check_owner(actor, listing)
    _refuse_if_challenge(listing)
    if listing.status not in WITHDRAWABLE[listing.KIND]:
        raise InvalidTransition(_("当前状态下不能撤下。"))
    before = _state(listing)
    listing.status = "withdrawn"
    publication.unpublish(listing)
    _audit(actor, listing, "withdraw", before, reason=reason)


def mark_transferred(*, actor: User, listing: Result) -> None:
    """A result has been transferred: it leaves the supermarket."""
    _check_owner(actor, listing)
    if not isinstance(listing, Result) or listing.status != ResultStatus.LISTED:
        raise InvalidTransition(_("只有已上架的成果可以标记为已转化。"))
    before = _state(listing)
    listing.status = ResultStatus.TRANSFERRED
    publication.unpublish(listing)
    _audit(actor, listing, "transfer", before)


def confirm_listing(*, actor: User, listing: Listing, now: datetime | None = None) -> datetime:
    """One click: the listing is still available; extend its validity."""
    _check_owner(actor, listing)
    if listing.status != PUBLIC_STATUS[listing.KIND] and not (
        listing.status == "pending_review" and listing.has_public_version
    ):
        raise InvalidTransition(_("只有公开展示中的内容需要确认。"))
    now = now or utcnow()
    before = {"expires_at": _iso(listing.expires_at)}
    listing.confirmed_at = now
    listing.expires_at = validity_end(listing, now)
    listing.reminded_at = None
    if listing.publication is not None:
        listing.publication.expires_at = listing.expires_at
    _audit(actor, listing, "confirm", before, after={"expires_at": _iso(listing.expires_at)})
    return listing.expires_at


def validity_end(listing: Listing, start: datetime) -> datetime:
    """When a listing approved or confirmed at `start` stops being shown."""
    if isinstance(listing, Result):
        return start + RESULT_VALIDITY
    limit = start + NEED_MAX_VALIDITY
    if listing.deadline is None:
        return limit
    end_of_deadline = datetime.combine(listing.deadline, time.max, CHINA).astimezone(UTC)
    return min(limit, end_of_deadline)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- review -----------------------------------------------------------------------------------
def approve_listing(
    *, actor: User, listing: Listing, link_for: LinkFor = _default_link, now: datetime | None = None
) -> None:
    """Approve a pending listing: it (or its new version) goes public."""
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    if listing.status != "pending_review":
        raise InvalidTransition(_("只有待审核的内容可以通过。"))
    now = now or utcnow()
    before = _state(listing)
    listing.status = PUBLIC_STATUS[listing.KIND]
    listing.reviewed_at = now
    listing.review_reason_code = None
    listing.review_reason = None
    listing.published_at = listing.published_at or now
    listing.confirmed_at = now
    listing.expires_at = validity_end(listing, now)
    listing.reminded_at = None
    publication.publish(listing, now=now)
    _audit(actor, listing, "approve", before)
    notify(
        users=_owners(listing),
        kind="listing.approved",
        params={"title": listing.title, "expires": _local_date(listing.expires_at)},
        link=link_for(listing),
    )


def reject_listing(
    *, actor: User, listing: Listing, code: str, reason: str, link_for: LinkFor = _default_link
) -> None:
    """Send a pending listing back to draft with a reason code and text the owner sees."""
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    if listing.status != "pending_review":
        raise InvalidTransition(_("只有待审核的内容可以驳回。"))
    try:
        code = ReviewReason(code)
    except ValueError:
        raise ValidationFailed({"code": _("请选择驳回原因。")}) from None
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": _("请填写具体的修改意见。")})
    before = _state(listing)
    listing.status = "draft"
    listing.reviewed_at = utcnow()
    listing.review_reason_code = str(code)
    listing.review_reason = reason
    _audit(actor, listing, "reject", before, reason=f"{code}: {reason}")
    notify(
        users=_owners(listing),
        kind="listing.rejected",
        params={"title": listing.title, "reason_label": str(REASON_LABELS[code]), "reason": reason},
        link=link_for(listing),
    )


def review_queue_query() -> list[Listing]:
    """Every listing waiting for review, oldest submission first."""
    pending: list[Listing] = []
    for model in (Result, Need):
        pending.extend(
            db.session.scalars(
                sa.select(model)
                .where(model.status == "pending_review")
                .options(selectinload(model.organisation), selectinload(model.publication))
            )
        )
    return sorted(pending, key=lambda x: (x.submitted_at or x.created_at, x.KIND, x.id))


# --- the clock --------------------------------------------------------------------------------
def expire_listings(
    *, now: datetime | None = None, link_for: LinkFor = _default_link
) -> dict[str, int]:
    """Remind owners 14 days ahead and expire what was not confirmed; safe to run repeatedly."""
    now = now or utcnow()
    counts = {"reminded": 0, "expired": 0}
    for model, public in ((Result, ResultStatus.LISTED), (Need, NeedStatus.OPEN)):
        live = model.status.in_([public, "pending_review"])
        due = db.session.scalars(
            sa.select(model).where(live, model.expires_at.is_not(None), model.expires_at <= now)
        ).all()
        for listing in due:
            if listing.status == "pending_review" and not listing.has_public_version:
                continue
            before = _state(listing)
            if listing.status == public:
                listing.status = "expired"
            publication.unpublish(listing)
            _audit(None, listing, "expire", before)
            notify(
                users=_owners(listing),
                kind="listing.expired",
                params={"title": listing.title},
                link=link_for(listing),
            )
            counts["expired"] += 1
        soon = db.session.scalars(
            sa.select(model).where(
                model.status == public,
                model.expires_at > now,
                model.expires_at <= now + REMIND_BEFORE,
                model.reminded_at.is_(None),
            )
        ).all()
        for listing in soon:
            listing.reminded_at = now
            notify(
                users=_owners(listing),
                kind="listing.expiring",
                params={"title": listing.title, "expires": _local_date(listing.expires_at)},
                link=link_for(listing),
            )
            counts["reminded"] += 1
    db.session.flush()
    return counts


# --- lookups ----------------------------------------------------------------------------------
def get_owned(*, actor: User, kind: str, listing_id: int) -> Listing:
    """A listing of the actor's organisation, or NotFound (another org's id does not exist)."""
    listing = db.session.get(MODEL[kind], listing_id)
    if listing is None or not can_manage_listing(actor, listing):
        raise NotFound
    return listing


def organisation_listings(*, organisation_id: int, kind: str) -> list[Listing]:
    """Every listing of an organisation (owner's view), newest first."""
    model = MODEL[kind]
    return list(
        db.session.scalars(
            sa.select(model)
            .where(model.organisation_id == organisation_id)
            .options(selectinload(model.publication))
            .order_by(model.updated_at.desc(), model.id.desc())
        )
    )


def _owners(listing: Listing) -> list[User]:
    return [m for m in listing.organisation.members if m.is_active]


def _notify_reviewers(listing: Listing) -> None:
    reviewers = db.session.scalars(
        sa.select(User).where(User.role == "admin", User.is_active.is_(True))
    ).all()
    notify(
        users=reviewers,
        kind="listing.review_needed",
        params={"title": listing.title, "org": listing.organisation.name},
        link=f"/admin/review/{listing.KIND}s/{listing.id}",
        email=False,
    )


def _local_date(value: datetime | None) -> str:
    return value.astimezone(CHINA).date().isoformat() if value else ""


REASON_LABELS = {
    ReviewReason.UNCLEAR: _l("描述不清"),
    ReviewReason.WRONG_FIELD: _l("领域不符"),
    ReviewReason.INCOMPLETE: _l("信息不全"),
    ReviewReason.DUPLICATE: _l("疑似重复"),
    ReviewReason.OTHER: _l("其他"),
}


def owner_overview(
    *, organisation_id: int, kind: str, now: datetime | None = None
) -> dict[str, Any]:
    """Counts by status and the listings expiring within the reminder window (dashboard)."""
    now = now or utcnow()
    model = MODEL[kind]
    rows = db.session.execute(
        sa.select(model.status, sa.func.count())
        .where(model.organisation_id == organisation_id)
        .group_by(model.status)
    ).all()
    expiring = db.session.scalars(
        sa.select(model)
        .where(
            model.organisation_id == organisation_id,
            model.status == PUBLIC_STATUS[kind],
            model.expires_at <= now + REMIND_BEFORE,
        )
        .order_by(model.expires_at)
    ).all()
    return {"counts": {str(s): n for s, n in rows}, "expiring": list(expiring)}


def review_queue_size() -> int:
    """How many listings wait for review."""
    return sum(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.status == "pending_review")
        )
        or 0
        for model in (Result, Need)
    )
