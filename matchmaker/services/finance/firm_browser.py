"""The bank's firm browser: consenting firms filtered and sorted, and one firm's page.

A filter, a sort key or a displayed value uses a firm's data only when the firm consented to
the scope it belongs to (services/finance/scope_rules.py FILTER_SCOPES, RULE_SCOPES): a firm
without the scope does not match a filter on it and sorts after the firms that do. Industry
and region need BASIC; score band and certifications need INNOVATION; recent activity needs
ACTIVITY; financing-need amounts are posted for banks and filter any consenting firm. Listing
firms logs nothing; opening one goes through consent.open_firm, which writes the firm's view
log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    ConsentScope,
    FinancingNeed,
    FinancingStatus,
    FirmProfile,
    LoanProduct,
    Organisation,
    ProductStatus,
    ShortlistEntry,
    SpecialisedLevel,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.services import matching
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.finance import consent, eligibility
from matchmaker.services.finance.eligibility import Check, Eligibility
from matchmaker.services.finance.firm_relationship import Relationship, bank_relationship
from matchmaker.services.finance.firm_scope import (
    ACTIVITY_WINDOW,
    ConsentedProfile,
    FirmView,
    accesses_of,
    add_activity,
    bank_org_id,
    recent_activity_ids,
    views_of,
)
from matchmaker.services.finance.firm_shortlist import shortlist_entry, shortlisted_ids
from matchmaker.services.finance.scope_rules import FILTER_SCOPES, RULE_SCOPES
from matchmaker.services.market.browsing import ListPage

#: Score bands of the filter: a band holds low <= score < high (the last one up to 100).
SCORE_BANDS = {"0-40": (0, 40), "40-60": (40, 60), "60-80": (60, 80), "80-100": (80, 100)}
SORTS = ("score", "name", "fit")
PER_PAGE = 20
MAX_RANKED = 2000  # firms one request ranks by fit
#: The scope each firm rule of a product reads (the other rules read the financing need).
RULE_SCOPE = RULE_SCOPES


# --- the bank's products ----------------------------------------------------------------------
def bank_products(actor: User) -> list[LoanProduct]:
    """The actor's bank's published products (what fit is measured against)."""
    return list(
        db.session.scalars(
            sa.select(LoanProduct)
            .where(
                LoanProduct.bank_org_id == bank_org_id(actor),
                LoanProduct.status == ProductStatus.PUBLISHED,
            )
            .order_by(LoanProduct.name, LoanProduct.id)
        )
    )


def _own_product(actor: User, product_id: int | None) -> LoanProduct:
    for product in bank_products(actor):
        if product.id == product_id:
            return product
    raise ValidationFailed({"product": _("请选择本行已发布的贷款产品。")})


def best_fit(
    product: LoanProduct, profile: ConsentedProfile, needs: Sequence[FinancingNeed]
) -> tuple[FinancingNeed | None, Eligibility]:
    """The product's verdict on the firm with its best-fitting open financing need."""
    if not needs:
        return None, eligibility.check(product, profile)
    options = [(n, eligibility.check(product, profile, n)) for n in needs]
    return max(options, key=lambda o: (o[1].eligible, o[1].fit, -o[0].id))


# --- the list -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FirmFilter:
    """The browser's criteria (shape already checked by the form)."""

    field_id: int | None = None
    region: str = ""
    band: str = ""
    high_tech: bool = False
    specialised: bool = False
    need_min: Decimal | None = None
    need_max: Decimal | None = None
    active: bool = False
    sort: str = "score"
    product_id: int | None = None


@dataclass(frozen=True)
class FirmRow:
    """One firm of the list, with its fit to the chosen product when sorting by fit."""

    firm: FirmView
    access: consent.FirmAccess
    fit: Eligibility | None = None
    fit_need: FinancingNeed | None = None
    shortlisted: bool = False


def _has(scopes: Any, scope: ConsentScope) -> Any:
    return scopes.bitwise_and(int(scope)) != 0


def _certified(flag: Any, expires_on: Any, today: date) -> Any:
    return sa.and_(flag, sa.or_(expires_on.is_(None), expires_on >= today))


