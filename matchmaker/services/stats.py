"""Figures shown on the home page and dashboards."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Organisation, OrgKind, OrgStatus, User


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
