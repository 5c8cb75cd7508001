"""Which needs a 技术经纪人 follows: the admin assigns, the broker claims and releases.

A broker follows only needs that are public now (approved, not expired), never a need of its
own organisation, and each need at most once at a time (a live assignment). What a broker
sees of a followed need's enquiries is their metadata: how many in each state and when the
last thing happened, never a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    AssignmentSource,
    BrokerAssignment,
    BrokerProfile,
    Enquiry,
    EnquiryStatus,
    Need,
    Publication,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.errors import InvalidTransition, NotFound, PermissionDenied
from matchmaker.services.market.browsing import BrowseFilter, browse_query, visible
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify
from matchmaker.services.talent.brokers import acting_broker, follows, is_own_organisation

#: Open needs the admin picks from when assigning (newest first).
ASSIGNABLE_LIMIT = 300


def _public_need(need_id: int) -> Need:
    """A need the public sees now, else NotFound."""
    need = db.session.scalar(
        sa.select(Need)
        .join(Publication, Publication.need_id == Need.id)
        .where(Need.id == need_id, *visible("need", utcnow()))
    )
    if need is None:
        raise NotFound
    return need


def _live(broker: BrokerProfile, need_id: int) -> BrokerAssignment | None:
    return db.session.scalar(
        sa.select(BrokerAssignment).where(
            BrokerAssignment.broker_id == broker.id,
            BrokerAssignment.need_id == need_id,
            BrokerAssignment.ended_at.is_(None),
        )
    )


def _start(
    *, actor: User, broker: BrokerProfile, need: Need, source: AssignmentSource
) -> BrokerAssignment:
    if is_own_organisation(broker, need.organisation_id):
        raise PermissionDenied(_("技术经纪人不能跟进本机构发布的需求。"))
    if follows(broker, need):
        raise InvalidTransition(_("已经在跟进这条需求了。"))
    assignment = BrokerAssignment(
        broker=broker,
        need_id=need.id,
        source=source,
        assigned_by_id=actor.id if source == AssignmentSource.ASSIGNED else None,
    )
    db.session.add(assignment)
    db.session.flush()
    record_audit(
        actor=actor,
        action=f"broker.{source.value.removesuffix('ed')}",  # broker.assign / broker.claim
        object_type="broker",
        object_id=broker.id,
        after={"need_id": need.id, "title": need.title},
    )
    return assignment


def _end(*, actor: User, assignment: BrokerAssignment, action: str) -> None:
    assignment.ended_at = utcnow()
    record_audit(
        actor=actor,
        action=f"broker.{action}",
        object_type="broker",
        object_id=assignment.broker_id,
        before={"need_id": assignment.need_id},
    )


# --- the broker -----------------------------------------------------------------------------
def claim_need(*, actor: User, need_id: int) -> BrokerAssignment:
    """A verified broker starts following a public need (not its own organisation's)."""
    broker = acting_broker(actor)
    need = _public_need(need_id)
    return _start(actor=actor, broker=broker, need=need, source=AssignmentSource.CLAIMED)


def release_need(*, actor: User, need_id: int) -> None:
    """A broker stops following a need (assigned or claimed)."""
    broker = acting_broker(actor)
    assignment = _live(broker, need_id)
    if assignment is None:
        raise NotFound
    _end(actor=actor, assignment=assignment, action="release")


def claimable_needs_query(broker: BrokerProfile, *, q: str = "", field_code: str = "") -> sa.Select:
    """Public needs the broker does not follow yet, outside its own organisation."""
    followed = sa.select(BrokerAssignment.need_id).where(
        BrokerAssignment.broker_id == broker.id, BrokerAssignment.ended_at.is_(None)
    )
    stmt = browse_query(BrowseFilter(kind="need", q=q, field=field_code).cleaned()).where(
        Publication.need_id.not_in(followed)
    )
    if broker.organisation_id is not None:
        stmt = stmt.where(Publication.organisation_id != broker.organisation_id)
    return stmt


# --- the admin ------------------------------------------------------------------------------
def _check_admin(actor: User) -> None:
    if not has_permission(actor, Permission.BROKER_VERIFY):
        raise PermissionDenied(_("只有平台管理员可以给技术经纪人分配需求。"))


def assign_need(*, actor: User, broker: BrokerProfile, need_id: int) -> BrokerAssignment:
    """The admin gives a verified broker a public need to follow; the broker is told."""
    _check_admin(actor)
    if not broker.is_verified:
        raise InvalidTransition(_("只能给已核验的技术经纪人分配需求。"))
    need = _public_need(need_id)
    assignment = _start(actor=actor, broker=broker, need=need, source=AssignmentSource.ASSIGNED)
    notify(users=[broker.user], kind="broker.assigned", params={"title": need.title})
    return assignment


def end_assignment(*, actor: User, assignment: BrokerAssignment) -> None:
    """The admin ends a broker's following of a need."""
    _check_admin(actor)
    if assignment.ended_at is not None:
        raise InvalidTransition(_("这项分配已经结束。"))
    _end(actor=actor, assignment=assignment, action="unassign")
    notify(
        users=[assignment.broker.user],
        kind="broker.unassigned",
        params={"title": assignment.need.title},
    )


def assignable_needs(broker: BrokerProfile) -> list[tuple[int, str]]:
    """(need id, title · organisation) of public needs the broker could be given."""
    stmt = claimable_needs_query(broker).limit(ASSIGNABLE_LIMIT)
    return [
        (pub.need_id, f"{pub.title} · {pub.organisation.name}")
        for pub in db.session.scalars(stmt)
        if pub.need_id is not None
    ]


def live_assignments(broker: BrokerProfile) -> list[BrokerAssignment]:
    """The needs the broker follows now, newest first."""
    return list(
        db.session.scalars(
            sa.select(BrokerAssignment)
            .where(BrokerAssignment.broker_id == broker.id, BrokerAssignment.ended_at.is_(None))
            .options(selectinload(BrokerAssignment.need).selectinload(Need.organisation))
            .order_by(BrokerAssignment.created_at.desc(), BrokerAssignment.id.desc())
        )
    )


def find_assignment(assignment_id: int, *, broker: BrokerProfile) -> BrokerAssignment:
    """One of the broker's assignments, else NotFound."""
    assignment = db.session.get(BrokerAssignment, assignment_id)
    if assignment is None or assignment.broker_id != broker.id:
        raise NotFound
    return assignment


# --- what a broker sees of a followed need's enquiries ----------------------------------------
@dataclass
class NeedActivity:
    """A need's enquiries in numbers: per state, and when the last one moved. No messages."""

    by_status: dict[str, int] = field(default_factory=dict)
    last_activity: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def need_activity(need_ids: list[int]) -> dict[int, NeedActivity]:
    """For each need: its enquiries (to it, or introductions made for it) by state."""
    activity: dict[int, NeedActivity] = {need_id: NeedActivity() for need_id in need_ids}
    if not need_ids:
        return activity
    rows = db.session.execute(
        sa.select(
            Enquiry.need_id,
            Enquiry.for_need_id,
            Enquiry.status,
            Enquiry.created_at,
            Enquiry.answered_at,
            Enquiry.closed_at,
        ).where(sa.or_(Enquiry.need_id.in_(need_ids), Enquiry.for_need_id.in_(need_ids)))
    ).all()
    for need_id, for_need_id, status, *times in rows:
        for key in {need_id, for_need_id} & set(need_ids):
            entry = activity[key]
            code = str(status)
            entry.by_status[code] = entry.by_status.get(code, 0) + 1
            moments: list[Any] = [t for t in times if t is not None]
            if entry.last_activity is not None:
                moments.append(entry.last_activity)
            entry.last_activity = max(moments, key=_aware) if moments else None
    return activity


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive UTC datetimes; compare them as UTC
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: The enquiry states in the order the dashboard lists them.
STATUS_ORDER = [s.value for s in EnquiryStatus]
