"""What the platform itself knows about a firm: its activity, counted, never declared.

Needs posted, challenges won and solved, results adopted, deals, milestones, response times:
the inputs of the 创新积分's activity indicators (services/finance/innovation_score.py) and
of the firm pages. Also whether a declared certificate still counts.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    AdoptionStatus,
    Application,
    ApplicationStatus,
    Challenge,
    ConversionOffer,
    Deal,
    DealStatus,
    Milestone,
    MilestoneStatus,
    Need,
    Result,
)


@dataclass(frozen=True)
class PlatformActivity:
    """What the platform itself knows about a firm (computed, never declared)."""

    needs_posted: int = 0  # published needs (技术需求), challenges included
    challenges_won: int = 0  # 揭榜: the firm's applications that were selected
    challenges_solved: int = 0  # 发榜: the firm's own challenges that were solved (验收)
    results_adopted: int = 0  # the firm's accepted adoption requests (成果承接)
    deals: int = 0  # deals (not terminated) where the firm is client or provider
    deal_amount_wan: Decimal = Decimal(0)  # their total amount
    milestones_accepted: int = 0  # accepted milestones of those deals
    decisions: int = 0  # applications and adoption requests the firm decided on
    median_response_hours: float | None = None  # median hours from submission to decision


def _count(query: sa.Select) -> int:
    return int(db.session.scalar(query) or 0)


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 3600


def platform_activity(organisation_id: int) -> PlatformActivity:
    """Count the firm's activity on the platform (the inputs of the activity indicators)."""
    org = organisation_id
    needs = _count(
        sa.select(sa.func.count(Need.id)).where(
            Need.organisation_id == org, Need.published_at.is_not(None)
        )
    )
    won = _count(
        sa.select(sa.func.count(Application.id)).where(
            Application.organisation_id == org, Application.status == ApplicationStatus.SELECTED
        )
    )
    solved = _count(
        sa.select(sa.func.count(Challenge.id))
        .join(Need, Need.id == Challenge.need_id)
        .where(Need.organisation_id == org, Challenge.solved_at.is_not(None))
    )
    adopted = _count(
        sa.select(sa.func.count(AdoptionRequest.id)).where(
            AdoptionRequest.organisation_id == org,
            AdoptionRequest.status == AdoptionStatus.ACCEPTED,
        )
    )
    party = sa.or_(Deal.client_org_id == org, Deal.provider_org_id == org)
    live_deal = sa.and_(party, Deal.status != DealStatus.TERMINATED)
    deals, amount = db.session.execute(
        sa.select(sa.func.count(Deal.id), sa.func.coalesce(sa.func.sum(Deal.amount_wan), 0)).where(
            live_deal
        )
    ).one()
    milestones = _count(
        sa.select(sa.func.count(Milestone.id))
        .join(Deal, Deal.id == Milestone.deal_id)
        .where(live_deal, Milestone.status == MilestoneStatus.ACCEPTED)
    )
    # Response times: applications to the firm's challenges and requests to adopt its results.
    application_times = (
        db.session.execute(
            sa.select(Application.submitted_at, Application.decided_at)
            .join(Challenge, Challenge.id == Application.challenge_id)
            .join(Need, Need.id == Challenge.need_id)
            .where(Need.organisation_id == org, Application.decided_at.is_not(None))
        )
        .tuples()
        .all()
    )
    adoption_times = (
        db.session.execute(
            sa.select(AdoptionRequest.created_at, AdoptionRequest.decided_at)
            .join(ConversionOffer, ConversionOffer.id == AdoptionRequest.offer_id)
            .join(Result, Result.id == ConversionOffer.result_id)
            .where(Result.organisation_id == org, AdoptionRequest.decided_at.is_not(None))
        )
        .tuples()
        .all()
    )
    hours = [
        h
        for start, end in [*application_times, *adoption_times]
        if (h := _hours(start, end)) is not None
    ]
    return PlatformActivity(
        needs_posted=needs,
        challenges_won=won,
        challenges_solved=solved,
        results_adopted=adopted,
        deals=int(deals or 0),
        deal_amount_wan=Decimal(amount or 0).quantize(Decimal("0.01")),
        milestones_accepted=milestones,
        decisions=len(hours),
        median_response_hours=round(statistics.median(hours), 1) if hours else None,
    )


def certificate_valid(expires_on: date | None, today: date | None = None) -> bool:
    """A certificate counts while its expiry date has not passed."""
    return expires_on is not None and expires_on >= (today or date.today())
