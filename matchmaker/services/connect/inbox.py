"""Reading enquiries: one for its two organisations only, the inbox, the navbar count, and the
contacts disclosed after acceptance (the last step of staged disclosure)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import Enquiry, EnquiryStatus, User
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.connect.enquiry_states import (
    is_member,
    never_sent_clause,
    require_party,
)
from matchmaker.services.errors import NotFound, PermissionDenied


def get_enquiry(*, actor: Any, enquiry_id: int) -> Enquiry:
    """An enquiry of one of the actor's two organisations; everyone else (admins too) NotFound."""
    enquiry = db.session.get(Enquiry, enquiry_id) if 0 < enquiry_id < 2**31 else None
    if enquiry is None:
        raise NotFound
    require_party(actor, enquiry)
    return enquiry


def _person(user: User | None, org_name: str) -> dict[str, str] | None:
    if user is None:
        return None
    return {
        "name": user.name,
        "email": user.email,
        "phone": user.phone or "",
        "organisation": org_name,
    }


def contacts(enquiry: Enquiry) -> dict[str, dict[str, str] | None] | None:
    """Both people's contacts once the owner accepted ({"sender": ..., "owner": ...}), else None.

    The last step of staged disclosure: before acceptance neither side sees the other's.
    """
    if enquiry.status not in (EnquiryStatus.ACCEPTED, EnquiryStatus.CLOSED):
        return None
    return {
        "sender": _person(enquiry.sender_user, enquiry.sender_org.name),
        "owner": _person(enquiry.answered_by, enquiry.owner_org.name),
    }


BOXES = ("received", "sent")


def inbox(*, actor: User, box: str = "received", status: str | None = None) -> list[Enquiry]:
    """The enquiries the actor's organisation received (or sent), newest first.

    "sent" includes brokers' introductions made for the organisation (waiting for its consent,
    or sent with it); "received" never shows an introduction the other side has not consented to.
    """
    org_id = actor.organisation_id
    if org_id is None or not is_member(actor, org_id):
        return []
    if box == "sent":
        where = Enquiry.sender_org_id == org_id
    else:
        where = sa.and_(Enquiry.owner_org_id == org_id, sa.not_(never_sent_clause()))
    stmt = (
        sa.select(Enquiry)
        .where(where)
        .options(
            selectinload(Enquiry.result),
            selectinload(Enquiry.need),
            selectinload(Enquiry.expert),
            selectinload(Enquiry.broker),
            selectinload(Enquiry.sender_org),
            selectinload(Enquiry.owner_org),
        )
    )
    if status in set(EnquiryStatus):
        stmt = stmt.where(Enquiry.status == status)
    return list(db.session.scalars(stmt.order_by(Enquiry.created_at.desc(), Enquiry.id.desc())))


def waiting_count(actor: Any) -> int:
    """Enquiries waiting for the actor's organisation: received ones to answer, questions to
    answer on sent ones, brokers' introductions to consent to (the navbar badge)."""
    org_id = getattr(actor, "organisation_id", None)
    if org_id is None or not is_member(actor, org_id):
        return 0
    waiting = sa.or_(
        sa.and_(Enquiry.owner_org_id == org_id, Enquiry.status == EnquiryStatus.OPEN),
        sa.and_(
            Enquiry.sender_org_id == org_id,
            Enquiry.status.in_((EnquiryStatus.INFO_REQUESTED, EnquiryStatus.PROPOSED)),
        ),
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(Enquiry).where(waiting)) or 0


def admin_overview(*, actor: Any, status: str | None = None, limit: int = 200) -> list[Enquiry]:
    """Every enquiry's metadata for the admins (who, which listing, state, dates), newest first.

    The page built on it shows no message text: admins read a body only once a party reports
    that message (conversations.reported_messages).
    """
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    stmt = (
        sa.select(Enquiry)
        .options(selectinload(Enquiry.sender_org), selectinload(Enquiry.owner_org))
        .order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
        .limit(limit)
    )
    if status in EnquiryStatus.__members__.values():
        stmt = stmt.where(Enquiry.status == status)
    return list(db.session.scalars(stmt))
