"""The lending figures (授信额, 放款额, 首贷, funnel, per bank, per month) counted against rows
created here (services/finance_stats.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from matchmaker.extensions import db
from matchmaker.models import CreditRejection, FinancingStatus, Lead, LeadStatus, ProductStatus
from matchmaker.services.finance import consent, finance_stats
from tests.factories import make_user
from tests.finance_factories import expire_consent, make_financing_need, make_firm, make_product

S = LeadStatus


def _lead(bank, firm, status, *, approved=None, disbursed=None, first=False, at=None) -> Lead:
    lead = Lead(
        bank_org_id=bank.organisation_id,
        firm_org_id=firm.organisation_id,
        status=status,
        approved_amount_wan=None if approved is None else Decimal(approved),
        disbursed_amount_wan=None if disbursed is None else Decimal(disbursed),
        first_loan=first,
        approved_at=at if approved is not None else None,
        disbursed_at=at if disbursed is not None else None,
        rejection_reason=CreditRejection.COLLATERAL if status == S.REJECTED else None,
    )
    db.session.add(lead)
    db.session.flush()
    return lead


def _world():
    bank_a, bank_b = make_user("bank"), make_user("bank")
    firms = [make_firm() for _ in range(3)]
    march = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)
    # 2025-03-31 20:00 UTC is already April 1st in China
    april = datetime(2025, 3, 31, 20, 0, tzinfo=UTC)
    _lead(bank_a, firms[0], S.REQUESTED)
    _lead(bank_a, firms[1], S.DECLINED)
    _lead(bank_a, firms[2], S.IN_CONTACT)
    _lead(bank_a, firms[0], S.APPROVED, approved=500, at=march)
    _lead(bank_a, firms[1], S.DISBURSED, approved=300, disbursed=250, first=True, at=april)
    _lead(bank_b, firms[2], S.DISBURSED, approved=200, disbursed=200, at=march)
    _lead(bank_b, firms[0], S.REJECTED)
    _lead(bank_b, firms[1], S.WITHDRAWN)
    _lead(bank_b, firms[2], S.ACCEPTED)
    return bank_a, bank_b, firms


def test_lending_totals_count_only_the_right_states(db):
    bank_a, bank_b, _firms = _world()
    assert finance_stats.approved_total() == Decimal(1000)  # 500 + 300 + 200
    assert finance_stats.disbursed_total() == Decimal(450)  # 250 + 200
    assert finance_stats.first_loan_count() == 1
    assert finance_stats.approved_total(bank_a.organisation_id) == Decimal(800)
    assert finance_stats.disbursed_total(bank_b.organisation_id) == Decimal(200)
    assert finance_stats.first_loan_count(bank_b.organisation_id) == 0


def test_leads_by_status_and_the_funnel(db):
    _world()
    by_status = finance_stats.leads_by_status()
    assert by_status == {
        "requested": 1,
        "accepted": 1,
        "declined": 1,
        "withdrawn": 1,
        "in_contact": 1,
        "approved": 1,
        "rejected": 1,
        "disbursed": 2,
    }
    funnel = {s.stage: s.count for s in finance_stats.funnel(by_status)}
    assert funnel == {
        "requested": 9,
        "accepted": 6,  # accepted, in contact, approved, rejected, disbursed x2
        "in_contact": 5,
        "approved": 3,
        "disbursed": 2,
    }
    stages = finance_stats.funnel(by_status)
    assert stages[0].share == 1.0 and abs(stages[-1].share - 2 / 9) < 1e-9


def test_an_empty_platform_counts_zero(db):
    overview = finance_stats.overview()
    assert overview.approved_wan == 0 and overview.disbursed_wan == 0
    assert overview.leads == 0 and all(s.share == 0 for s in overview.funnel)
    assert finance_stats.per_bank() == [] and finance_stats.per_month() == []


def test_per_bank_and_per_month(db):
    bank_a, bank_b, _firms = _world()
    make_product(bank_a)
    make_product(bank_a, status=ProductStatus.DRAFT, published_at=None)
    quiet = make_user("bank")
    make_product(quiet)
    rows = {r.bank.id: r for r in finance_stats.per_bank()}
    a, b = rows[bank_a.organisation_id], rows[bank_b.organisation_id]
    assert (a.leads, a.accepted, a.approved, a.approved_wan, a.disbursed_wan, a.first_loans) == (
        5,
        3,
        2,
        Decimal(800),
        Decimal(250),
        1,
    )
    assert (b.leads, b.accepted, b.approved, b.approved_wan, b.products) == (
        4,
        3,
        1,
        Decimal(200),
        0,
    )
    assert a.products == 1
    assert rows[quiet.organisation_id].leads == 0 and rows[quiet.organisation_id].products == 1
    assert [r.bank.id for r in finance_stats.per_bank()][0] == bank_a.organisation_id

    months = {m.month: m for m in finance_stats.per_month()}
    assert set(months) == {"2025-03", "2025-04"}
    assert (months["2025-03"].approved, months["2025-03"].approved_wan) == (2, Decimal(700))
    assert (months["2025-03"].disbursed, months["2025-03"].disbursed_wan) == (1, Decimal(200))
    april = months["2025-04"]
    assert (april.approved_wan, april.disbursed_wan, april.first_loans) == (
        Decimal(300),
        Decimal(250),
        1,
    )
    assert [m.month for m in finance_stats.per_month()] == ["2025-04", "2025-03"]


def test_consent_needs_and_products(db):
    live = make_firm()
    make_firm()
    expired = make_firm()
    expire_consent(expired)
    revoked = make_firm()
    consent.revoke(actor=revoked)
    make_firm(scopes=None)
    assert finance_stats.consenting_firm_count() == 2

    make_financing_need(live)
    make_financing_need(expired, amount_wan=Decimal(700))
    make_financing_need(live, status=FinancingStatus.SATISFIED)
    make_financing_need(make_user("enterprise", verified=False), amount_wan=Decimal(9999))
    assert finance_stats.open_needs() == (2, Decimal(1000))

    bank = make_user("bank")
    make_product(bank)
    make_product(bank, status=ProductStatus.WITHDRAWN)
    make_product(make_user("bank", verified=False))
    overview = finance_stats.overview()
    assert overview.products_published == 1 and overview.banks_with_products == 1
    assert overview.consenting_firms == 2
    assert (overview.open_needs, overview.open_needs_wan) == (2, Decimal(1000))


def test_bank_overview(db):
    bank_a, _bank_b, _firms = _world()
    make_product(bank_a)
    make_product(bank_a, status=ProductStatus.DRAFT, published_at=None)
    mine = finance_stats.bank_overview(bank_a.organisation_id)
    assert mine.products == {"draft": 1, "published": 1, "withdrawn": 0}
    assert mine.leads["disbursed"] == 1 and mine.leads["declined"] == 1
    assert mine.live_leads == 3  # requested, in contact, approved
    assert (mine.approved_wan, mine.disbursed_wan, mine.first_loans) == (
        Decimal(800),
        Decimal(250),
        1,
    )
