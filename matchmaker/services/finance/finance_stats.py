"""The platform's lending figures: 授信额, 放款额, 首贷, the lead funnel, per bank and per month.

All counted from the rows (leads, products, needs, consent), never stored: the bureau's page
and the dashboard panels read the same functions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    LIVE_LEAD_STATES,
    FinancingNeed,
    FinancingStatus,
    Lead,
    LeadStatus,
    LoanProduct,
    Organisation,
    OrgKind,
    OrgStatus,
    ProductStatus,
)
from matchmaker.models.base import CHINA
from matchmaker.services.finance import consent

S = LeadStatus
#: States in which credit has been approved (授信) and in which it has been paid out (放款).
APPROVED_STATES = (S.APPROVED, S.DISBURSED)
#: The funnel: each stage counts the leads that reached it (a later state implies the earlier).
FUNNEL: tuple[tuple[str, tuple[LeadStatus, ...]], ...] = (
    ("requested", tuple(S)),
    ("accepted", (S.ACCEPTED, S.IN_CONTACT, S.APPROVED, S.REJECTED, S.DISBURSED)),
    ("in_contact", (S.IN_CONTACT, S.APPROVED, S.REJECTED, S.DISBURSED)),
    ("approved", APPROVED_STATES),
    ("disbursed", (S.DISBURSED,)),
)
ZERO = Decimal(0)


@dataclass(frozen=True)
class FunnelStage:
    """One stage of the lead funnel, with its share of all requests."""

    stage: str
    count: int
    share: float  # of the first stage, in [0, 1]


@dataclass
class BankRow:
    """One bank's lending figures."""

    bank: Organisation
    leads: int = 0
    accepted: int = 0
    approved: int = 0
    approved_wan: Decimal = ZERO
    disbursed_wan: Decimal = ZERO
    first_loans: int = 0
    products: int = 0


@dataclass
class MonthRow:
    """Credit approved and paid out in one month (China time)."""

    month: str  # YYYY-MM
    approved: int = 0
    approved_wan: Decimal = ZERO
    disbursed: int = 0
    disbursed_wan: Decimal = ZERO
    first_loans: int = 0


@dataclass(frozen=True)
class Overview:
    """Every headline figure of 科技金融 at once."""

    approved_wan: Decimal
    disbursed_wan: Decimal
    first_loans: int
    leads: int
    by_status: dict[str, int]
    funnel: list[FunnelStage]
    consenting_firms: int
    open_needs: int
    open_needs_wan: Decimal
    products_published: int
    banks_with_products: int = 0


def _decimal(value: object) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


def _bank_filter(stmt: sa.Select, bank_org_id: int | None) -> sa.Select:
    return stmt if bank_org_id is None else stmt.where(Lead.bank_org_id == bank_org_id)


def approved_total(bank_org_id: int | None = None) -> Decimal:
    """授信额: approved amounts of approved and disbursed leads (万元)."""
    stmt = sa.select(sa.func.sum(Lead.approved_amount_wan)).where(
        Lead.status.in_([str(s) for s in APPROVED_STATES])
    )
    return _decimal(db.session.scalar(_bank_filter(stmt, bank_org_id)))


def disbursed_total(bank_org_id: int | None = None) -> Decimal:
    """放款额: disbursed amounts (万元)."""
    stmt = sa.select(sa.func.sum(Lead.disbursed_amount_wan)).where(Lead.status == S.DISBURSED)
    return _decimal(db.session.scalar(_bank_filter(stmt, bank_org_id)))


def first_loan_count(bank_org_id: int | None = None) -> int:
    """首贷: disbursed loans the bank marked as the firm's first bank loan."""
    stmt = (
        sa.select(sa.func.count())
        .select_from(Lead)
        .where(Lead.status == S.DISBURSED, Lead.first_loan.is_(True))
    )
    return db.session.scalar(_bank_filter(stmt, bank_org_id)) or 0


def leads_by_status(bank_org_id: int | None = None) -> dict[str, int]:
    """How many leads are in each state (every state listed, zeros included)."""
    stmt = sa.select(Lead.status, sa.func.count()).group_by(Lead.status)
    counts = dict.fromkeys((str(s) for s in S), 0)
    for status, n in db.session.execute(_bank_filter(stmt, bank_org_id)):
        counts[str(status)] = n
    return counts


def funnel(by_status: dict[str, int] | None = None) -> list[FunnelStage]:
    """The conversion funnel: requested → accepted → in contact → approved → disbursed."""
    by_status = by_status if by_status is not None else leads_by_status()
    counts = [(stage, sum(by_status.get(str(s), 0) for s in states)) for stage, states in FUNNEL]
    top = counts[0][1]
    return [FunnelStage(stage, n, (n / top) if top else 0.0) for stage, n in counts]


def consenting_firm_count() -> int:
    """Verified enterprises whose consent to banks is live now."""
    live = consent.consenting_firms().subquery()
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(live.c.organisation_id)))) or 0


def open_needs() -> tuple[int, Decimal]:
    """Open financing needs of verified enterprises: how many, and the amount (万元)."""
    row = db.session.execute(
        sa.select(sa.func.count(FinancingNeed.id), sa.func.sum(FinancingNeed.amount_wan))
        .join(Organisation, Organisation.id == FinancingNeed.organisation_id)
        .where(
            FinancingNeed.status == FinancingStatus.OPEN,
            Organisation.status == OrgStatus.VERIFIED,
        )
    ).one()
    return row[0] or 0, _decimal(row[1])


