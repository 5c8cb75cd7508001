"""What a bank may see of a firm: its profile copied out scope by scope, never more.

Templates, product checks and workbooks of the bank side read FirmView objects, which hold
nothing of a scope the firm did not consent to (None stands for 未授权), derived values
included: what each scope unlocks is decided in scope_rules.py alone. Financing needs are
posted for banks, so every consenting firm's open needs come along. The rows come from
consent.consenting_firms() (lists) or consent.open_firm/peek_firm (one firm): the only gates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    Application,
    Challenge,
    ConsentGrant,
    ConsentScope,
    ConversionOffer,
    Deal,
    FinancingNeed,
    FinancingStatus,
    FirmProfile,
    Need,
    Organisation,
    OrgKind,
    Result,
    SpecialisedLevel,
    TechField,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.finance import consent, innovation_score
from matchmaker.services.finance.firm_activity import PlatformActivity, platform_activity
from matchmaker.services.finance.scope_rules import ConsentedProfile as ConsentedProfile
from matchmaker.services.finance.scope_rules import consented_breakdown

BASIC, INNOVATION = ConsentScope.BASIC, ConsentScope.INNOVATION
FINANCIALS, ACTIVITY = ConsentScope.FINANCIALS, ConsentScope.ACTIVITY
#: "Recent 揭榜 or deal activity" looks this far back.
ACTIVITY_WINDOW = timedelta(days=365)


def bank_org_id(actor: User) -> int:
    """The actor's verified bank; PermissionDenied for anyone else."""
    org = actor.organisation
    if not (
        has_permission(actor, Permission.FIRM_BROWSE)
        and actor.is_active
        and org is not None
        and org.kind == OrgKind.BANK
        and org.is_verified
    ):
        raise PermissionDenied(_("机构通过平台审核后，银行成员才能浏览企业画像。"))
    return org.id


@dataclass(frozen=True)
class BasicInfo:
    """基本信息 (BASIC)."""

    field: TechField | None
    size: str | None
    employees: int | None
    region: str
    founded_year: int | None
    key_products: str
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None


@dataclass(frozen=True)
class InnovationInfo:
    """创新指标 (INNOVATION); the score attributes are named as on FirmProfile, so the
    score_breakdown macro of templates/finance/_score.html takes this object."""

    high_tech: bool
    high_tech_valid: bool
    high_tech_cert_no: str | None
    high_tech_expires_on: date | None
    specialised: str
    specialised_valid: bool
    specialised_cert_no: str | None
    specialised_expires_on: date | None
    patents_invention: int
    patents_utility: int
    patents_design: int
    software_copyrights: int
    awards: str
    rd_intensity: Decimal | None  # %, as the score has it (innovation_score.rd_intensity)
    score: Decimal | None
    score_version: int | None
    score_breakdown: dict[str, Any] | None  # rows of unconsented scopes withheld (scope_rules)
    score_computed_at: datetime | None
    score_stale: bool


@dataclass(frozen=True)
class FinancialYear:
    """One declared year (FINANCIALS), in 万元."""

    year: int
    revenue_wan: Decimal
    rd_spend_wan: Decimal


@dataclass(frozen=True)
class FirmView:
    """A firm as a bank may see it now: each scope's data, or None when not consented."""

    organisation: Organisation
    scopes: ConsentScope
    basic: BasicInfo | None
    innovation: InnovationInfo | None
    financials: tuple[FinancialYear, ...] | None
    activity: PlatformActivity | None  # None: not consented (or not loaded for a ranking)
    recently_active: bool | None  # a 揭榜 application, adoption or deal in the last 12 months
    needs: tuple[FinancingNeed, ...] = ()  # open financing needs, largest first

    def allows(self, scope: ConsentScope) -> bool:
        """Whether the firm consented to this scope."""
        return bool(self.scopes & scope)

    @property
    def needs_total_wan(self) -> Decimal:
        """The sum of the open financing needs."""
        return sum((n.amount_wan for n in self.needs), Decimal(0))


def _valid(flag: bool, expires_on: date | None, today: date) -> bool:
    return bool(flag) and (expires_on is None or expires_on >= today)


def _innovation(p: FirmProfile, today: date, scopes: ConsentScope) -> InnovationInfo:
    return InnovationInfo(
        high_tech=p.high_tech,
        high_tech_valid=_valid(p.high_tech, p.high_tech_expires_on, today),
        high_tech_cert_no=p.high_tech_cert_no,
        high_tech_expires_on=p.high_tech_expires_on,
        specialised=str(p.specialised),
        specialised_valid=_valid(
            p.specialised != SpecialisedLevel.NONE, p.specialised_expires_on, today
        ),
        specialised_cert_no=p.specialised_cert_no,
        specialised_expires_on=p.specialised_expires_on,
        patents_invention=p.patents_invention,
        patents_utility=p.patents_utility,
        patents_design=p.patents_design,
        software_copyrights=p.software_copyrights,
        awards=p.awards,
        rd_intensity=innovation_score.rd_intensity(p),
        score=p.score,
        score_version=p.score_version,
        score_breakdown=consented_breakdown(p.score_breakdown, scopes),
        score_computed_at=p.score_computed_at,
        score_stale=p.score_stale,
    )


