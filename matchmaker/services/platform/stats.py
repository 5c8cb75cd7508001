"""Figures shown on the home page and dashboards."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Deal,
    Need,
    Organisation,
    OrgKind,
    OrgStatus,
    User,
)
from matchmaker.models.base import CHINA, utcnow


def verified_organisation_counts() -> dict[str, int]:
    """How many verified organisations of each kind take part."""
    rows = db.session.execute(
        sa.select(Organisation.kind, sa.func.count())
        .where(Organisation.status == OrgStatus.VERIFIED)
        .group_by(Organisation.kind)
    ).all()
    counts = {str(kind): 0 for kind in OrgKind}
    counts.update({str(kind): n for kind, n in rows})
    return counts


def admin_overview() -> dict[str, int]:
    """The admin dashboard's work queue sizes."""
    pending = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Organisation)
        .where(Organisation.status == OrgStatus.PENDING)
    )
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    inactive = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.is_active.is_(False))
    )
    return {
        "pending_organisations": pending or 0,
        "users": users or 0,
        "inactive_users": inactive or 0,
    }


def database_ok() -> bool:
    """Whether the database answers a trivial query."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def conversion_targets(converted: int, *, today: date | None = None) -> list[dict[str, object]]:
    """The results-converted targets (services/bureau/targets.py: the seed's figures unless the
    admin set others) with progress ("10 / 350"): the current and coming ones first, past last."""
    from matchmaker.services.bureau import targets

    year = (today or utcnow().astimezone(CHINA).date()).year
    by_year = targets.targets_for("results_converted")
    return [
        {
            "year": y,
            "target": int(by_year[y]),
            "done": converted,
            "share": min(1.0, converted / float(by_year[y])) if by_year[y] else 1.0,
            "is_past": y < year,
        }
        for y in targets.order_years(list(by_year), year)
    ]


def deal_statistics() -> dict[str, object]:
    """Technology contracts and conversions: the figures the science bureau watches.

    A result counts as converted once a deal about it exists that is not terminated or
    returned (a challenge application pre-filled from the result, an adoption of it, or a
    对接 conversation about it), or when its owner marked it transferred: the one rule is
    services/bureau/targets.py converted_results.
    """
    live = Deal.status.in_(["active", "completed"])
    totals = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Deal.amount_wan), 0)).where(live)
    ).one()
    completed = db.session.scalar(
        sa.select(sa.func.count()).select_from(Deal).where(Deal.status == "completed")
    )
    from matchmaker.services.bureau import targets

    converted = len(targets.converted_results())
    solved = db.session.scalar(
        sa.select(sa.func.count()).select_from(Need).where(Need.status == "accepted")
    )
    return {
        "deals": totals[0],
        "amount_wan": totals[1],
        "completed": completed or 0,
        "results_converted": converted or 0,
        "challenges_solved": solved or 0,
        "targets": conversion_targets(converted or 0),
    }
