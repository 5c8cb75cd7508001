"""高校科研院所成果转化榜单: results put on the conversion list and requests to adopt them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    AdoptionStatus,
    ConversionOffer,
    Mode,
    OfferStatus,
    Result,
    ResultStatus,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import (
    Permission,
    can_manage_listing,
    can_manage_offer,
    can_publish,
    can_view_adoption,
    has_permission,
    publish_refusal,
)
from matchmaker.services.challenges.challenge_states import ADOPTION, OFFER, members
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance.innovation_score import mark_stale
from matchmaker.services.market.listing_states import RESULT
from matchmaker.services.platform.amounts import check_amount
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify


@dataclass(frozen=True)
class OfferTerms:
    """The terms a result is offered on (mode flags, price or 面议, trial conditions)."""

    modes: int
    price_wan: Decimal | None = None  # None = 面议
    trial_months: int | None = None  # required when 先使用后付费 is offered
    trial_terms: str = ""


def _validate(terms: OfferTerms) -> None:
    errors: dict[str, list[str]] = {}
    if not 0 < terms.modes < 128:
        errors["modes"] = [_("请至少选择一种交易方式。")]
    check_amount(errors, "price_wan", terms.price_wan)
    trial = bool(terms.modes & Mode.USE_FIRST_PAY_LATER)
    if trial and (terms.trial_months is None or terms.trial_months <= 0):
        errors["trial_months"] = [_("先使用后付费需要填写试用期（月）。")]
    if not trial and terms.trial_months is not None:
        errors["trial_months"] = [_("只有先使用后付费才有试用期。")]
    if errors:
        raise ValidationFailed(errors)


def publish_conversion_offer(*, actor: User, result: Result, terms: OfferTerms) -> ConversionOffer:
    """Put a listed result on the conversion list (or reopen it there with new terms)."""
    if not has_permission(actor, Permission.OFFER_PUBLISH) or not can_manage_listing(actor, result):
        raise NotFound
    if why := publish_refusal(actor, _("机构通过平台认证后才能发榜。")):
        raise PermissionDenied(why)
    RESULT.check(result, "offer", _("只有已上架的成果可以发布到成果转化榜单。"))
    _validate(terms)
    offer = db.session.scalar(
        sa.select(ConversionOffer).where(ConversionOffer.result_id == result.id)
    )
    if offer is None:
        offer = ConversionOffer(result=result, created_by_id=actor.id, status=OfferStatus.OPEN)
        db.session.add(offer)
        action = "publish"
    else:
        OFFER.step(offer, "reopen", actor=actor)
        offer.closed_at = None
        action = "update"
    offer.modes = terms.modes
    offer.price_wan = terms.price_wan
    offer.trial_months = terms.trial_months
    offer.trial_terms = terms.trial_terms.strip()
    offer.published_at = utcnow()
    db.session.flush()
    record_audit(
        actor=actor,
        action=f"offer.{action}",
        object_type="offer",
        object_id=offer.id,
        after={"result_id": result.id, "modes": terms.modes, "status": str(offer.status)},
    )
    return offer


def close_conversion_offer(*, actor: User, offer: ConversionOffer) -> None:
    """Take a result off the conversion list (requests already made stay)."""
    if not can_manage_offer(actor, offer):
        raise NotFound
    OFFER.step(offer, "close", actor=actor)
    offer.closed_at = utcnow()


def request_adoption(
    *,
    actor: User,
    offer: ConversionOffer,
    intended_use: str,
    scale: str = "",
    preferred_terms: str = "",
    wants_trial: bool = False,
) -> AdoptionRequest:
    """An enterprise applies to adopt a result on the conversion list (one live request)."""
    if not has_permission(actor, Permission.ADOPTION_REQUEST) or not can_publish(actor):
        raise PermissionDenied(_("只有通过认证的企业可以申请承接成果。"))
    if actor.organisation_id == offer.organisation_id:
        raise PermissionDenied
    if offer.status != OfferStatus.OPEN or offer.result.status != ResultStatus.LISTED:
        raise InvalidTransition(_("这项成果已不在转化榜单上。"))
    if not intended_use.strip():
        raise ValidationFailed({"intended_use": _("请说明成果的用途。")})
    if wants_trial and offer.trial_months is None:
        raise ValidationFailed({"wants_trial": _("这项成果不提供先使用后付费。")})
    request = db.session.scalar(
        sa.select(AdoptionRequest).where(
            AdoptionRequest.offer_id == offer.id,
            AdoptionRequest.organisation_id == actor.organisation_id,
        )
    )
    if request is None:
        request = AdoptionRequest(
            offer=offer, organisation_id=actor.organisation_id, created_by=actor
        )
        request.status = AdoptionStatus.SUBMITTED
        db.session.add(request)
    elif request.status == AdoptionStatus.WITHDRAWN:
        ADOPTION.step(request, "resubmit", actor=actor)
    else:
        raise InvalidTransition(_("你的机构已经申请过承接这项成果。"))
    request.intended_use = intended_use.strip()
    request.scale = scale.strip()
    request.preferred_terms = preferred_terms.strip()
    request.wants_trial = wants_trial
    request.decided_at = None
    request.decision_reason = None
    db.session.flush()
    record_audit(
        actor=actor,
        action="adoption.submit",
        object_type="adoption",
        object_id=request.id,
        after={"status": "submitted", "offer_id": offer.id, "wants_trial": wants_trial},
    )
    notify(
        users=members(offer.result.organisation),
        kind="adoption.requested",
        params={"title": offer.result.title, "org": request.organisation.name},
        link=f"/my/adoptions/{request.id}/decide",
    )
    return request


def decide_adoption(
    *,
    actor: User,
    request: AdoptionRequest,
    accept: bool,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """The result's owner accepts (a deal follows) or declines with a reason."""
    if not can_manage_offer(actor, request.offer):
        raise NotFound
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationFailed({"reason": _("请填写原因。")})
    ADOPTION.step(request, "accept" if accept else "decline", actor=actor, reason=reason or None)
    request.decided_at = now or utcnow()
    request.decision_reason = reason or None
    mark_stale(request.organisation_id, request.offer.organisation_id)  # 创新积分 inputs
    notify(
        users=members(request.organisation),
        kind="adoption.accepted" if accept else "adoption.declined",
        params={"title": request.offer.result.title, "reason": reason},
        link="/my/adoptions",
    )


