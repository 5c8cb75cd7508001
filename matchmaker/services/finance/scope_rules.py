"""The one rule of what each consent scope unlocks, for stored and for derived values alike.

A value computed from a scope's data (a growth rate, a ratio, a score component, a rule's
verdict, a rank) is shown only to a bank holding that scope, exactly like the data itself.
firm_scope.py copies a firm out for banks through these functions; the product page, the
event scheduler and the firm browser judge firms through `ConsentedProfile`; nothing else
decides what a scope covers.

What each scope unlocks (the consent page's text, web/finance_labels.py CONSENT_SCOPE_HELP):

- BASIC: industry, size, employees, region, founding year, key products, the finance contact;
  derived: the industry rule of a loan product.
- INNOVATION: certificates, patents, awards, R&D intensity and the 创新积分 (the firm is told
  these by name); derived: the score band filter, the sort by score, the score, 高新 and
  专精特新 rules of a product, and the breakdown rows computed from innovation data.
- FINANCIALS: revenue and R&D spend by year; derived: R&D and revenue growth (raw, normalised
  and points of their breakdown rows), the revenue chart.
- ACTIVITY: the platform activity counts and the "recently active" badge; derived: the
  platform-activity and responsiveness rows of the breakdown, the "active" filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ConsentScope, FirmProfile, SpecialisedLevel
from matchmaker.services.finance import consent

if TYPE_CHECKING:
    from decimal import Decimal

    from matchmaker.services.finance.firm_scope import FirmView

BASIC, INNOVATION = ConsentScope.BASIC, ConsentScope.INNOVATION
FINANCIALS, ACTIVITY = ConsentScope.FINANCIALS, ConsentScope.ACTIVITY
EVERY_SCOPE = BASIC | INNOVATION | FINANCIALS | ACTIVITY

#: The scopes a 创新积分 breakdown row is computed from (innovation_score.INDICATORS). R&D
#: intensity is a ratio of the financials, but the consent page names it under 创新指标, so
#: INNOVATION alone shows it; the growth rates are not named there and need FINANCIALS.
INDICATOR_SCOPES: dict[str, ConsentScope] = {
    "rd_intensity": INNOVATION,
    "patents": INNOVATION,
    "certifications": INNOVATION,
    "awards": INNOVATION,
    "rd_growth": INNOVATION | FINANCIALS,
    "revenue_growth": INNOVATION | FINANCIALS,
    "platform_activity": INNOVATION | ACTIVITY,
    "responsiveness": INNOVATION | ACTIVITY,
}
#: The scope each firm rule of a loan product reads (eligibility.check; the amount, term and
#: collateral rules read the financing need, which every consenting firm posts for banks).
RULE_SCOPES: dict[str, ConsentScope] = {
    "industry": BASIC,
    "score": INNOVATION,
    "high_tech": INNOVATION,
    "specialised": INNOVATION,
}
#: The scope each filter and sort of the firm browser reads (the financing-need amounts need
#: none); a firm without it does not match the filter and sorts after the firms that have it.
FILTER_SCOPES: dict[str, ConsentScope] = {
    "field": BASIC,
    "region": BASIC,
    "band": INNOVATION,
    "high_tech": INNOVATION,
    "specialised": INNOVATION,
    "active": ACTIVITY,
    "sort_score": INNOVATION,
}
#: The values of a breakdown row derived from the firm's data (weight, key and unit are the
#: public formula's).
ROW_VALUES = ("raw", "normalised", "points")


def indicator_scope(key: str) -> ConsentScope:
    """The scopes a breakdown row needs (an indicator this table does not know: all of them)."""
    return INDICATOR_SCOPES.get(key, EVERY_SCOPE)


def holds(scopes: ConsentScope | int, needed: ConsentScope) -> bool:
    """Whether `scopes` include every scope in `needed`."""
    return int(scopes) & int(needed) == int(needed)


def consented_breakdown(
    breakdown: Mapping[str, Any] | None, scopes: ConsentScope | int
) -> dict[str, Any] | None:
    """The score breakdown as a bank with `scopes` may see it: a row computed from a scope the
    firm did not consent to keeps its key and weight, its values are None and `withheld` is
    set. The total stays: the firm consents to its 创新积分 by name under INNOVATION."""
    if not breakdown:
        return None
    rows = []
    for row in breakdown.get("indicators") or []:
        if holds(scopes, indicator_scope(str(row.get("key")))):
            rows.append({**row, "withheld": False})
        else:
            rows.append({**row, **dict.fromkeys(ROW_VALUES), "withheld": True})
    return {**breakdown, "indicators": rows, "withheld": any(r["withheld"] for r in rows)}


@dataclass(frozen=True)
class ConsentedProfile:
    """The attributes eligibility.check reads, blanked where consent is missing, so a
    product's verdict (and a ranking by fit) never uses an unconsented value."""

    field_id: int | None
    score: Decimal | None
    high_tech: bool
    high_tech_expires_on: date | None
    specialised: SpecialisedLevel
    specialised_expires_on: date | None

    @classmethod
    def blank(cls, field_id: int | None = None) -> ConsentedProfile:
        """Nothing of INNOVATION (and the industry only when given)."""
        return cls(field_id, None, False, None, SpecialisedLevel.NONE, None)

    @classmethod
    def of(cls, view: FirmView) -> ConsentedProfile:
        """What the product rules may judge a firm copied out for a bank by."""
        field_id = view.basic.field.id if view.basic and view.basic.field else None
        inno = view.innovation
        if inno is None:
            return cls.blank(field_id)
        return cls(
            field_id=field_id,
            score=inno.score,
            high_tech=inno.high_tech,
            high_tech_expires_on=inno.high_tech_expires_on,
            specialised=SpecialisedLevel(inno.specialised),
            specialised_expires_on=inno.specialised_expires_on,
        )

    @classmethod
    def of_profile(
        cls, profile: FirmProfile | None, scopes: ConsentScope | int
    ) -> ConsentedProfile:
        """The same from a stored profile and the scopes the firm consents to now."""
        if profile is None:
            return cls.blank()
        field_id = profile.field_id if holds(scopes, BASIC) else None
        if not holds(scopes, INNOVATION):
            return cls.blank(field_id)
        return cls(
            field_id=field_id,
            score=profile.score,
            high_tech=bool(profile.high_tech),
            high_tech_expires_on=profile.high_tech_expires_on,
            specialised=SpecialisedLevel(profile.specialised),
            specialised_expires_on=profile.specialised_expires_on,
        )


def live_scopes(org_ids: Iterable[int]) -> dict[int, ConsentScope]:
    """The scopes each firm consents to right now (a firm without live consent is absent)."""
    ids = list(set(org_ids))
    if not ids:
        return {}
    live = consent.consenting_firms().subquery()
    rows = db.session.execute(
        sa.select(live.c.organisation_id, live.c.scopes).where(live.c.organisation_id.in_(ids))
    )
    return {org_id: ConsentScope(scopes) for org_id, scopes in rows}


def consented_profiles(org_ids: Iterable[int]) -> dict[int, ConsentedProfile]:
    """What the product rules may judge each firm by, under its live consent (a firm without
    one, or without a profile, is judged blank)."""
    ids = list(set(org_ids))
    scopes = live_scopes(ids)
    profiles = {
        p.organisation_id: p
        for p in db.session.scalars(
            sa.select(FirmProfile).where(FirmProfile.organisation_id.in_(ids))
        )
    }
    return {
        org_id: ConsentedProfile.of_profile(profiles.get(org_id), scopes.get(org_id, 0))
        for org_id in ids
    }
