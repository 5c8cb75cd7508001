"""融资需求: what an enterprise wants to borrow, and the loan products it is eligible for."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Collateral,
    FinancingNeed,
    FinancingStatus,
    FirmProfile,
    LoanProduct,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import can_manage_financing_need, can_manage_firm_profile, can_publish
from matchmaker.services.errors import (
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance import eligibility
from matchmaker.services.finance.finance_states import FINANCING_NEED
from matchmaker.services.finance.loan_products import (
    ALL_COLLATERAL,
    MAX_TERM_MONTHS,
    public_products,
)
from matchmaker.services.finance.product_matching import rank_key
from matchmaker.services.platform.amounts import amount_error
from matchmaker.services.platform.audit import record_audit


@dataclass(frozen=True)
class FinancingNeedData:
    """What an enterprise enters for a financing need (amount in 万元)."""

    title: str
    amount_wan: Decimal | None
    purpose: str
    term_months: int | None
    collateral: int = int(Collateral.UNSECURED)


def validate_financing_need(data: FinancingNeedData) -> None:
    """Shape and range rules, with a message per field."""
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = _("请填写标题。")
    elif len(title) > 120:
        errors["title"] = _("标题不能超过 120 个字符。")
    if data.amount_wan is None:
        errors["amount_wan"] = _("请填写融资金额（万元）。")
    elif (problem := amount_error(data.amount_wan, positive=True)) is not None:
        errors["amount_wan"] = problem
    purpose = data.purpose.strip()
    if not purpose:
        errors["purpose"] = _("请说明资金用途。")
    elif len(purpose) > 5000:
        errors["purpose"] = _("资金用途不能超过 5000 个字符。")
    if data.term_months is None:
        errors["term_months"] = _("请填写期限（月）。")
    elif not 1 <= data.term_months <= MAX_TERM_MONTHS:
        errors["term_months"] = _("期限应在 1 到 360 个月之间。")
    if not 0 < data.collateral <= ALL_COLLATERAL:
        errors["collateral"] = _("请至少选择一种担保方式。")
    if errors:
        raise ValidationFailed(errors)


def _apply(need: FinancingNeed, data: FinancingNeedData) -> None:
    need.title = data.title.strip()
    need.amount_wan = data.amount_wan  # type: ignore[assignment]
    need.purpose = data.purpose.strip()
    need.term_months = data.term_months  # type: ignore[assignment]
    need.collateral = int(data.collateral)


def _snapshot(need: FinancingNeed) -> dict[str, object]:
    return {
        "title": need.title,
        "amount_wan": str(need.amount_wan),
        "term_months": need.term_months,
        "collateral": need.collateral,
        "status": str(need.status),
    }


def create_financing_need(*, actor: User, data: FinancingNeedData) -> FinancingNeed:
    """A new open financing need of the actor's enterprise."""
    if not can_manage_firm_profile(actor, actor.organisation_id):
        raise PermissionDenied(_("只有企业用户可以发布融资需求。"))
    if not can_publish(actor):
        raise PermissionDenied(_("企业通过平台认证后才能发布融资需求。"))
    validate_financing_need(data)
    need = FinancingNeed(
        organisation_id=actor.organisation_id,
        status=FinancingStatus.OPEN,
        created_by_id=actor.id,
    )
    _apply(need, data)
    db.session.add(need)
    db.session.flush()
    record_audit(
        actor=actor,
        action="financing_need.create",
        object_type="financing_need",
        object_id=need.id,
        after=_snapshot(need),
    )
    return need


def update_financing_need(
    *, actor: User, need: FinancingNeed, data: FinancingNeedData
) -> FinancingNeed:
    """Change a need while it is open."""
    if not can_manage_financing_need(actor, need):
        raise NotFound
    FINANCING_NEED.check(need, "edit")
    validate_financing_need(data)
    before = _snapshot(need)
    _apply(need, data)
    db.session.flush()
    record_audit(
        actor=actor,
        action="financing_need.update",
        object_type="financing_need",
        object_id=need.id,
        before=before,
        after=_snapshot(need),
    )
    return need


def close_financing_need(*, actor: User, need: FinancingNeed, satisfied: bool) -> FinancingNeed:
    """Close an open need: satisfied (the firm got its financing) or simply closed."""
    if not can_manage_financing_need(actor, need):
        raise NotFound
    action = "satisfy" if satisfied else "close"
    FINANCING_NEED.step(need, action, actor=actor, message=_("融资需求已关闭。"))
    need.closed_at = utcnow()
    db.session.flush()
    return need


def organisation_needs(organisation_id: int) -> list[FinancingNeed]:
    """An enterprise's financing needs, open ones first, newest first."""
    return list(
        db.session.scalars(
            sa.select(FinancingNeed)
            .where(FinancingNeed.organisation_id == organisation_id)
            .order_by(
                (FinancingNeed.status == FinancingStatus.OPEN).desc(),
                FinancingNeed.created_at.desc(),
                FinancingNeed.id.desc(),
            )
        )
    )


def open_needs_of(organisation_id: int) -> list[FinancingNeed]:
    """An enterprise's open financing needs (for a bank's contact request, under consent)."""
    return list(
        db.session.scalars(
            sa.select(FinancingNeed)
            .where(
                FinancingNeed.organisation_id == organisation_id,
                FinancingNeed.status == FinancingStatus.OPEN,
            )
            .order_by(FinancingNeed.id)
        )
    )


def get_financing_need(*, actor: User, need_id: int) -> FinancingNeed:
    """A need of the actor's enterprise, or NotFound."""
    need = db.session.get(FinancingNeed, need_id)
    if need is None or not can_manage_financing_need(actor, need):
        raise NotFound
    return need


@dataclass(frozen=True)
class ProductMatch:
    """A published product judged for the firm's own need."""

    product: LoanProduct
    verdict: eligibility.Eligibility


def eligible_products(*, actor: User, need: FinancingNeed) -> list[ProductMatch]:
    """Published products ranked for the firm's need: eligible first, then by fit, with the
    failed rules of the rest (the firm's own profile, so no consent is involved)."""
    if not can_manage_financing_need(actor, need):
        raise NotFound
    profile = db.session.scalar(
        sa.select(FirmProfile).where(FirmProfile.organisation_id == need.organisation_id)
    )
    matches = [
        ProductMatch(product=p, verdict=eligibility.check(p, profile, need))
        for p in public_products()
    ]
    matches.sort(key=lambda m: rank_key(m.verdict, m.product.id))
    return matches
