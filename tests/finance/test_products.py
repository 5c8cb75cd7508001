"""Loan products: validation, the draft → published ⇄ withdrawn cycle, the public catalogue and
the financing needs a bank sees for its product (services/loan_products.py)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    Collateral,
    FinancingStatus,
    LoanProduct,
    ProductStatus,
)
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance import consent, loan_products
from matchmaker.services.finance.loan_products import ProductData
from tests.factories import make_user
from tests.finance_factories import (
    expire_consent,
    make_financing_need,
    make_firm,
    make_product,
)

DATA = ProductData(
    name="  科创贷  ",
    kind="sci_tech",
    description="面向高新技术企业的信用贷款。",
    amount_min_wan=Decimal(50),
    amount_max_wan=Decimal(1000),
    term_min_months=6,
    term_max_months=36,
    rate_min=Decimal("3.10"),
    rate_max=Decimal("4.50"),
    collateral=int(Collateral.UNSECURED | Collateral.IP_PLEDGE),
)


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoanProduct))


def test_a_bank_creates_a_draft_and_it_is_audited(db):
    bank = make_user("bank")
    product = loan_products.create_product(actor=bank, data=DATA)
    assert product.status == ProductStatus.DRAFT
    assert product.name == "科创贷"
    assert product.bank_org_id == bank.organisation_id
    assert product.collateral == int(Collateral.UNSECURED | Collateral.IP_PLEDGE)
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.object_id == str(product.id))
    ).all()
    assert actions == ["product.create"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"kind": "mortgage"}, "kind"),
        ({"amount_min_wan": Decimal(500), "amount_max_wan": Decimal(100)}, "amount_max_wan"),
        ({"amount_min_wan": Decimal(-1)}, "amount_min_wan"),
        ({"amount_min_wan": Decimal(0), "amount_max_wan": Decimal(0)}, "amount_max_wan"),
        ({"amount_max_wan": None}, "amount_max_wan"),
        ({"term_min_months": 0}, "term_min_months"),
        ({"term_min_months": 24, "term_max_months": 12}, "term_max_months"),
        ({"term_max_months": 361}, "term_max_months"),
        ({"rate_max": Decimal("24.01")}, "rate_max"),
        ({"rate_min": Decimal(-1)}, "rate_min"),
        ({"rate_min": Decimal(5), "rate_max": Decimal(4)}, "rate_max"),
        ({"min_score": Decimal(101)}, "min_score"),
        ({"collateral": 0}, "collateral"),
        ({"collateral": 64}, "collateral"),
        ({"field_ids": (999_999,)}, "field_ids"),
    ],
)
def test_bad_products_are_refused_with_a_message_per_field(db, changes, field):
    bank = make_user("bank")
    with pytest.raises(ValidationFailed) as caught:
        loan_products.create_product(actor=bank, data=replace(DATA, **changes))
    assert field in caught.value.errors
    assert all(caught.value.errors[field])
    assert _count() == 0


def test_a_rate_of_exactly_24_percent_and_known_fields_are_accepted(db, fields):
    bank = make_user("bank")
    data = replace(
        DATA, rate_max=Decimal(24), field_ids=(fields["materials"].id,), min_score=Decimal(60)
    )
    product = loan_products.create_product(actor=bank, data=data)
    assert product.field_ids == [fields["materials"].id]
    assert product.min_score == Decimal(60)


@pytest.mark.parametrize("role", ["enterprise", "university", "admin"])
def test_only_banks_create_products(db, role):
    with pytest.raises(PermissionDenied):
        loan_products.create_product(actor=make_user(role), data=DATA)
    assert _count() == 0


def test_publish_withdraw_republish(db):
    bank = make_user("bank")
    product = loan_products.create_product(actor=bank, data=DATA)
    loan_products.publish_product(actor=bank, product=product)
    assert product.status == ProductStatus.PUBLISHED and product.published_at is not None
    with pytest.raises(InvalidTransition):
        loan_products.publish_product(actor=bank, product=product)
    with pytest.raises(InvalidTransition):
        loan_products.update_product(actor=bank, product=product, data=DATA)
    loan_products.withdraw_product(actor=bank, product=product)
    assert product.status == ProductStatus.WITHDRAWN
    with pytest.raises(InvalidTransition):
        loan_products.withdraw_product(actor=bank, product=product)
    loan_products.update_product(actor=bank, product=product, data=replace(DATA, name="科创贷2"))
    loan_products.publish_product(actor=bank, product=product)
    assert product.status == ProductStatus.PUBLISHED and product.name == "科创贷2"
    actions = db.session.scalars(
        sa.select(AuditLog.action)
        .where(AuditLog.object_type == "product", AuditLog.object_id == str(product.id))
        .order_by(AuditLog.id)
    ).all()
    assert actions == [
        "product.create",
        "product.publish",
        "product.withdraw",
        "product.update",
        "product.republish",
    ]


def test_an_unverified_bank_drafts_but_cannot_publish(db):
    bank = make_user("bank", verified=False)
    product = loan_products.create_product(actor=bank, data=DATA)
    with pytest.raises(PermissionDenied):
        loan_products.publish_product(actor=bank, product=product)
    assert product.status == ProductStatus.DRAFT


def test_another_bank_cannot_touch_a_product(db):
    owner, other = make_user("bank"), make_user("bank")
    product = loan_products.create_product(actor=owner, data=DATA)
    for step in (loan_products.publish_product, loan_products.withdraw_product):
        with pytest.raises(NotFound):
            step(actor=other, product=product)
    with pytest.raises(NotFound):
        loan_products.update_product(actor=other, product=product, data=DATA)
    with pytest.raises(NotFound):
        loan_products.get_managed_product(actor=other, product_id=product.id)


def test_catalogue_holds_published_products_of_verified_banks_only(db):
    bank = make_user("bank")
    published = make_product(bank, name="科创贷")
    make_product(bank, name="草稿", status=ProductStatus.DRAFT, published_at=None)
    make_product(bank, name="已下架", status=ProductStatus.WITHDRAWN)
    make_product(make_user("bank", verified=False), name="未认证银行的产品")
    other = make_product(make_user("bank"), name="知识产权质押贷", kind="ip_pledge")
    assert {p.id for p in loan_products.public_products()} == {published.id, other.id}
    assert [p.id for p in loan_products.public_products(kind="ip_pledge")] == [other.id]
    assert [p.id for p in loan_products.public_products(bank_id=bank.organisation_id)] == [
        published.id
    ]
    assert {b.id for b in loan_products.catalogue_banks()} == {
        bank.organisation_id,
        other.bank_org_id,
    }


def test_product_page_visibility(db):
    bank = make_user("bank")
    draft = make_product(bank, status=ProductStatus.DRAFT, published_at=None)
    published = make_product(bank)
    assert loan_products.get_product(actor=None, product_id=published.id) is published
    assert loan_products.get_product(actor=bank, product_id=draft.id) is draft
    for actor in (None, make_user("bank"), make_user("enterprise")):
        with pytest.raises(NotFound):
            loan_products.get_product(actor=actor, product_id=draft.id)
    with pytest.raises(NotFound):
        loan_products.get_product(actor=None, product_id=999_999)


def test_matching_needs_show_only_consenting_firms_ranked_eligible_first(db):
    bank = make_user("bank")
    product = make_product(bank, requires_high_tech=True)
    fit = make_firm()  # high-tech, consenting
    fit_need = make_financing_need(fit)
    no_cert = make_firm(high_tech=False)
    no_cert_need = make_financing_need(no_cert)
    silent = make_firm(scopes=None)  # no consent: invisible to banks
    make_financing_need(silent)
    lapsed = make_firm()
    make_financing_need(lapsed)
    expire_consent(lapsed)
    revoked = make_firm()
    make_financing_need(revoked)
    consent.revoke(actor=revoked)
    make_financing_need(fit, title="已关闭", status=FinancingStatus.CLOSED)

    matches = loan_products.matching_needs(actor=bank, product=product)
    assert [m.need.id for m in matches] == [fit_need.id, no_cert_need.id]
    first, second = matches
    assert first.verdict.eligible and not second.verdict.eligible
    assert [c.rule for c in second.verdict.failed] == ["high_tech"]
    assert first.verdict.fit > second.verdict.fit

    # Another bank (or anyone else) gets nothing for a product that is not theirs.
    assert loan_products.matching_needs(actor=make_user("bank"), product=product) == []
    assert loan_products.matching_needs(actor=fit, product=product) == []


def test_matching_needs_disappear_the_moment_consent_is_revoked(db):
    bank = make_user("bank")
    product = make_product(bank)
    firm = make_firm()
    make_financing_need(firm)
    assert len(loan_products.matching_needs(actor=bank, product=product)) == 1
    consent.revoke(actor=firm)
    assert loan_products.matching_needs(actor=bank, product=product) == []
