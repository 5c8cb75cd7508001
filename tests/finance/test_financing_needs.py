"""Financing needs: validation, editing while open, closing, and the eligible products the firm
sees for its need (services/financing_needs.py)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    Collateral,
    FinancingNeed,
    FinancingStatus,
    ProductStatus,
)
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance import financing_needs
from matchmaker.services.finance.financing_needs import FinancingNeedData
from tests.factories import make_user
from tests.finance_factories import make_firm, make_product, make_profile

DATA = FinancingNeedData(
    title="研发设备购置贷款",
    amount_wan=Decimal(300),
    purpose="购置碳纤维预浸料生产线研发设备。",
    term_months=24,
    collateral=int(Collateral.IP_PLEDGE),
)


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(FinancingNeed))


def test_an_enterprise_posts_an_open_need(db):
    firm = make_firm()
    need = financing_needs.create_financing_need(actor=firm, data=DATA)
    assert need.status == FinancingStatus.OPEN
    assert need.organisation_id == firm.organisation_id
    assert financing_needs.organisation_needs(firm.organisation_id) == [need]
    assert db.session.scalar(
        sa.select(AuditLog.action).where(AuditLog.object_type == "financing_need")
    ) == ("financing_need.create")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "长" * 121}, "title"),
        ({"amount_wan": Decimal(0)}, "amount_wan"),
        ({"amount_wan": Decimal(-5)}, "amount_wan"),
        ({"amount_wan": None}, "amount_wan"),
        ({"purpose": ""}, "purpose"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": None}, "term_months"),
        ({"collateral": 0}, "collateral"),
    ],
)
def test_bad_needs_are_refused_and_nothing_is_stored(db, changes, field):
    firm = make_firm()
    with pytest.raises(ValidationFailed) as caught:
        financing_needs.create_financing_need(actor=firm, data=replace(DATA, **changes))
    assert field in caught.value.errors
    assert _count() == 0


def test_only_verified_enterprises_post_needs(db):
    with pytest.raises(PermissionDenied):
        financing_needs.create_financing_need(actor=make_user("bank"), data=DATA)
    unverified = make_user("enterprise", verified=False)
    with pytest.raises(PermissionDenied):
        financing_needs.create_financing_need(actor=unverified, data=DATA)
    assert _count() == 0


def test_edit_while_open_then_close(db):
    firm = make_firm()
    need = financing_needs.create_financing_need(actor=firm, data=DATA)
    financing_needs.update_financing_need(
        actor=firm, need=need, data=replace(DATA, amount_wan=Decimal(500))
    )
    assert need.amount_wan == Decimal(500)
    financing_needs.close_financing_need(actor=firm, need=need, satisfied=True)
    assert need.status == FinancingStatus.SATISFIED and need.closed_at is not None
    with pytest.raises(InvalidTransition):
        financing_needs.update_financing_need(actor=firm, need=need, data=DATA)
    with pytest.raises(InvalidTransition):
        financing_needs.close_financing_need(actor=firm, need=need, satisfied=False)
    other = financing_needs.create_financing_need(actor=firm, data=DATA)
    financing_needs.close_financing_need(actor=firm, need=other, satisfied=False)
    assert other.status == FinancingStatus.CLOSED


def test_another_firm_cannot_see_or_change_a_need(db):
    firm, other = make_firm(), make_firm()
    need = financing_needs.create_financing_need(actor=firm, data=DATA)
    with pytest.raises(NotFound):
        financing_needs.get_financing_need(actor=other, need_id=need.id)
    with pytest.raises(NotFound):
        financing_needs.update_financing_need(actor=other, need=need, data=DATA)
    with pytest.raises(NotFound):
        financing_needs.close_financing_need(actor=other, need=need, satisfied=True)
    with pytest.raises(NotFound):
        financing_needs.eligible_products(actor=other, need=need)
    with pytest.raises(NotFound):
        financing_needs.get_financing_need(actor=make_user("bank"), need_id=need.id)
    assert need.status == FinancingStatus.OPEN


def test_eligible_products_first_and_the_reasons_for_the_rest(db, fields):
    firm = make_firm(field_id=fields["materials"].id, scopes=None)  # consent plays no part
    need = financing_needs.create_financing_need(actor=firm, data=DATA)
    bank = make_user("bank")
    fits = make_product(bank, name="科创贷", field_ids=[fields["materials"].id])
    too_small = make_product(
        bank, name="小额贷", amount_min_wan=Decimal(10), amount_max_wan=Decimal(100)
    )
    wrong_industry = make_product(bank, name="生物医药贷", field_ids=[fields["biomedicine"].id])
    needs_score = make_product(bank, name="积分贷", min_score=Decimal(80))
    make_product(bank, name="草稿", status=ProductStatus.DRAFT, published_at=None)

    matches = financing_needs.eligible_products(actor=firm, need=need)
    assert matches[0].product.id == fits.id and matches[0].verdict.eligible
    assert {m.product.id for m in matches[1:]} == {too_small.id, wrong_industry.id, needs_score.id}
    failed = {m.product.id: [c.rule for c in m.verdict.failed] for m in matches[1:]}
    assert failed == {
        too_small.id: ["amount"],
        wrong_industry.id: ["industry"],
        needs_score.id: ["score"],  # no score computed yet: not met
    }


def test_a_firm_without_a_profile_fails_the_firm_rules_but_still_sees_products(db):
    firm = make_user("enterprise")
    need = financing_needs.create_financing_need(actor=firm, data=DATA)
    bank = make_user("bank")
    open_product = make_product(bank, name="信用贷")
    certified = make_product(bank, name="高新贷", requires_high_tech=True)
    matches = financing_needs.eligible_products(actor=firm, need=need)
    assert [m.product.id for m in matches] == [open_product.id, certified.id]
    assert [c.rule for c in matches[1].verdict.failed] == ["high_tech"]
    make_profile(firm)  # high-tech by default
    matches = financing_needs.eligible_products(actor=firm, need=need)
    assert all(m.verdict.eligible for m in matches)
