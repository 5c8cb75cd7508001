"""往来: what a bank already has with a firm (its leads, credit granted, loans disbursed).

The bank's firm page shows it before anything else, so a bank that already lent the firm money
is not offered "发起对接" as if they had never met.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Lead, LeadStatus

#: Leads that granted credit (授信) and those that paid it out (放款).
CREDITED = frozenset({LeadStatus.APPROVED, LeadStatus.DISBURSED})


@dataclass(frozen=True)
class Relationship:
    """One bank's history with one firm, newest lead first."""

    leads: tuple[Lead, ...] = ()

    @property
    def exists(self) -> bool:
        """The bank has contacted the firm before (any lead, whatever became of it)."""
        return bool(self.leads)

    @property
    def live(self) -> Lead | None:
        """The lead still going, if any (one at a time per bank and firm)."""
        return next((lead for lead in self.leads if lead.is_live), None)

    @property
    def credited_wan(self) -> Decimal:
        """Credit this bank approved for the firm, in 万元 (approved and disbursed leads)."""
        return sum(
            (
                lead.approved_amount_wan or Decimal(0)
                for lead in self.leads
                if lead.status in CREDITED
            ),
            Decimal(0),
        )

    @property
    def disbursed_wan(self) -> Decimal:
        """Loans this bank paid out to the firm, in 万元."""
        return sum(
            (
                lead.disbursed_amount_wan or Decimal(0)
                for lead in self.leads
                if lead.status == LeadStatus.DISBURSED
            ),
            Decimal(0),
        )

    @property
    def can_start_new(self) -> bool:
        """A new request makes sense only when nothing is going on already."""
        return self.live is None


def bank_relationship(bank_org_id: int, firm_org_id: int) -> Relationship:
    """Every lead between the bank and the firm, newest first."""
    leads = db.session.scalars(
        sa.select(Lead)
        .where(Lead.bank_org_id == bank_org_id, Lead.firm_org_id == firm_org_id)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    ).all()
    return Relationship(tuple(leads))