def withdraw_adoption(*, actor: User, request: AdoptionRequest) -> None:
    """The enterprise withdraws its request before the owner decides."""
    if not can_view_adoption(actor, request) or actor.organisation_id != request.organisation_id:
        raise NotFound
    ADOPTION.step(request, "withdraw", actor=actor)


def get_adoption(*, actor: User, request_id: int) -> AdoptionRequest:
    """A request the actor may see (either side, admins), or NotFound."""
    request = db.session.get(AdoptionRequest, request_id)
    if request is None or not can_view_adoption(actor, request):
        raise NotFound
    return request


# --- read models for the web pages ------------------------------------------------------------
def open_offers(
    *, field_id: int | None = None, region: str = "", mode: int = 0
) -> list[ConversionOffer]:
    """The conversion list: open offers on listed results, newest first."""
    stmt = (
        sa.select(ConversionOffer)
        .join(Result, ConversionOffer.result_id == Result.id)
        .where(ConversionOffer.status == OfferStatus.OPEN, Result.status == ResultStatus.LISTED)
    )
    if field_id:
        stmt = stmt.where(Result.field_id == field_id)
    if region:
        stmt = stmt.where(Result.region == region)
    if mode:
        stmt = stmt.where(ConversionOffer.modes.op("&")(mode) != 0)
    order = (ConversionOffer.published_at.desc(), ConversionOffer.id.desc())
    cards = (
        selectinload(ConversionOffer.result).selectinload(Result.organisation),
        selectinload(ConversionOffer.result).selectinload(Result.field),
    )
    return list(db.session.scalars(stmt.order_by(*order).limit(200).options(*cards)))


def offer_of(result: Result) -> ConversionOffer | None:
    """The conversion offer of a result (open or closed), if any."""
    return db.session.scalar(
        sa.select(ConversionOffer).where(ConversionOffer.result_id == result.id)
    )


def get_public_offer(*, offer_id: int) -> ConversionOffer:
    """An offer on the public list (open, on a listed result), or NotFound."""
    offer = db.session.get(ConversionOffer, offer_id)
    if offer is None or offer.status != OfferStatus.OPEN:
        raise NotFound
    if offer.result.status != ResultStatus.LISTED:
        raise NotFound
    return offer


def organisation_adoption(
    *, offer: ConversionOffer, organisation_id: int
) -> AdoptionRequest | None:
    """An organisation's request to adopt an offer (any state), if any."""
    return db.session.scalar(
        sa.select(AdoptionRequest).where(
            AdoptionRequest.offer_id == offer.id,
            AdoptionRequest.organisation_id == organisation_id,
        )
    )


def organisation_adoptions(*, organisation_id: int) -> list[AdoptionRequest]:
    """Every adoption request of an organisation, newest first."""
    return list(
        db.session.scalars(
            sa.select(AdoptionRequest)
            .where(AdoptionRequest.organisation_id == organisation_id)
            .order_by(AdoptionRequest.created_at.desc(), AdoptionRequest.id.desc())
        )
    )


def offer_requests(*, actor: User, offer: ConversionOffer) -> list[AdoptionRequest]:
    """The adoption requests on an offer, newest first: for the offering organisation only."""
    if not can_manage_offer(actor, offer):
        raise NotFound
    return list(
        db.session.scalars(
            sa.select(AdoptionRequest)
            .where(AdoptionRequest.offer_id == offer.id)
            .order_by(AdoptionRequest.created_at.desc(), AdoptionRequest.id.desc())
        )
    )
