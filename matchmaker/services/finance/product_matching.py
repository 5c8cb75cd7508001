"""Which financing needs suit a loan product (for its bank), and the ranking shared with the
firm's side: eligible first, then by fit, ties by id. Only needs of firms that consent to banks
are ever shown, and each firm is judged by what it consents to (scope_rules.ConsentedProfile):
a verdict or a rank never rests on a figure the bank may not see."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import FinancingNeed, FinancingStatus, LoanProduct, User
from matchmaker.permissions import can_manage_product, can_publish
from matchmaker.services.finance import consent, eligibility
from matchmaker.services.finance.scope_rules import ConsentedProfile, consented_profiles


@dataclass(frozen=True)
class NeedMatch:
    """A consenting firm's open financing need, judged against one product."""

    need: FinancingNeed
    profile: ConsentedProfile | None  # what the firm consents to show banks
    verdict: eligibility.Eligibility = field(default_factory=eligibility.Eligibility)


def rank_key(verdict: eligibility.Eligibility, row_id: int) -> tuple[bool, float, int]:
    """Eligible first, then by fit, ties by id (deterministic)."""
    return (not verdict.eligible, -verdict.fit, row_id)


def open_needs_of_consenting_firms() -> list[FinancingNeed]:
    """Open financing needs whose firm has live consent right now (what banks may see)."""
    live = consent.consenting_firms().subquery()
    firms = sa.select(live.c.organisation_id)
    return list(
        db.session.scalars(
            sa.select(FinancingNeed)
            .where(
                FinancingNeed.status == FinancingStatus.OPEN,
                FinancingNeed.organisation_id.in_(firms),
            )
            .options(selectinload(FinancingNeed.organisation))
            .order_by(FinancingNeed.id)
        )
    )


def matching_needs(*, actor: User, product: LoanProduct) -> list[NeedMatch]:
    """Open needs of consenting firms ranked for the owner's product (eligible first)."""
    if not can_manage_product(actor, product) or not can_publish(actor):
        return []
    needs = open_needs_of_consenting_firms()
    profiles = consented_profiles(n.organisation_id for n in needs)
    matches = [
        NeedMatch(
            need=n,
            profile=profiles.get(n.organisation_id),
            verdict=eligibility.check(product, profiles.get(n.organisation_id), n),
        )
        for n in needs
    ]
    matches.sort(key=lambda m: rank_key(m.verdict, m.need.id))
    return matches