def _select(f: FirmFilter, now: datetime) -> tuple[sa.Select, Any]:
    """(organisation_id, scopes, grant_id) of the consenting firms matching the filter, and
    the score as the bank may sort by it (NULL without INNOVATION)."""
    c = consent.consenting_firms(now).subquery("consenting")
    scopes, today = c.c.scopes, date.today()
    stmt = (
        sa.select(c.c.organisation_id, c.c.scopes, c.c.grant_id)
        .join(Organisation, Organisation.id == c.c.organisation_id)
        .outerjoin(FirmProfile, FirmProfile.organisation_id == c.c.organisation_id)
    )
    if f.field_id:
        stmt = stmt.where(_has(scopes, FILTER_SCOPES["field"]), FirmProfile.field_id == f.field_id)
    if f.region:
        stmt = stmt.where(_has(scopes, FILTER_SCOPES["region"]), Organisation.region == f.region)
    if f.band in SCORE_BANDS:
        low, high = SCORE_BANDS[f.band]
        top = FirmProfile.score <= high if high == 100 else FirmProfile.score < high
        stmt = stmt.where(_has(scopes, FILTER_SCOPES["band"]), FirmProfile.score >= low, top)
    if f.high_tech:
        held: sa.ColumnElement[bool] = FirmProfile.high_tech.is_(True)
        stmt = stmt.where(
            _has(scopes, FILTER_SCOPES["high_tech"]),
            _certified(held, FirmProfile.high_tech_expires_on, today),
        )
    if f.specialised:
        held = FirmProfile.specialised != SpecialisedLevel.NONE
        stmt = stmt.where(
            _has(scopes, FILTER_SCOPES["specialised"]),
            _certified(held, FirmProfile.specialised_expires_on, today),
        )
    if f.need_min is not None or f.need_max is not None:
        cond = [
            FinancingNeed.organisation_id == c.c.organisation_id,
            FinancingNeed.status == FinancingStatus.OPEN,
        ]
        if f.need_min is not None:
            cond.append(FinancingNeed.amount_wan >= f.need_min)
        if f.need_max is not None:
            cond.append(FinancingNeed.amount_wan <= f.need_max)
        stmt = stmt.where(sa.exists().where(*cond))
    if f.active:
        recent = recent_activity_ids(now - ACTIVITY_WINDOW).subquery()
        stmt = stmt.where(
            _has(scopes, FILTER_SCOPES["active"]),
            c.c.organisation_id.in_(sa.select(recent.c.org_id)),
        )
    sortable = _has(scopes, FILTER_SCOPES["sort_score"])
    visible_score = sa.case((sortable, FirmProfile.score), else_=None)
    return stmt, visible_score


def firm_rows(
    *,
    actor: User,
    criteria: FirmFilter,
    offset: int = 0,
    limit: int = PER_PAGE,
    with_activity: bool = True,
) -> tuple[list[FirmRow], int]:
    """A window of the filtered firms in the chosen order, and how many match; the platform
    activity (several queries a firm) only when asked for (the export shows it, the list not)."""
    bank_id = bank_org_id(actor)
    product = _own_product(actor, criteria.product_id) if criteria.sort == "fit" else None
    stmt, visible_score = _select(criteria, utcnow())
    fits: dict[int, tuple[FinancingNeed | None, Eligibility]] = {}
    if product is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
        order = [Organisation.name, Organisation.id]
        if criteria.sort != "name":
            order = [visible_score.is_(None), visible_score.desc(), *order]
        window = db.session.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()
        accesses = accesses_of(window)
        views = views_of(accesses, with_activity=with_activity)
    else:
        ranked = db.session.execute(
            stmt.order_by(Organisation.name, Organisation.id).limit(MAX_RANKED)
        ).all()
        total = len(ranked)
        accesses = accesses_of(ranked)
        views = views_of(accesses, with_activity=False)
        for view in views:
            fits[view.organisation.id] = best_fit(product, ConsentedProfile.of(view), view.needs)

        def rank(i: int) -> tuple[bool, float, int]:
            verdict = fits[views[i].organisation.id][1]
            return (not verdict.eligible, -verdict.fit, i)

        chosen = sorted(range(len(views)), key=rank)[offset : offset + limit]
        accesses = [accesses[i] for i in chosen]
        views = [add_activity(views[i]) if with_activity else views[i] for i in chosen]
    listed = shortlisted_ids(bank_id, [v.organisation.id for v in views])
    rows = []
    for access, view in zip(accesses, views, strict=True):
        need, verdict = fits.get(view.organisation.id, (None, None))
        rows.append(
            FirmRow(view, access, verdict, need, shortlisted=view.organisation.id in listed)
        )
    return rows, total


def browse(
    *, actor: User, criteria: FirmFilter, page: int = 1, per_page: int = PER_PAGE
) -> ListPage:
    """A page of consenting firms matching the criteria (a list is not a look: no log)."""
    page = max(1, page)
    rows, total = firm_rows(
        actor=actor,
        criteria=criteria,
        offset=(page - 1) * per_page,
        limit=per_page,
        with_activity=False,
    )
    return ListPage(rows, page, per_page, total)  # type: ignore[arg-type]


