"""The directory of organisations (the API's /organisations): who may find which organisation.

Verified organisations are public. An organisation still pending, or rejected, is shown only to
the people who already see its own page: its active members (我的机构) and the admins who verify
organisations, the same people who may open its evidence (`evidence.can_view_document`); they
also see its credit code and the review reason. Everyone else is answered NotFound.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, Organisation, OrgKind, OrgStatus, Publication
from matchmaker.models.base import utcnow
from matchmaker.services.accounts.evidence import can_view_document
from matchmaker.services.errors import NotFound
from matchmaker.services.market.browsing import visible
from matchmaker.services.platform.regions import REGIONS
from matchmaker.services.talent.expert_public import public_condition

#: Orders of the directory list (the first is the default).
SORTS = ("name", "newest")


def may_see_private(user: Any, organisation: Organisation) -> bool:
    """Whether `user` sees the organisation whatever its status, with its credit code and
    review reason: its own active members and the admins who verify organisations."""
    return can_view_document(user, organisation)


def directory_query(
    *, kind: str = "", region: str = "", q: str = "", sort: str = "name"
) -> sa.Select[tuple[Organisation]]:
    """Verified organisations, filtered by kind, region and name, in the asked order (the id
    breaks ties, so pages are stable). Unknown filter values are ignored, as on the web."""
    statement = sa.select(Organisation).where(Organisation.status == OrgStatus.VERIFIED)
    if kind in {k.value for k in OrgKind}:
        statement = statement.where(Organisation.kind == kind)
    if region in REGIONS:
        statement = statement.where(Organisation.region == region)
    for word in (q or "").split()[:8]:
        like = f"%{word.replace('%', '').replace('_', '')}%"
        statement = statement.where(Organisation.name.ilike(like))
    if sort == "newest":
        return statement.order_by(Organisation.verified_at.desc(), Organisation.id.desc())
    return statement.order_by(Organisation.name, Organisation.id)


def get_visible(*, viewer: Any, organisation_id: int) -> Organisation:
    """An organisation the viewer may see (verified; else its members and admins), or
    NotFound."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound
    if not organisation.is_verified and not may_see_private(viewer, organisation):
        raise NotFound
    return organisation


def public_counts(organisation_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per organisation: its results and needs on the public lists and its public expert
    profiles ({"result": n, "need": n, "expert": n})."""
    counts = {i: {"result": 0, "need": 0, "expert": 0} for i in organisation_ids}
    if not organisation_ids:
        return counts
    now = utcnow()
    for kind in ("result", "need"):
        rows = db.session.execute(
            sa.select(Publication.organisation_id, sa.func.count())
            .where(Publication.organisation_id.in_(organisation_ids), *visible(kind, now))
            .group_by(Publication.organisation_id)
        ).tuples()
        for organisation_id, n in rows:
            counts[organisation_id][kind] = n
    rows = db.session.execute(
        sa.select(ExpertProfile.organisation_id, sa.func.count())
        .where(ExpertProfile.organisation_id.in_(organisation_ids), public_condition(now))
        .group_by(ExpertProfile.organisation_id)
    ).tuples()
    for organisation_id, n in rows:
        counts[organisation_id]["expert"] = n
    return counts
