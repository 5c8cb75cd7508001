"""What happens at an event of any kind: featured listings (a roadshow's results, each shown with
its matched needs), attendance check-in, outcomes between two registered organisations (a
contact, an intention with its amount, a deal linked to the deal record) and the summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Deal,
    Event,
    EventFeature,
    EventOutcome,
    EventRegistration,
    Need,
    Publication,
    Result,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.event import OutcomeKind
from matchmaker.services import matching
from matchmaker.services.errors import InvalidTransition, NotFound, ValidationFailed
from matchmaker.services.events.event_states import ACTIVITY
from matchmaker.services.events.events import can_manage, registration_of
from matchmaker.services.platform.audit import record_audit

MAX_FEATURES = 50
MAX_INTENTION_WAN = Decimal("10000000")  # 1000 亿元


def _require_manager(actor: User, event: Event) -> None:
    if not can_manage(actor, event):
        raise NotFound


def _audit(actor: User, event: Event, verb: str, **values: Any) -> None:
    record_audit(
        actor=actor,
        action=f"finance_event.{verb}",
        object_type="finance_event",
        object_id=event.id,
        after=values,
    )


# --- featured listings -------------------------------------------------------------------------
def feature_listing(
    *, actor: User, event: Event, kind: str, listing_id: int | None
) -> EventFeature:
    """Feature a public result or need at the event (shown on its page in the order added)."""
    _require_manager(actor, event)
    ACTIVITY.check(event, "feature", _("活动已结束或取消，不能再添加展示项目。"))
    if kind not in ("result", "need"):
        raise ValidationFailed({"kind": _("请选择成果或需求。")})
    listing: Result | Need | None = None
    if listing_id:
        if kind == "result":
            listing = db.session.get(Result, listing_id)
        else:
            listing = db.session.get(Need, listing_id)
    if listing is None or listing.publication is None:
        raise ValidationFailed({"listing_id": _("没有找到该编号的公开成果或需求。")})
    if any((f.result_id if kind == "result" else f.need_id) == listing.id for f in event.features):
        raise ValidationFailed({"listing_id": _("该项目已在展示列表中。")})
    if len(event.features) >= MAX_FEATURES:
        raise ValidationFailed({"listing_id": _("一场活动最多展示 50 个项目。")})
    position = max((f.position for f in event.features), default=0) + 1
    feature = EventFeature(
        event=event,
        result_id=listing.id if kind == "result" else None,
        need_id=listing.id if kind == "need" else None,
        position=position,
    )
    db.session.add(feature)
    db.session.flush()
    _audit(actor, event, "feature", kind=kind, listing_id=listing.id)
    return feature


def unfeature(*, actor: User, event: Event, feature_id: int) -> None:
    """Take a listing off the event's page."""
    _require_manager(actor, event)
    ACTIVITY.check(event, "feature", _("活动已结束或取消，不能再修改展示项目。"))
    feature = next((f for f in event.features if f.id == feature_id), None)
    if feature is None:
        raise NotFound
    event.features.remove(feature)
    _audit(actor, event, "unfeature", result_id=feature.result_id, need_id=feature.need_id)
    db.session.flush()


@dataclass(frozen=True)
class Showcase:
    """One featured listing as the public sees it; a result comes with its matched needs."""

    feature: EventFeature
    publication: Any  # Publication
    matches: list[matching.Recommendation]


def showcase(event: Event, *, per_result: int = 3) -> list[Showcase]:
    """The event's featured listings that are still public, each result with its best
    matching public needs (through the recommender, as the result's own page shows them)."""
    out = []
    for feature in event.features:
        listing = feature.result or feature.need
        if listing is None or listing.publication is None:
            continue
        matches = matching.recommend_for(listing, k=per_result) if feature.result else []
        out.append(Showcase(feature, listing.publication, matches))
    return out


# --- attendance --------------------------------------------------------------------------------
def _registration(event: Event, registration_id: int) -> EventRegistration:
    registration = next((r for r in event.registrations if r.id == registration_id), None)
    if registration is None:
        raise NotFound
    return registration


def check_in(
    *, actor: User, event: Event, registration_id: int, now: datetime | None = None
) -> EventRegistration:
    """Record that a registered organisation attended (the organiser, on the day)."""
    _require_manager(actor, event)
    ACTIVITY.check(event, "check_in", _("活动未发布或已取消，不能签到。"))
    registration = _registration(event, registration_id)
    if registration.checked_in_at is not None:
        raise InvalidTransition(_("该机构已经签到。"))
    registration.checked_in_at = now or utcnow()
    registration.checked_in_by_id = actor.id
    _audit(actor, event, "check_in", organisation_id=registration.organisation_id)
    return registration


def undo_check_in(*, actor: User, event: Event, registration_id: int) -> None:
    """Take back a check-in recorded by mistake."""
    _require_manager(actor, event)
    ACTIVITY.check(event, "check_in", _("活动未发布或已取消，不能签到。"))
    registration = _registration(event, registration_id)
    if registration.checked_in_at is None:
        raise InvalidTransition(_("该机构尚未签到。"))
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    _audit(actor, event, "undo_check_in", organisation_id=registration.organisation_id)


def attendance(event: Event) -> tuple[int, int]:
    """(checked in, registered)."""
    regs = event.registrations
    return sum(r.checked_in_at is not None for r in regs), len(regs)


# --- outcomes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutcomeData:
    """What the organiser records: the kind, the two organisations, a deal or an amount."""

    kind: str
    first_org_id: int | None
    second_org_id: int | None
    deal_id: int | None = None
    intention_wan: str | Decimal | None = None
    note: str = ""


