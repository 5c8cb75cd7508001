"""企业画像: saving the declared profile (validation, years), platform activity, reminders."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    ConsentScope,
    FirmFinancialYear,
    FirmProfile,
    Mode,
    Notification,
)
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import applications, challenges, conversion, deals
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.finance import consent, firm_activity, firm_profiles, innovation_score
from matchmaker.services.finance.firm_profiles import ProfileData, YearData
from tests.factories import make_user, publish_result
from tests.finance_factories import make_firm, make_profile
from tests.services.challenge_helpers import apply, challenge_world

LAST = date.today().year - 1
VALID = ProfileData(
    size="small",
    employees=120,
    founded_year=2012,
    high_tech=True,
    high_tech_cert_no="GR202322000456",
    high_tech_expires_on=date.today() + timedelta(days=400),
    patents_invention=4,
    patents_utility=10,
    awards="吉林省科技进步奖",
    key_products="汽车轻量化复合材料",
    contact_name="李经理",
    contact_phone="13900000002",
    contact_email="cfo@firm.example.com",
    years=[
        YearData(LAST - 1, Decimal(1500), Decimal(90)),
        YearData(LAST, Decimal("1800.50"), Decimal(120)),
    ],
)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_save_creates_the_profile_with_years_and_a_score(db):
    firm = make_user("enterprise")
    profile = firm_profiles.save_profile(actor=firm, data=VALID)
    db.session.commit()
    assert profile.organisation_id == firm.organisation_id
    assert [(y.year, y.revenue_wan) for y in profile.years] == [
        (LAST - 1, Decimal(1500)),
        (LAST, Decimal("1800.50")),
    ]
    assert profile.score is not None and profile.score_version == 1
    assert profile.score_stale is False
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "firm_profile.create"))
    assert audit.object_id == str(firm.organisation_id)


def test_saving_again_updates_years_in_place(db):
    firm = make_user("enterprise")
    profile = firm_profiles.save_profile(actor=firm, data=VALID)
    db.session.commit()
    again = dataclasses.replace(
        VALID,
        years=[
            YearData(LAST, Decimal(2000), Decimal(150)),
            YearData(LAST - 2, Decimal(1200), Decimal(60)),
        ],
        patents_invention=9,
    )
    same = firm_profiles.save_profile(actor=firm, data=again)
    db.session.commit()
    assert same.id == profile.id
    assert [(y.year, y.revenue_wan) for y in same.years] == [
        (LAST - 2, Decimal(1200)),
        (LAST, Decimal(2000)),
    ]
    assert _count(FirmFinancialYear) == 2 and _count(FirmProfile) == 1
    assert same.patents_invention == 9


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"high_tech_cert_no": "  "}, "high_tech_cert_no"),
        ({"high_tech_expires_on": None}, "high_tech_expires_on"),
        ({"specialised": "sme"}, "specialised_cert_no"),
        ({"specialised": "little_giant", "specialised_cert_no": "X1"}, "specialised_expires_on"),
        ({"specialised": "platinum"}, "specialised"),
        ({"size": "huge"}, "size"),
        ({"employees": -1}, "employees"),
        ({"patents_invention": -2}, "patents_invention"),
        ({"software_copyrights": None}, "software_copyrights"),
        ({"founded_year": 1850}, "founded_year"),
        ({"founded_year": date.today().year + 1}, "founded_year"),
        ({"field_id": 999999}, "field_id"),
    ],
)
def test_invalid_declarations_store_nothing(db, change, field):
    firm = make_user("enterprise")
    with pytest.raises(ValidationFailed) as error:
        firm_profiles.save_profile(actor=firm, data=dataclasses.replace(VALID, **change))
    assert field in error.value.errors
    assert _count(FirmProfile) == 0


@pytest.mark.parametrize(
    "years",
    [
        [YearData(LAST, Decimal(10), Decimal(1)), YearData(LAST, Decimal(20), Decimal(2))],
        [YearData(date.today().year + 1, Decimal(10), Decimal(1))],
        [YearData(1970, Decimal(10), Decimal(1))],
        [YearData(2005, Decimal(10), Decimal(1))],  # before the firm was founded (2012)
        [YearData(LAST, Decimal(-10), Decimal(1))],
        [YearData(LAST, Decimal(10), Decimal(-1))],
        [YearData(LAST, Decimal(10) ** 13, Decimal(1))],
        [YearData(LAST, Decimal("NaN"), Decimal(1))],
    ],
)
def test_years_must_be_unique_plausible_and_not_negative(db, years):
    firm = make_user("enterprise")
    with pytest.raises(ValidationFailed) as error:
        firm_profiles.save_profile(actor=firm, data=dataclasses.replace(VALID, years=years))
    assert "years" in error.value.errors
    assert _count(FirmProfile) == 0 and _count(FirmFinancialYear) == 0


def test_unticking_a_certification_clears_its_certificate(db):
    firm = make_user("enterprise")
    profile = firm_profiles.save_profile(
        actor=firm,
        data=dataclasses.replace(
            VALID,
            high_tech=False,
            specialised="none",
            specialised_cert_no="left over",
            specialised_expires_on=date.today(),
        ),
    )
    assert profile.high_tech_cert_no is None and profile.high_tech_expires_on is None
    assert profile.specialised_cert_no is None and profile.specialised_expires_on is None


@pytest.mark.parametrize("role", ["university", "bank", "admin"])
def test_only_enterprise_members_keep_a_profile(db, role):
    with pytest.raises(PermissionDenied):
        firm_profiles.save_profile(actor=make_user(role), data=VALID)
    assert _count(FirmProfile) == 0


def test_completeness(db):
    assert firm_profiles.completeness(None) == 0
    profile = make_profile(make_user("enterprise"))
    assert firm_profiles.completeness(profile) == 89  # no industry chosen: 8 of 9
    bare = make_profile(
        make_user("enterprise"),
        years=[],
        size=None,
        employees=None,
        founded_year=None,
        key_products="",
        contact_name=None,
        contact_phone=None,
    )
    assert firm_profiles.completeness(bare) == 0


def test_platform_activity_is_counted_from_the_platform(fields):
    w = challenge_world(fields)
    owner = w["owner"]
    owner_profile = make_profile(owner)
    solver_profile = make_profile(w["uni_a"])  # a university may not keep one, but counts work
    innovation_score.compute_score(owner_profile)
    innovation_score.compute_score(solver_profile)
    db.session.commit()
    application = apply(w["uni_a"], w["challenge"])
    applications.shortlist_application(actor=owner, application=application)
    challenges.tick(now=w["challenge"].deadline_at + timedelta(seconds=1))
    applications.select_application(
        actor=owner, application=application, others_code="immature", others_reason="—"
    )
    db.session.flush()
    assert owner_profile.score_stale is True  # selection changed the owner's platform inputs
    db.session.commit()
    deal = deals.record_deal(
        actor=owner,
        application=application,
        terms=deals.DealTerms(
            mode="cooperation",
            amount_wan=Decimal(120),
            payment_form="lump_sum",
            contract_number="2201012026000999",
            signed_on=date(2026, 1, 5),
        ),
    )
    milestone = deals.add_milestone(
        actor=owner, deal=deal, title="样件交付", due_on=date(2026, 6, 1)
    )
    innovation_score.compute_score(owner_profile)
    milestone.status = "submitted"  # evidence upload is covered by the deal tests
    deals.accept_milestone(actor=owner, milestone=milestone)
    db.session.flush()
    assert owner_profile.score_stale is True
    db.session.commit()

    owner_activity = firm_activity.platform_activity(owner.organisation_id)
    assert owner_activity.needs_posted == 1
    assert owner_activity.challenges_won == 0
    assert owner_activity.challenges_solved == 1  # the deal completed, the challenge solved
    assert owner_activity.deals == 1 and owner_activity.deal_amount_wan == Decimal("120.00")
    assert owner_activity.milestones_accepted == 1
    assert owner_activity.decisions == 1 and owner_activity.median_response_hours is not None

    solver_activity = firm_activity.platform_activity(w["uni_a"].organisation_id)
    assert solver_activity.challenges_won == 1 and solver_activity.deals == 1
    assert solver_activity.needs_posted == 0 and solver_activity.decisions == 0

    innovation_score.rescore()
    rows = {r["key"]: r for r in owner_profile.score_breakdown["indicators"]}
    # 1 need + 3 solved + 4 deal + 2 milestone + floor(120 / 50) = 12
    assert rows["platform_activity"]["raw"] == 12


def test_adoption_counts_for_the_adopter_and_the_decision_time_for_the_owner(fields):
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    profile = make_profile(firm)
    innovation_score.compute_score(profile)
    result = publish_result(uni, admin, fields, "人参皂苷提取新工艺", "超临界萃取，收率提高三成")
    offer = conversion.publish_conversion_offer(
        actor=uni,
        result=result,
        terms=conversion.OfferTerms(modes=Mode.LICENSE_NON_EXCLUSIVE, price_wan=Decimal(30)),
    )
    request = conversion.request_adoption(
        actor=firm, offer=offer, intended_use="保健品生产线", scale="年产 10 吨"
    )
    db.session.commit()
    conversion.decide_adoption(
        actor=uni, request=request, accept=True, now=request.created_at + timedelta(hours=30)
    )
    db.session.flush()
    assert profile.score_stale is True
    assert firm_activity.platform_activity(firm.organisation_id).results_adopted == 1
    owner = firm_activity.platform_activity(uni.organisation_id)
    assert owner.decisions == 1 and owner.median_response_hours == 30.0


def test_consent_expiry_is_reminded_once_per_grant(db, outbox):
    soon = make_firm(scopes=int(ConsentScope.BASIC), days=30)
    later = make_firm(scopes=int(ConsentScope.BASIC), days=90)
    grant = consent.live_grant(soon.organisation_id)
    now = grant.expires_at - timedelta(days=6)
    assert firm_profiles.remind_expiring_consents(now=now) == 1
    assert firm_profiles.remind_expiring_consents(now=now + timedelta(days=1)) == 0
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "consent.expiring")
    ).all()
    assert [n.user_id for n in notes] == [soon.id]
    assert grant.reminded_at == now
    assert consent.live_grant(later.organisation_id).reminded_at is None
    # a revoked or new grant: the new one is reminded again when it nears its end
    fresh = consent.grant(actor=soon, scopes=int(ConsentScope.BASIC), days=30)
    assert firm_profiles.remind_expiring_consents(now=fresh.expires_at - timedelta(days=1)) == 1


def test_cli_remind(db, runner):
    firm = make_firm(days=30)
    grant = consent.live_grant(firm.organisation_id)
    grant.granted_at = utcnow() - timedelta(days=25)
    grant.expires_at = utcnow() + timedelta(days=5)
    db.session.commit()
    result = runner.invoke(args=["finance", "remind"])
    assert result.exit_code == 0 and "Reminded 1" in result.output
    assert "Reminded 0" in runner.invoke(args=["finance", "remind"]).output
