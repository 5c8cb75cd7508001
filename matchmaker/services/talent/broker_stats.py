"""技术经纪人 figures, one rule for the broker's public page and the admin's activity panel.

Introductions are enquiries with source `introduction` and the broker's id. Acceptance rate:
introductions the other side accepted (state accepted, or closed, which only follows accepted)
divided by introductions that were confirmed or decided (every introduction except those still
waiting for the need owner's confirmation and those withdrawn). Deals count the live ones
(active or completed) that record the broker.

What the public sees (the broker's page and the directory): counts only, and recent
introductions only where both sides went ahead (`PUBLIC_STATES`); never contract amounts or
fees, which only the broker itself and the admins see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    BrokerAssignment,
    BrokerProfile,
    BrokerStatus,
    Deal,
    Enquiry,
    EnquirySource,
    EnquiryStatus,
    User,
)

ACCEPTED_STATES = frozenset({EnquiryStatus.ACCEPTED.value, EnquiryStatus.CLOSED.value})
#: Not counted in the rate's denominator: still waiting for consent, or taken back.
UNDECIDED_STATES = frozenset({EnquiryStatus.PROPOSED.value, EnquiryStatus.WITHDRAWN.value})
#: The only introductions the public page names: both sides went ahead (closed follows accepted).
PUBLIC_STATES = ACCEPTED_STATES
LIVE_DEAL_STATES = ("active", "completed")
RECENT = 10


@dataclass
class BrokerStats:
    """One broker's activity in numbers."""

    needs_followed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    deals: int = 0
    deal_amount_wan: Decimal = Decimal(0)
    fee_wan: Decimal = Decimal(0)

    @property
    def introductions(self) -> int:
        return sum(self.by_status.values())

    @property
    def accepted(self) -> int:
        return sum(n for s, n in self.by_status.items() if s in ACCEPTED_STATES)

    @property
    def decided(self) -> int:
        """Introductions confirmed or decided: the acceptance rate's denominator."""
        return sum(n for s, n in self.by_status.items() if s not in UNDECIDED_STATES)

    @property
    def acceptance_rate(self) -> float | None:
        """accepted / decided, None while nothing was decided."""
        return self.accepted / self.decided if self.decided else None


def stats_for(broker_ids: list[int]) -> dict[int, BrokerStats]:
    """The figures of each broker in `broker_ids` (three grouped queries)."""
    stats = {broker_id: BrokerStats() for broker_id in broker_ids}
    if not broker_ids:
        return stats
    for broker_id, n in db.session.execute(
        sa.select(BrokerAssignment.broker_id, sa.func.count())
        .where(BrokerAssignment.broker_id.in_(broker_ids), BrokerAssignment.ended_at.is_(None))
        .group_by(BrokerAssignment.broker_id)
    ):
        stats[broker_id].needs_followed = n
    for broker_id, status, n in db.session.execute(
        sa.select(Enquiry.broker_id, Enquiry.status, sa.func.count())
        .where(Enquiry.broker_id.in_(broker_ids), Enquiry.source == EnquirySource.INTRODUCTION)
        .group_by(Enquiry.broker_id, Enquiry.status)
    ):
        stats[broker_id].by_status[str(status)] = n
    for broker_id, n, amount, fee in db.session.execute(
        sa.select(
            Deal.broker_id,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Deal.amount_wan), 0),
            sa.func.coalesce(sa.func.sum(Deal.broker_fee_wan), 0),
        )
        .where(Deal.broker_id.in_(broker_ids), Deal.status.in_(LIVE_DEAL_STATES))
        .group_by(Deal.broker_id)
    ):
        entry = stats[broker_id]
        entry.deals, entry.deal_amount_wan, entry.fee_wan = n, Decimal(amount), Decimal(fee)
    return stats


def broker_stats(broker: BrokerProfile) -> BrokerStats:
    """The figures of one broker."""
    return stats_for([broker.id])[broker.id]


@dataclass(frozen=True)
class IntroductionLine:
    """A recent introduction as the public sees it: the need and what was introduced (only
    introductions both sides went ahead with)."""

    need_title: str
    target_title: str
    status: str
    created_at: object


def recent_introductions(broker: BrokerProfile, *, limit: int = RECENT) -> list[IntroductionLine]:
    """The broker's latest introductions that both sides went ahead with (titles only: no
    parties, no messages, no amounts). Pending, declined and withdrawn ones stay private."""
    rows = db.session.scalars(
        sa.select(Enquiry)
        .where(
            Enquiry.broker_id == broker.id,
            Enquiry.source == EnquirySource.INTRODUCTION,
            Enquiry.status.in_([EnquiryStatus(s) for s in sorted(PUBLIC_STATES)]),
        )
        .options(
            selectinload(Enquiry.for_need),
            selectinload(Enquiry.result),
            selectinload(Enquiry.need),
            selectinload(Enquiry.expert),
        )
        .order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
        .limit(limit)
    )
    lines = []
    for enquiry in rows:
        if enquiry.expert is not None:
            target_title = enquiry.expert.name  # an expert's `title` is the job title
        else:
            target_title = getattr(enquiry.listing, "title", "")
        lines.append(
            IntroductionLine(
                need_title=enquiry.for_need.title if enquiry.for_need is not None else "",
                target_title=str(target_title or ""),
                status=str(enquiry.status),
                created_at=enquiry.created_at,
            )
        )
    return lines


@dataclass(frozen=True)
class ActivityRow:
    """One verified broker on the admin's activity panel."""

    broker: BrokerProfile
    stats: BrokerStats


def activity_panel() -> dict[str, object]:
    """The admin dashboard's 技术经纪人活动: every verified broker's figures, and the queue."""
    brokers = list(
        db.session.scalars(
            sa.select(BrokerProfile)
            .join(User, User.id == BrokerProfile.user_id)
            .where(BrokerProfile.status == BrokerStatus.VERIFIED)
            .options(selectinload(BrokerProfile.user), selectinload(BrokerProfile.organisation))
            .order_by(User.name, BrokerProfile.id)
        )
    )
    stats = stats_for([b.id for b in brokers])
    pending = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(BrokerProfile)
            .where(BrokerProfile.status == BrokerStatus.PENDING)
        )
        or 0
    )
    return {"rows": [ActivityRow(b, stats[b.id]) for b in brokers], "pending": pending}
