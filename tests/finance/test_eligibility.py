"""Product ↔ firm eligibility rules and the fit used to rank (services/eligibility.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from matchmaker.models import (
    Collateral,
    FinancingNeed,
    FirmProfile,
    LoanProduct,
    SpecialisedLevel,
)
from matchmaker.services.finance import eligibility

TODAY = date(2026, 11, 25)


def _product(**kwargs: object) -> LoanProduct:
    values: dict[str, object] = {
        "name": "科创贷",
        "description": "支持碳纤维复合材料企业研发设备购置",
        "amount_min_wan": Decimal("50.00"),
        "amount_max_wan": Decimal("1000.00"),
        "term_min_months": 6,
        "term_max_months": 36,
        "field_ids": [],
        "min_score": None,
        "requires_high_tech": False,
        "requires_specialised": False,
        "collateral": int(Collateral.UNSECURED | Collateral.IP_PLEDGE),
    }
    values.update(kwargs)
    return LoanProduct(**values)


def _profile(**kwargs: object) -> FirmProfile:
    values: dict[str, object] = {
        "field_id": 3,
        "score": Decimal("62.50"),
        "high_tech": True,
        "high_tech_expires_on": TODAY + timedelta(days=30),
        "specialised": SpecialisedLevel.NONE,
        "specialised_expires_on": None,
    }
    values.update(kwargs)
    return FirmProfile(**values)


def _need(**kwargs: object) -> FinancingNeed:
    values: dict[str, object] = {
        "title": "碳纤维研发设备贷款",
        "purpose": "购置碳纤维复合材料研发设备",
        "amount_wan": Decimal(300),
        "term_months": 24,
        "collateral": int(Collateral.IP_PLEDGE),
    }
    values.update(kwargs)
    return FinancingNeed(**values)


def _rules(verdict: eligibility.Eligibility) -> dict[str, bool]:
    return {c.rule: c.ok for c in verdict.checks}


def test_a_product_without_rules_fits_any_firm_without_a_need():
    verdict = eligibility.check(_product(), None, today=TODAY)
    assert verdict.checks == [] and verdict.eligible
    assert verdict.fit == 0.7  # all rules passed, no text to compare


def test_every_firm_rule_is_checked_and_explained():
    product = _product(
        field_ids=[3, 4], min_score=Decimal(60), requires_high_tech=True, requires_specialised=True
    )
    verdict = eligibility.check(product, _profile(), today=TODAY)
    assert _rules(verdict) == {
        "industry": True,
        "score": True,
        "high_tech": True,
        "specialised": False,
    }
    assert not verdict.eligible
    assert [c.rule for c in verdict.failed] == ["specialised"]
    assert "60" in str(next(c.label for c in verdict.checks if c.rule == "score"))
    assert "60.00" not in str(next(c.label for c in verdict.checks if c.rule == "score"))


def test_firm_rules_fail_without_a_profile_a_score_or_a_valid_certificate():
    product = _product(field_ids=[3], min_score=Decimal(60), requires_high_tech=True)
    assert _rules(eligibility.check(product, None, today=TODAY)) == dict.fromkeys(
        ("industry", "score", "high_tech"), False
    )
    expired = _profile(field_id=9, score=None, high_tech_expires_on=TODAY - timedelta(days=1))
    assert _rules(eligibility.check(product, expired, today=TODAY)) == dict.fromkeys(
        ("industry", "score", "high_tech"), False
    )
    just_below = _profile(score=Decimal("59.99"))
    assert _rules(eligibility.check(product, just_below, today=TODAY))["score"] is False


def test_need_rules_amount_term_and_collateral():
    product = _product()
    assert _rules(eligibility.check(product, _profile(), _need(), today=TODAY)) == {
        "amount": True,
        "term": True,
        "collateral": True,
    }
    too_big = _need(
        amount_wan=Decimal("1000.01"), term_months=48, collateral=int(Collateral.PROPERTY)
    )
    verdict = eligibility.check(product, _profile(), too_big, today=TODAY)
    assert _rules(verdict) == {"amount": False, "term": False, "collateral": False}
    assert "50–1,000 万元" in str(verdict.checks[0].label)


def test_fit_ranks_eligible_and_related_text_higher():
    product = _product()
    related = eligibility.check(product, _profile(), _need(), today=TODAY)
    unrelated = eligibility.check(
        product, _profile(), _need(title="人参饮品", purpose="人参饮品灌装线"), today=TODAY
    )
    ineligible = eligibility.check(
        product, _profile(), _need(amount_wan=Decimal(5000)), today=TODAY
    )
    assert related.text_similarity > unrelated.text_similarity >= 0
    assert related.fit > unrelated.fit
    assert related.rank_key > unrelated.rank_key > ineligible.rank_key
    assert ineligible.fit > unrelated.fit  # similar text, but one rule failed: ranked lower


def test_text_similarity_is_a_cosine():
    assert eligibility.text_similarity("碳纤维", "碳纤维") == 1.0
    assert eligibility.text_similarity("", "碳纤维") == 0.0
    assert 0 < eligibility.text_similarity("碳纤维预浸料", "碳纤维型材") < 1
