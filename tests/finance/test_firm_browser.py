"""The bank's firm browser: filters, sorting and views use only consented scopes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from matchmaker.models import (
    ConsentScope,
    FinancingStatus,
    ProductStatus,
    ProfileView,
    SpecialisedLevel,
    ViewAction,
)
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.finance import consent, firm_browser, innovation_score
from matchmaker.services.finance.firm_browser import FirmFilter
from matchmaker.services.finance.firm_profiles import profile_of
from tests.factories import make_user
from tests.finance_factories import make_financing_need, make_firm, make_product
from tests.services.challenge_helpers import apply, challenge_world

BASIC, INNO, FIN, ACT = (
    ConsentScope.BASIC,
    ConsentScope.INNOVATION,
    ConsentScope.FINANCIALS,
    ConsentScope.ACTIVITY,
)


def firm(scopes: int | None, *, score: float | None = None, region: str | None = None, **kw):
    """A consenting firm (scopes None: no consent) with an optional score and region."""
    user = make_firm(scopes=None if scopes is None else int(scopes), **kw)
    if score is not None:
        profile_of(user.organisation_id).score = Decimal(str(score))
    if region is not None:
        user.organisation.region = region
    return user


def ids(page_or_rows) -> list[int]:
    rows = page_or_rows.items if hasattr(page_or_rows, "items") else page_or_rows
    return [row.firm.organisation.id for row in rows]


def browse(bank, **criteria) -> list[int]:
    return ids(firm_browser.browse(actor=bank, criteria=FirmFilter(**criteria)))


@pytest.fixture
def bank(db):
    return make_user("bank")


def test_only_consenting_verified_firms_are_listed(db, bank):
    shown = firm(BASIC)
    firm(None)
    lapsed = firm(BASIC)
    consent.revoke(actor=lapsed)
    unverified = make_firm(scopes=None)
    unverified.organisation.status = "pending"
    assert browse(bank) == [shown.organisation_id]


def test_high_tech_filter_never_reveals_an_unconsented_certificate(db, bank):
    consented = firm(BASIC | INNO, high_tech=True)
    hidden = firm(BASIC, high_tech=True)  # a high-tech firm that did not consent to INNOVATION
    firm(BASIC | INNO, high_tech=False)
    firm(BASIC | INNO, high_tech=True, high_tech_expires_on=date.today() - timedelta(days=1))
    assert browse(bank, high_tech=True) == [consented.organisation_id]
    assert hidden.organisation_id in browse(bank)  # it is listed, just not matched


def test_specialised_filter_needs_innovation_and_a_valid_certificate(db, bank):
    kw = {"specialised": SpecialisedLevel.LITTLE_GIANT, "specialised_cert_no": "ZJTX-1"}
    shown = firm(INNO, **kw, specialised_expires_on=date.today() + timedelta(days=30))
    firm(BASIC, **kw, specialised_expires_on=date.today() + timedelta(days=30))
    firm(INNO, **kw, specialised_expires_on=date.today() - timedelta(days=1))
    assert browse(bank, specialised=True) == [shown.organisation_id]


def test_industry_and_region_filters_need_basic(db, bank, fields):
    materials = fields["materials"].id
    shown = firm(BASIC, field_id=materials, region="jilin")
    firm(INNO, field_id=materials, region="jilin")  # same values, no BASIC consent
    firm(BASIC, field_id=fields["electronics"].id, region="changchun")
    assert browse(bank, field_id=materials) == [shown.organisation_id]
    assert browse(bank, region="jilin") == [shown.organisation_id]


def test_score_band_needs_innovation_and_bounds_are_half_open(db, bank):
    forty = firm(INNO, score=40)
    firm(INNO, score=39.99)
    top = firm(INNO, score=100)
    firm(BASIC, score=50)  # scored, but the score is not consented
    assert browse(bank, band="40-60") == [forty.organisation_id]
    assert browse(bank, band="80-100") == [top.organisation_id]
    assert browse(bank, band="60-80") == []


def test_financing_need_amount_filters_any_consenting_firm_on_open_needs(db, bank):
    small = firm(BASIC)
    make_financing_need(small, amount_wan=Decimal(100))
    big = firm(INNO)  # no BASIC: the need was posted for banks, so it still counts
    make_financing_need(big, amount_wan=Decimal(800))
    closed = firm(BASIC)
    make_financing_need(closed, amount_wan=Decimal(500), status=FinancingStatus.CLOSED)
    never = firm(None)
    make_financing_need(never, amount_wan=Decimal(500))
    assert set(browse(bank, need_min=Decimal(50))) == {small.organisation_id, big.organisation_id}
    assert browse(bank, need_min=Decimal(200), need_max=Decimal(900)) == [big.organisation_id]
    assert browse(bank, need_max=Decimal(99)) == []


def test_recent_activity_needs_the_activity_scope(db, bank, fields):
    world = challenge_world(fields)
    apply(world["uni_a"], world["challenge"])  # a 揭榜 application on the owner's challenge
    owner = world["owner"]
    consent.grant(actor=owner, scopes=int(BASIC | ACT), days=90)
    idle = firm(BASIC | ACT)
    assert browse(bank, active=True) == [owner.organisation_id]
    consent.grant(actor=owner, scopes=int(BASIC), days=90)  # the same firm without ACTIVITY
    assert browse(bank, active=True) == []
    assert set(browse(bank)) == {owner.organisation_id, idle.organisation_id}


def test_score_sort_puts_unconsented_scores_last(db, bank):
    low = firm(INNO, score=30)
    high = firm(INNO, score=80)
    hidden_high = firm(BASIC, score=99)  # its score is not consented: it must not lift the firm
    unscored = firm(INNO)
    order = browse(bank)
    assert order[:2] == [high.organisation_id, low.organisation_id]
    assert set(order[2:]) == {hidden_high.organisation_id, unscored.organisation_id}


def test_views_carry_nothing_of_an_unconsented_scope(db, bank):
    firm(BASIC | FIN, score=70)
    (row,) = firm_browser.browse(actor=bank, criteria=FirmFilter()).items
    view = row.firm
    assert view.basic is not None and view.basic.contact_phone == "13900000001"
    assert view.financials and view.financials[-1].revenue_wan == Decimal(1300)
    assert view.innovation is None and view.activity is None and view.recently_active is None


def test_fit_sort_ranks_eligible_first_on_consented_data_only(db, bank, fields):
    product = make_product(bank, requires_high_tech=True, field_ids=[fields["materials"].id])
    both = firm(BASIC | INNO, field_id=fields["materials"].id, high_tech=True)
    hidden = firm(BASIC, field_id=fields["materials"].id, high_tech=True)  # certificate unconsented
    other = firm(BASIC | INNO, field_id=fields["electronics"].id, high_tech=True)
    rows = firm_browser.browse(
        actor=bank, criteria=FirmFilter(sort="fit", product_id=product.id)
    ).items
    assert ids(rows)[0] == both.organisation_id
    fits = {r.firm.organisation.id: r.fit for r in rows}
    assert fits[both.organisation_id].eligible
    assert not fits[hidden.organisation_id].eligible
    assert not fits[other.organisation_id].eligible


def test_fit_sort_takes_the_best_open_financing_need(db, bank):
    product = make_product(bank, amount_min_wan=Decimal(100), amount_max_wan=Decimal(500))
    needy = firm(BASIC)
    make_financing_need(needy, amount_wan=Decimal(2000))
    fitting = make_financing_need(needy, amount_wan=Decimal(300))
    (row,) = firm_browser.browse(
        actor=bank, criteria=FirmFilter(sort="fit", product_id=product.id)
    ).items
    assert row.fit_need.id == fitting.id and row.fit.eligible


def test_fit_sort_needs_one_of_the_banks_own_published_products(db, bank):
    other_bank = make_user("bank")
    foreign = make_product(other_bank)
    draft = make_product(bank, status=ProductStatus.DRAFT, published_at=None)
    for product_id in (foreign.id, draft.id, None):
        with pytest.raises(ValidationFailed):
            firm_browser.browse(actor=bank, criteria=FirmFilter(sort="fit", product_id=product_id))


def test_listing_logs_nothing_and_opening_logs_a_view(db, bank):
    shown = firm(BASIC)
    firm_browser.browse(actor=bank, criteria=FirmFilter())
    assert db.session.query(ProfileView).count() == 0
    firm_browser.firm_page(actor=bank, firm_org_id=shown.organisation_id)
    (row,) = consent.views_of(shown.organisation_id)
    assert row.action == ViewAction.VIEW and row.bank_org_id == bank.organisation_id


@pytest.mark.parametrize("role", ["enterprise", "university", "admin"])
def test_only_verified_banks_may_browse(db, role):
    firm(BASIC)
    with pytest.raises(PermissionDenied):
        firm_browser.browse(actor=make_user(role), criteria=FirmFilter())
    with pytest.raises(PermissionDenied):
        firm_browser.browse(actor=make_user("bank", verified=False), criteria=FirmFilter())


def test_firm_page_is_not_found_without_live_consent(db, bank):
    revoked = firm(BASIC)
    firm_browser.firm_page(actor=bank, firm_org_id=revoked.organisation_id)
    consent.revoke(actor=revoked)
    with pytest.raises(NotFound):
        firm_browser.firm_page(actor=bank, firm_org_id=revoked.organisation_id)
    with pytest.raises(NotFound):
        firm_browser.firm_page(actor=bank, firm_org_id=firm(None).organisation_id)


def test_product_checks_mark_unconsented_rules(db, bank, fields):
    make_product(bank, requires_high_tech=True, field_ids=[fields["materials"].id])
    shown = firm(BASIC, field_id=fields["materials"].id, high_tech=True)
    page = firm_browser.firm_page(actor=bank, firm_org_id=shown.organisation_id)
    (check,) = page.products
    assert dict((c.rule, state) for c, state in check.marks) == {
        "industry": "ok",
        "high_tech": "unconsented",
    }
    assert not check.verdict.eligible


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ([(2023, 1000, 60), (2024, 1300, 90)], Decimal("6.92")),  # 90 / 1300, two decimals
        ([(2023, 1000, 60), (2024, 0, 40)], None),  # the latest year has no revenue
        ([], None),
    ],
)
def test_rd_intensity_on_the_firm_page_is_the_scores_raw_value(db, bank, years, expected):
    shown = firm(BASIC | INNO, years=years)
    profile = profile_of(shown.organisation_id)
    innovation_score.compute_score(profile)
    raw = {r["key"]: r["raw"] for r in profile.score_breakdown["indicators"]}["rd_intensity"]
    page = firm_browser.firm_page(actor=bank, firm_org_id=shown.organisation_id)
    assert page.firm.innovation.rd_intensity == expected
    assert raw == (None if expected is None else float(expected))


@pytest.mark.parametrize("sort", ["score", "fit"])
def test_the_list_skips_platform_activity_that_only_the_export_shows(db, bank, sort):
    make_firm(scopes=int(ConsentScope.BASIC | ConsentScope.ACTIVITY))
    product = make_product(bank)
    criteria = FirmFilter(sort=sort, product_id=product.id if sort == "fit" else None)
    (listed,) = firm_browser.browse(actor=bank, criteria=criteria).items
    assert listed.firm.activity is None
    (exported,), _total = firm_browser.firm_rows(actor=bank, criteria=criteria)
    assert exported.firm.activity is not None
