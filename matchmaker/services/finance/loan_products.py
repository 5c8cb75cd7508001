"""Loan products (科创贷, 知识产权质押贷 ...): a bank's drafts, publication, the public catalogue
and (in product_matching.py) the financing needs that match a product.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    Collateral,
    LoanProduct,
    Organisation,
    OrgKind,
    OrgStatus,
    ProductKind,
    ProductStatus,
    TechField,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, can_manage_product, can_publish, has_permission
from matchmaker.services.errors import (
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance.finance_states import PRODUCT
from matchmaker.services.finance.product_matching import NeedMatch as NeedMatch
from matchmaker.services.finance.product_matching import matching_needs as matching_needs
from matchmaker.services.platform.amounts import MAX_AMOUNT_WAN as MAX_AMOUNT_WAN
from matchmaker.services.platform.amounts import amount_error
from matchmaker.services.platform.audit import record_audit

#: Annual interest rates a product may quote (%): above 24 % is not protected by the courts.
MAX_RATE = Decimal(24)
MAX_TERM_MONTHS = 360
ALL_COLLATERAL = sum(int(c) for c in Collateral if c)


@dataclass(frozen=True)
class ProductData:
    """What a bank enters for a loan product (amounts in 万元, rates in annual %)."""

    name: str
    kind: str
    description: str
    amount_min_wan: Decimal | None
    amount_max_wan: Decimal | None
    term_min_months: int | None
    term_max_months: int | None
    rate_min: Decimal | None
    rate_max: Decimal | None
    field_ids: tuple[int, ...] = ()
    min_score: Decimal | None = None
    requires_high_tech: bool = False
    requires_specialised: bool = False
    collateral: int = int(Collateral.UNSECURED)


def _check_range(
    errors: dict[str, str],
    low_name: str,
    high_name: str,
    low: Decimal | int | None,
    high: Decimal | int | None,
    *,
    minimum: Decimal | int,
    maximum: Decimal | int,
    missing: str,
    bounds: str,
    order: str,
) -> None:
    for name, value in ((low_name, low), (high_name, high)):
        if value is None:
            errors[name] = missing
        elif not Decimal(value).is_finite() or not minimum <= value <= maximum:
            errors[name] = bounds
    if low_name not in errors and high_name not in errors and low > high:  # type: ignore[operator]
        errors[high_name] = order


def validate_product(data: ProductData) -> None:
    """Every shape and range rule of a product, with a message per field."""
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("请填写产品名称。")
    elif len(name) > 120:
        errors["name"] = _("产品名称不能超过 120 个字符。")
    if data.kind not in {k.value for k in ProductKind}:
        errors["kind"] = _("请选择产品类型。")
    if len(data.description) > 10_000:
        errors["description"] = _("产品介绍不能超过 10000 个字符。")
    for name, amount, positive in (
        ("amount_min_wan", data.amount_min_wan, False),
        ("amount_max_wan", data.amount_max_wan, True),
    ):
        problem = (
            _("请填写额度范围（万元）。")
            if amount is None
            else amount_error(amount, positive=positive)
        )
        if problem is not None:
            errors[name] = problem
    if not {"amount_min_wan", "amount_max_wan"} & set(errors) and (
        data.amount_min_wan > data.amount_max_wan  # type: ignore[operator]
    ):
        errors["amount_max_wan"] = _("最高额度不能低于最低额度。")
    _check_range(
        errors,
        "term_min_months",
        "term_max_months",
        data.term_min_months,
        data.term_max_months,
        minimum=1,
        maximum=MAX_TERM_MONTHS,
        missing=_("请填写期限范围（月）。"),
        bounds=_("期限应在 1 到 360 个月之间。"),
        order=_("最长期限不能短于最短期限。"),
    )
    _check_range(
        errors,
        "rate_min",
        "rate_max",
        data.rate_min,
        data.rate_max,
        minimum=Decimal(0),
        maximum=MAX_RATE,
        missing=_("请填写年利率范围（%）。"),
        bounds=_("年利率应在 0% 到 24% 之间。"),
        order=_("最高利率不能低于最低利率。"),
    )
    if data.min_score is not None and (
        not data.min_score.is_finite() or not Decimal(0) <= data.min_score <= Decimal(100)
    ):
        errors["min_score"] = _("创新积分门槛应在 0 到 100 之间。")
    if not 0 < data.collateral <= ALL_COLLATERAL:
        errors["collateral"] = _("请至少选择一种接受的担保方式。")
    if data.field_ids:
        known = set(
            db.session.scalars(sa.select(TechField.id).where(TechField.id.in_(data.field_ids)))
        )
        if known != set(data.field_ids):
            errors["field_ids"] = _("请选择有效的行业。")
    if errors:
        raise ValidationFailed(errors)


def _require_bank(actor: User) -> None:
    org = actor.organisation
    if not has_permission(actor, Permission.LOAN_PRODUCT) or org is None:
        raise PermissionDenied(_("只有银行用户可以管理贷款产品。"))
    if org.kind != OrgKind.BANK:
        raise PermissionDenied(_("只有银行用户可以管理贷款产品。"))


def _apply(product: LoanProduct, data: ProductData) -> None:
    product.name = data.name.strip()
    product.kind = ProductKind(data.kind)
    product.description = data.description.strip()
    product.amount_min_wan = data.amount_min_wan  # type: ignore[assignment]
    product.amount_max_wan = data.amount_max_wan  # type: ignore[assignment]
    product.term_min_months = data.term_min_months  # type: ignore[assignment]
    product.term_max_months = data.term_max_months  # type: ignore[assignment]
    product.rate_min = data.rate_min  # type: ignore[assignment]
    product.rate_max = data.rate_max  # type: ignore[assignment]
    product.field_ids = sorted(set(data.field_ids))
    product.min_score = data.min_score
    product.requires_high_tech = bool(data.requires_high_tech)
    product.requires_specialised = bool(data.requires_specialised)
    product.collateral = int(data.collateral)


def _snapshot(product: LoanProduct) -> dict[str, object]:
    return {
        "name": product.name,
        "kind": str(product.kind),
        "amount": [str(product.amount_min_wan), str(product.amount_max_wan)],
        "term": [product.term_min_months, product.term_max_months],
        "rate": [str(product.rate_min), str(product.rate_max)],
        "field_ids": list(product.field_ids or []),
        "min_score": None if product.min_score is None else str(product.min_score),
        "requires_high_tech": product.requires_high_tech,
        "requires_specialised": product.requires_specialised,
        "collateral": product.collateral,
        "status": str(product.status),
    }


def create_product(*, actor: User, data: ProductData) -> LoanProduct:
    """A new loan product of the actor's bank, as a draft."""
    _require_bank(actor)
    validate_product(data)
    product = LoanProduct(
        bank_org_id=actor.organisation_id, status=ProductStatus.DRAFT, created_by_id=actor.id
    )
    _apply(product, data)
    db.session.add(product)
    db.session.flush()
    record_audit(
        actor=actor,
        action="product.create",
        object_type="product",
        object_id=product.id,
        after=_snapshot(product),
    )
    return product


