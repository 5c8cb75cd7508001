"""Rows for the 科技金融 tests: firms with profiles and consent, banks, products, needs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from matchmaker.extensions import db
from matchmaker.models import (
    Collateral,
    ConsentScope,
    FinancingNeed,
    FirmFinancialYear,
    FirmProfile,
    FirmSize,
    LoanProduct,
    ProductKind,
    ProductStatus,
    SpecialisedLevel,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.services.finance import consent
from tests.factories import make_user


def make_profile(user: User, **kwargs: object) -> FirmProfile:
    """A declared profile for the user's enterprise (no score computed)."""
    years = kwargs.pop("years", [(2023, 1000, 60), (2024, 1300, 90)])
    values: dict[str, object] = {
        "size": FirmSize.SMALL,
        "employees": 80,
        "founded_year": 2015,
        "high_tech": True,
        "high_tech_cert_no": "GR202422000123",
        "high_tech_expires_on": date.today() + timedelta(days=365),
        "specialised": SpecialisedLevel.NONE,
        "patents_invention": 3,
        "patents_utility": 8,
        "patents_design": 1,
        "software_copyrights": 2,
        "key_products": "碳纤维复合材料汽车零部件",
        "contact_name": "王经理",
        "contact_phone": "13900000001",
        "contact_email": "finance@firm.example.com",
    }
    values.update(kwargs)
    profile = FirmProfile(organisation_id=user.organisation_id, **values)
    for year, revenue, rd in years:
        profile.years.append(
            FirmFinancialYear(year=year, revenue_wan=Decimal(revenue), rd_spend_wan=Decimal(rd))
        )
    db.session.add(profile)
    db.session.flush()
    return profile


def make_firm(
    *,
    scopes: int | None = int(ConsentScope.BASIC | ConsentScope.INNOVATION),
    days: int = 90,
    **profile: object,
) -> User:
    """An enterprise user with a profile and (unless scopes is None) live consent."""
    user = make_user("enterprise")
    make_profile(user, **profile)
    if scopes:
        consent.grant(actor=user, scopes=scopes, days=days)
    db.session.flush()
    return user


def expire_consent(user: User) -> None:
    """Move the firm's live grant into the past (as if its term had run out)."""
    grant = consent.live_grant(user.organisation_id)
    assert grant is not None
    grant.granted_at = utcnow() - timedelta(days=100)
    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()


def make_product(bank_user: User, **kwargs: object) -> LoanProduct:
    """A published loan product of the user's bank."""
    values: dict[str, object] = {
        "name": "科创贷",
        "kind": ProductKind.SCI_TECH,
        "description": "面向高新技术企业的信用贷款，支持研发投入和设备购置。",
        "amount_min_wan": Decimal(50),
        "amount_max_wan": Decimal(1000),
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_min": Decimal("3.10"),
        "rate_max": Decimal("4.50"),
        "collateral": int(Collateral.UNSECURED | Collateral.IP_PLEDGE),
        "status": ProductStatus.PUBLISHED,
        "published_at": utcnow(),
    }
    values.update(kwargs)
    product = LoanProduct(bank_org_id=bank_user.organisation_id, **values)
    db.session.add(product)
    db.session.flush()
    return product


def make_financing_need(user: User, **kwargs: object) -> FinancingNeed:
    """An open financing need of the user's enterprise."""
    values: dict[str, object] = {
        "title": "研发设备购置贷款",
        "amount_wan": Decimal(300),
        "purpose": "购置碳纤维预浸料生产线研发设备，扩大研发投入。",
        "term_months": 24,
        "collateral": int(Collateral.IP_PLEDGE),
    }
    values.update(kwargs)
    need = FinancingNeed(organisation_id=user.organisation_id, **values)
    db.session.add(need)
    db.session.flush()
    return need