def deals_between(first_org_id: int, second_org_id: int) -> list[Deal]:
    """The deal records between two organisations (either side providing), newest first."""
    pair = sa.or_(
        sa.and_(Deal.provider_org_id == first_org_id, Deal.client_org_id == second_org_id),
        sa.and_(Deal.provider_org_id == second_org_id, Deal.client_org_id == first_org_id),
    )
    stmt = sa.select(Deal).where(pair).order_by(Deal.created_at.desc(), Deal.id.desc())
    return list(db.session.scalars(stmt.limit(100)))


def deals_among_registrants(event: Event) -> list[Deal]:
    """Deals between any two registered organisations (what an outcome may link)."""
    ids = [r.organisation_id for r in event.registrations]
    if len(ids) < 2:
        return []
    stmt = (
        sa.select(Deal)
        .where(Deal.provider_org_id.in_(ids), Deal.client_org_id.in_(ids))
        .order_by(Deal.created_at.desc(), Deal.id.desc())
    )
    return list(db.session.scalars(stmt.limit(200)))


def _amount(value: str | Decimal | None) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationFailed({"intention_wan": _("请填写数字金额（万元）。")}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_INTENTION_WAN:
        raise ValidationFailed({"intention_wan": _("意向金额超出范围，请核对后重新填写。")})
    return amount.quantize(Decimal("0.01"))


def record_outcome(*, actor: User, event: Event, data: OutcomeData) -> EventOutcome:
    """Record an outcome between two registered organisations; a deal outcome links one of the
    deal records between exactly those two."""
    _require_manager(actor, event)
    ACTIVITY.check(event, "outcome", _("活动未发布或已取消，不能记录成果。"))
    errors: dict[str, str] = {}
    try:
        kind = OutcomeKind(data.kind)
    except ValueError:
        raise ValidationFailed({"kind": _("请选择成果类型。")}) from None
    first, second = data.first_org_id, data.second_org_id
    if registration_of(event, first) is None:
        errors["first_org_id"] = _("请选择一家已报名的机构。")
    if registration_of(event, second) is None:
        errors["second_org_id"] = _("请选择另一家已报名的机构。")
    elif first == second:
        errors["second_org_id"] = _("请选择两家不同的机构。")
    note = (data.note or "").strip()
    if len(note) > 2000:
        errors["note"] = _("备注不能超过 2000 个字符。")
    amount = None
    deal = None
    if kind == OutcomeKind.INTENTION:
        try:
            amount = _amount(data.intention_wan)
        except ValidationFailed as exc:
            errors["intention_wan"] = exc.errors["intention_wan"][0]
    if kind == OutcomeKind.DEAL:
        deal = db.session.get(Deal, data.deal_id) if data.deal_id else None
        if deal is None:
            errors["deal_id"] = _("请选择这两家机构之间的技术合同。")
        elif not errors and set(deal.party_org_ids) != {first, second}:
            errors["deal_id"] = _("该合同不是这两家机构之间签订的。")
        elif any(o.deal_id == deal.id for o in event.outcomes):
            errors["deal_id"] = _("该合同已记录为本活动的成果。")
    if errors:
        raise ValidationFailed(errors)
    assert first is not None
    outcome = EventOutcome(
        event=event,
        kind=kind,
        first_org_id=first,
        second_org_id=second,
        deal_id=deal.id if deal else None,
        intention_wan=amount,
        note=note,
        recorded_by_id=actor.id,
    )
    db.session.add(outcome)
    db.session.flush()
    _audit(
        actor,
        event,
        "record_outcome",
        kind=str(kind),
        first_org_id=first,
        second_org_id=second,
        deal_id=outcome.deal_id,
    )
    return outcome


def delete_outcome(*, actor: User, event: Event, outcome_id: int) -> None:
    """Remove an outcome recorded by mistake."""
    _require_manager(actor, event)
    ACTIVITY.check(event, "outcome", _("活动未发布或已取消，不能修改成果。"))
    outcome = next((o for o in event.outcomes if o.id == outcome_id), None)
    if outcome is None:
        raise NotFound
    event.outcomes.remove(outcome)
    _audit(actor, event, "delete_outcome", kind=str(outcome.kind), deal_id=outcome.deal_id)
    db.session.flush()


def save_summary(*, actor: User, event: Event, summary: str) -> None:
    """The organiser's summary of what came of the event (shown once finished)."""
    _require_manager(actor, event)
    ACTIVITY.check(event, "summarise", _("活动未发布或已取消，不能填写总结。"))
    summary = (summary or "").strip()
    if len(summary) > 5000:
        raise ValidationFailed({"summary": _("总结不能超过 5000 个字符。")})
    event.outcome_summary = summary
    _audit(actor, event, "summary")


def outcome_counts(event: Event) -> dict[str, Any]:
    """Contacts, intentions (with their total, 万元) and deals of an event."""
    outcomes = event.outcomes
    return {
        "contacts": sum(o.kind == OutcomeKind.CONTACT for o in outcomes),
        "intentions": sum(o.kind == OutcomeKind.INTENTION for o in outcomes),
        "intention_wan": sum(
            (o.intention_wan or Decimal(0) for o in outcomes if o.kind == OutcomeKind.INTENTION),
            Decimal(0),
        ),
        "deals": sum(o.kind == OutcomeKind.DEAL for o in outcomes),
    }


def find_public_listings(*, kind: str, query: str, limit: int = 10) -> list[Publication]:
    """Public results or needs whose title contains the words (to pick what to feature)."""
    query = (query or "").strip()[:100]
    if kind not in ("result", "need") or not query:
        return []
    stmt = (
        sa.select(Publication)
        .where(Publication.kind == kind, Publication.title.contains(query, autoescape=True))
        .order_by(Publication.approved_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