def update_product(*, actor: User, product: LoanProduct, data: ProductData) -> LoanProduct:
    """Change a draft or withdrawn product (a published one is withdrawn first)."""
    if not can_manage_product(actor, product):
        raise NotFound
    PRODUCT.check(product, "edit", _("已发布的产品请先下架再修改。"))
    validate_product(data)
    before = _snapshot(product)
    _apply(product, data)
    db.session.flush()
    record_audit(
        actor=actor,
        action="product.update",
        object_type="product",
        object_id=product.id,
        before=before,
        after=_snapshot(product),
    )
    return product


def publish_product(*, actor: User, product: LoanProduct) -> LoanProduct:
    """Put a draft (publish) or a withdrawn product (republish) into the public catalogue."""
    if not can_manage_product(actor, product):
        raise NotFound
    if not can_publish(actor):
        raise PermissionDenied(_("银行通过平台认证后才能发布贷款产品。"))
    action = "republish" if product.status == ProductStatus.WITHDRAWN else "publish"
    PRODUCT.step(product, action, actor=actor)
    product.published_at = utcnow()
    db.session.flush()
    return product


def withdraw_product(*, actor: User, product: LoanProduct) -> LoanProduct:
    """Take a published product out of the catalogue (leads that name it stay)."""
    if not can_manage_product(actor, product):
        raise NotFound
    PRODUCT.step(product, "withdraw", actor=actor)
    db.session.flush()
    return product


def _published() -> sa.Select:
    return (
        sa.select(LoanProduct)
        .join(Organisation, Organisation.id == LoanProduct.bank_org_id)
        .where(
            LoanProduct.status == ProductStatus.PUBLISHED,
            Organisation.kind == OrgKind.BANK,
            Organisation.status == OrgStatus.VERIFIED,
        )
        .options(selectinload(LoanProduct.bank))
    )


def public_products(*, kind: str | None = None, bank_id: int | None = None) -> list[LoanProduct]:
    """The catalogue: published products of verified banks, newest first."""
    stmt = _published()
    if kind:
        stmt = stmt.where(LoanProduct.kind == kind)
    if bank_id:
        stmt = stmt.where(LoanProduct.bank_org_id == bank_id)
    stmt = stmt.order_by(LoanProduct.published_at.desc(), LoanProduct.id.desc())
    return list(db.session.scalars(stmt))


def catalogue_banks() -> list[Organisation]:
    """Banks that have a product in the catalogue (for the filter)."""
    with_products = sa.select(LoanProduct.bank_org_id).where(
        LoanProduct.status == ProductStatus.PUBLISHED
    )
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.id.in_(with_products),
                Organisation.kind == OrgKind.BANK,
                Organisation.status == OrgStatus.VERIFIED,
            )
            .order_by(Organisation.name)
        )
    )


def bank_products(organisation_id: int) -> list[LoanProduct]:
    """Every product of one bank, newest first (its own list)."""
    return list(
        db.session.scalars(
            sa.select(LoanProduct)
            .where(LoanProduct.bank_org_id == organisation_id)
            .order_by(LoanProduct.created_at.desc(), LoanProduct.id.desc())
        )
    )


def get_product(*, actor: User | None, product_id: int) -> LoanProduct:
    """A product for its page: published ones of verified banks for everyone, any state
    for the owning bank; NotFound otherwise."""
    product = db.session.get(LoanProduct, product_id)
    if product is None:
        raise NotFound
    if actor is not None and can_manage_product(actor, product):
        return product
    bank = product.bank
    if (
        product.status != ProductStatus.PUBLISHED
        or bank.kind != OrgKind.BANK
        or bank.status != OrgStatus.VERIFIED
    ):
        raise NotFound
    return product


def get_managed_product(*, actor: User, product_id: int) -> LoanProduct:
    """A product the actor's bank owns, or NotFound."""
    product = db.session.get(LoanProduct, product_id)
    if product is None or not can_manage_product(actor, product):
        raise NotFound
    return product


def field_names(product: LoanProduct, locale: str) -> list[str]:
    """The labels of the industries a product supports (empty: every industry)."""
    if not product.field_ids:
        return []
    fields = db.session.scalars(
        sa.select(TechField)
        .where(TechField.id.in_(product.field_ids))
        .order_by(TechField.position, TechField.id)
    )
    return [f.label(locale) for f in fields]