# --- one firm -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProductCheck:
    """One of the bank's products judged against the firm: each rule ok / fail / 未授权."""

    product: LoanProduct
    need: FinancingNeed | None
    verdict: Eligibility
    marks: tuple[tuple[Check, str], ...]  # (check, "ok" | "fail" | "unconsented")

    @property
    def percent(self) -> int:
        """The 匹配度 shown, 0–100 (Eligibility.fit)."""
        return round(self.verdict.fit * 100)

    @property
    def rule_points(self) -> float:
        """What one passed rule adds to the 匹配度 (RULES_WEIGHT shared equally)."""
        return round(100 * eligibility.RULES_WEIGHT / len(self.marks), 1) if self.marks else 0.0

    @property
    def rules_points(self) -> float:
        """Points from the rules passed (a product with no rules gives them all)."""
        return round(100 * eligibility.RULES_WEIGHT * self.verdict.rules_share, 1)

    @property
    def text_points(self) -> float:
        """Points from the text similarity of the product and the financing need."""
        return round(100 * eligibility.TEXT_WEIGHT * self.verdict.text_similarity, 1)


@dataclass(frozen=True)
class SimilarFirm:
    """A consenting firm whose public listings resemble this firm's."""

    organisation: Organisation
    match: matching.Match

    @property
    def score(self) -> float:
        """The engine's score (cosine plus factors)."""
        return self.match.score

    @property
    def percent(self) -> int:
        """The 0–100 匹配度 (matching.percent_of: the sum of the shown parts)."""
        return matching.percent_of(self.match)

    @property
    def why(self) -> matching.Explanation:
        """The shared terms behind the similarity."""
        return matching.explain(self.match)


@dataclass(frozen=True)
class FirmPage:
    """Everything the bank's page of one firm shows."""

    firm: FirmView
    consent_expires_at: datetime
    products: list[ProductCheck]
    similar: list[SimilarFirm]
    shortlist: ShortlistEntry | None
    relationship: Relationship = Relationship()

    @property
    def rules_weight_points(self) -> int:
        """The part of the product 匹配度 (0–100) that the rules decide."""
        return round(100 * eligibility.RULES_WEIGHT)

    @property
    def text_weight_points(self) -> int:
        """The part of the product 匹配度 (0–100) that the text of product and need decides."""
        return round(100 * eligibility.TEXT_WEIGHT)


def product_checks(actor: User, view: FirmView) -> list[ProductCheck]:
    """The bank's published products against the firm, eligible first."""
    profile = ConsentedProfile.of(view)
    checks = []
    for product in bank_products(actor):
        need, verdict = best_fit(product, profile, view.needs)
        marks = []
        for check in verdict.checks:
            scope = RULE_SCOPE.get(check.rule)
            if scope is not None and not view.allows(scope):
                marks.append((check, "unconsented"))
            else:
                marks.append((check, "ok" if check.ok else "fail"))
        checks.append(ProductCheck(product, need, verdict, tuple(marks)))
    return sorted(checks, key=lambda c: (not c.verdict.eligible, -c.verdict.fit, c.product.id))


def firm_page(*, actor: User, firm_org_id: int, log: bool = True) -> FirmPage:
    """A bank's page of one firm, opened through consent (NotFound without live consent)
    and written to the firm's view log unless `log` is False (a form shown again)."""
    if log:
        access = consent.open_firm(actor=actor, firm_org_id=firm_org_id)
    else:
        access = consent.peek_firm(actor=actor, firm_org_id=firm_org_id)
    (view,) = views_of([access])
    return FirmPage(
        firm=view,
        consent_expires_at=access.grant.expires_at,
        products=product_checks(actor, view),
        similar=similar_firms(firm_org_id),
        shortlist=shortlist_entry(actor=actor, firm_org_id=firm_org_id),
        relationship=bank_relationship(bank_org_id(actor), firm_org_id),
    )


def similar_firms(firm_org_id: int, *, k: int = 5) -> list[SimilarFirm]:
    """相似企业: consenting firms the engine finds closest to this one over each firm's public
    listings, its public description and (where the firm consented to 基本信息) its main
    products and industry; only matches above the relevance floor, with their shared terms."""
    now = utcnow()
    live = consent.consenting_firms(now).subquery()
    rows = db.session.execute(
        sa.select(Organisation, live.c.scopes, FirmProfile)
        .join(live, live.c.organisation_id == Organisation.id)
        .outerjoin(FirmProfile, FirmProfile.organisation_id == Organisation.id)
        .options(selectinload(FirmProfile.field))
        .order_by(Organisation.id)
    ).all()
    if firm_org_id not in {org.id for org, _scopes, _profile in rows}:
        return []
    texts, orgs = [], {}
    for org, scopes, profile in rows:
        basic = profile is not None and bool(int(scopes) & int(ConsentScope.BASIC))
        texts.append(
            matching.OrgText(
                organisation_id=org.id,
                text="\n".join(
                    t for t in (org.description, profile.key_products if basic else "") if t
                ),
                field=profile.field.name if basic and profile.field else None,
                region=org.region,
            )
        )
        orgs[org.id] = org
    found = matching.similar_organisations(firm_org_id, texts, k=k)
    return [SimilarFirm(orgs[org_id], match) for org_id, match in found if org_id in orgs]