def firm_view(
    access: consent.FirmAccess,
    *,
    activity: PlatformActivity | None = None,
    recent: bool | None = None,
    needs: Iterable[FinancingNeed] = (),
    today: date | None = None,
) -> FirmView:
    """Copy out of the profile exactly the scopes the firm consented to."""
    today = today or date.today()
    p, org, scopes = access.profile, access.organisation, access.scopes
    basic = None
    if scopes & BASIC:
        basic = BasicInfo(
            field=p.field if p else None,
            size=str(p.size) if p and p.size else None,
            employees=p.employees if p else None,
            region=org.region,
            founded_year=p.founded_year if p else None,
            key_products=p.key_products if p else "",
            contact_name=p.contact_name if p else None,
            contact_phone=p.contact_phone if p else None,
            contact_email=p.contact_email if p else None,
        )
    financials = None
    if scopes & FINANCIALS:
        years = sorted(p.years, key=lambda y: y.year) if p else []
        financials = tuple(FinancialYear(y.year, y.revenue_wan, y.rd_spend_wan) for y in years)
    allowed_activity = bool(scopes & ACTIVITY)
    return FirmView(
        organisation=org,
        scopes=scopes,
        basic=basic,
        innovation=_innovation(p, today, scopes) if scopes & INNOVATION and p else None,
        financials=financials,
        activity=activity if allowed_activity else None,
        recently_active=recent if allowed_activity else None,
        needs=tuple(needs),
    )


# --- loading in bulk ----------------------------------------------------------------------------
def recent_activity_ids(since: datetime) -> sa.CompoundSelect:
    """Organisations with a 揭榜 application (either side), an adoption or a deal since then."""
    return sa.union(
        sa.select(Application.organisation_id.label("org_id")).where(
            Application.submitted_at >= since
        ),
        sa.select(Need.organisation_id)
        .join(Challenge, Challenge.need_id == Need.id)
        .join(Application, Application.challenge_id == Challenge.id)
        .where(Application.submitted_at >= since),
        sa.select(AdoptionRequest.organisation_id).where(AdoptionRequest.created_at >= since),
        sa.select(Result.organisation_id)
        .join(ConversionOffer, ConversionOffer.result_id == Result.id)
        .join(AdoptionRequest, AdoptionRequest.offer_id == ConversionOffer.id)
        .where(AdoptionRequest.created_at >= since),
        sa.select(Deal.provider_org_id).where(Deal.created_at >= since),
        sa.select(Deal.client_org_id).where(Deal.created_at >= since),
    )


def recently_active(org_ids: Sequence[int], *, now: datetime | None = None) -> set[int]:
    """Which of the organisations had a 揭榜 application (either side), an adoption request
    (either side) or a technology contract in the last 12 months: what the firm page's badge says
    ("近 12 个月有揭榜申请、成果承接或技术合同往来"), not only the successful outcomes it counts."""
    if not org_ids:
        return set()
    recent = recent_activity_ids((now or utcnow()) - ACTIVITY_WINDOW).subquery()
    return set(
        db.session.scalars(sa.select(recent.c.org_id).where(recent.c.org_id.in_(list(org_ids))))
    )


def accesses_of(rows: Sequence[Any]) -> list[consent.FirmAccess]:
    """FirmAccess for rows of consent.consenting_firms() (loaded in bulk, in the rows' order)."""
    ids = [r.organisation_id for r in rows]
    if not ids:
        return []
    orgs = {
        o.id: o for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))
    }
    profiles = {
        p.organisation_id: p
        for p in db.session.scalars(
            sa.select(FirmProfile)
            .where(FirmProfile.organisation_id.in_(ids))
            .options(selectinload(FirmProfile.years), selectinload(FirmProfile.field))
        )
    }
    grant_ids = [r.grant_id for r in rows]
    grants = {
        g.id: g
        for g in db.session.scalars(sa.select(ConsentGrant).where(ConsentGrant.id.in_(grant_ids)))
    }
    return [
        consent.FirmAccess(
            organisation=orgs[r.organisation_id],
            profile=profiles.get(r.organisation_id),
            scopes=ConsentScope(r.scopes),
            grant=grants[r.grant_id],
        )
        for r in rows
    ]


def open_needs(org_ids: Sequence[int]) -> dict[int, list[FinancingNeed]]:
    """Each organisation's open financing needs, largest first."""
    found: dict[int, list[FinancingNeed]] = {}
    if not org_ids:
        return found
    for need in db.session.scalars(
        sa.select(FinancingNeed)
        .where(
            FinancingNeed.organisation_id.in_(list(org_ids)),
            FinancingNeed.status == FinancingStatus.OPEN,
        )
        .order_by(FinancingNeed.amount_wan.desc(), FinancingNeed.id)
    ):
        found.setdefault(need.organisation_id, []).append(need)
    return found


def views_of(
    accesses: Sequence[consent.FirmAccess], *, with_activity: bool = True
) -> list[FirmView]:
    """FirmViews of the accesses; platform activity is counted only for firms that consented
    to it, and only when asked (a ranking of thousands of firms does not need it)."""
    now = utcnow()
    ids = [a.organisation.id for a in accesses]
    active_ids = [a.organisation.id for a in accesses if a.allows(ACTIVITY)]
    recent = recently_active(active_ids, now=now)
    needs = open_needs(ids)
    views = []
    for a in accesses:
        org_id = a.organisation.id
        counted = with_activity and a.allows(ACTIVITY)
        views.append(
            firm_view(
                a,
                activity=platform_activity(org_id) if counted else None,
                recent=org_id in recent,
                needs=needs.get(org_id, []),
            )
        )
    return views


def add_activity(view: FirmView) -> FirmView:
    """The view with its platform activity counted (when consented)."""
    if not view.allows(ACTIVITY) or view.activity is not None:
        return view
    return replace(view, activity=platform_activity(view.organisation.id))