def _published_products() -> sa.Select:
    return (
        sa.select(LoanProduct.bank_org_id, sa.func.count(LoanProduct.id))
        .join(Organisation, Organisation.id == LoanProduct.bank_org_id)
        .where(
            LoanProduct.status == ProductStatus.PUBLISHED,
            Organisation.kind == OrgKind.BANK,
            Organisation.status == OrgStatus.VERIFIED,
        )
        .group_by(LoanProduct.bank_org_id)
    )


def products_published() -> int:
    """Products in the public catalogue (published, of verified banks)."""
    return sum(n for _bank, n in db.session.execute(_published_products()))


def overview() -> Overview:
    """Every headline figure for the bureau's page and dashboard panel."""
    by_status = leads_by_status()
    needs, needs_wan = open_needs()
    products = dict(db.session.execute(_published_products()).tuples().all())
    return Overview(
        approved_wan=approved_total(),
        disbursed_wan=disbursed_total(),
        first_loans=first_loan_count(),
        leads=sum(by_status.values()),
        by_status=by_status,
        funnel=funnel(by_status),
        consenting_firms=consenting_firm_count(),
        open_needs=needs,
        open_needs_wan=needs_wan,
        products_published=sum(products.values()),
        banks_with_products=len(products),
    )


def per_bank() -> list[BankRow]:
    """Each bank with leads or published products, by 授信额 (largest first), then name."""
    rows: dict[int, BankRow] = {}
    banks = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.kind == OrgKind.BANK)
        )
    }

    def row(bank_id: int) -> BankRow:
        if bank_id not in rows:
            rows[bank_id] = BankRow(bank=banks[bank_id])
        return rows[bank_id]

    accepted = {str(s) for s in FUNNEL[1][1]}
    approved = {str(s) for s in APPROVED_STATES}
    for lead in db.session.execute(
        sa.select(
            Lead.bank_org_id,
            Lead.status,
            Lead.approved_amount_wan,
            Lead.disbursed_amount_wan,
            Lead.first_loan,
        )
    ):
        if lead.bank_org_id not in banks:
            continue
        r = row(lead.bank_org_id)
        r.leads += 1
        status = str(lead.status)
        r.accepted += status in accepted
        if status in approved:
            r.approved += 1
            r.approved_wan += _decimal(lead.approved_amount_wan)
        if status == S.DISBURSED:
            r.disbursed_wan += _decimal(lead.disbursed_amount_wan)
            r.first_loans += bool(lead.first_loan)
    for bank_id, n in db.session.execute(_published_products()):
        row(bank_id).products = n
    return sorted(rows.values(), key=lambda r: (-r.approved_wan, r.bank.name, r.bank.id))


def _month(value: datetime) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m")


def per_month(*, months: int = 12) -> list[MonthRow]:
    """Credit approved and paid out per month (by the date of each step), latest `months`."""
    rows: dict[str, MonthRow] = defaultdict(lambda: MonthRow(month=""))
    approved = [str(s) for s in APPROVED_STATES]
    for approved_at, amount in db.session.execute(
        sa.select(Lead.approved_at, Lead.approved_amount_wan).where(
            Lead.status.in_(approved), Lead.approved_at.is_not(None)
        )
    ):
        r = rows[_month(approved_at)]
        r.approved += 1
        r.approved_wan += _decimal(amount)
    for disbursed_at, amount, first in db.session.execute(
        sa.select(Lead.disbursed_at, Lead.disbursed_amount_wan, Lead.first_loan).where(
            Lead.status == S.DISBURSED, Lead.disbursed_at.is_not(None)
        )
    ):
        r = rows[_month(disbursed_at)]
        r.disbursed += 1
        r.disbursed_wan += _decimal(amount)
        r.first_loans += bool(first)
    for key, r in rows.items():
        r.month = key
    return sorted(rows.values(), key=lambda r: r.month, reverse=True)[:months]


@dataclass(frozen=True)
class BankOverview:
    """One bank's own figures, for its dashboard."""

    products: dict[str, int]
    leads: dict[str, int]
    approved_wan: Decimal
    disbursed_wan: Decimal
    first_loans: int
    live_leads: int


def bank_overview(bank_org_id: int) -> BankOverview:
    """A bank's products by status, its leads by status and its lending totals."""
    products = dict.fromkeys((str(s) for s in ProductStatus), 0)
    for status, n in db.session.execute(
        sa.select(LoanProduct.status, sa.func.count())
        .where(LoanProduct.bank_org_id == bank_org_id)
        .group_by(LoanProduct.status)
    ):
        products[str(status)] = n
    leads = leads_by_status(bank_org_id)
    live = sum(leads[str(s)] for s in LIVE_LEAD_STATES)
    return BankOverview(
        products=products,
        leads=leads,
        approved_wan=approved_total(bank_org_id),
        disbursed_wan=disbursed_total(bank_org_id),
        first_loans=first_loan_count(bank_org_id),
        live_leads=live,
    )
