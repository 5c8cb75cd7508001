"""银企对接 events: the bank-specific layer over the general event life cycle.

Creation, publication, registration, withdrawal, cancellation and finishing are the general
functions of services/events/events.py (one life cycle for every kind of event); this module
narrows them to 银企对接 events (kind ``bank_enterprise``), announces them to banks and firms, and
cancels the one-on-one meetings with the event. An event is `draft → open → scheduled →
finished` (or `cancelled`); its meetings are `proposed → confirmed → held` (or `cancelled`);
both machines are in finance_states.py. The meeting proposal lives in event_scheduling.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventKind,
    EventRegistration,
    EventStatus,
    FirmProfile,
    Organisation,
    OrgKind,
    OrgStatus,
    User,
)
from matchmaker.services.errors import NotFound
from matchmaker.services.events import events as general
from matchmaker.services.events.events import (
    PUBLIC_STATUSES,
    EventData,
    local_time,
    registered_event_ids,
    registrant_members,
    registration_of,
    registration_open,
)
from matchmaker.services.finance.finance_states import MEETING

__all__ = [
    "PUBLIC_STATUSES",
    "EventData",
    "announcement_recipients",
    "cancel_event",
    "create_event",
    "finish_event",
    "get_event",
    "get_managed_event",
    "link",
    "local_time",
    "managed_events",
    "public_events",
    "publish_event",
    "register",
    "registered_event_ids",
    "registrant_members",
    "registrants",
    "registration_of",
    "registration_open",
    "update_event",
    "withdraw_registration",
]

E = EventStatus
BANK = EventKind.BANK_ENTERPRISE


def link(event: Event) -> str:
    """The public path of an event (services never call url_for)."""
    return general.link(event)


def _bank_event(event: Event | None) -> Event:
    if event is None or event.kind != BANK:
        raise NotFound
    return event


# --- events ------------------------------------------------------------------------------------
def create_event(*, actor: User, data: EventData, now: datetime | None = None) -> Event:
    """A draft 银企对接 event organised by the actor's bank or government body."""
    return general.create_event(actor=actor, data=replace(data, kind=BANK), now=now)


def update_event(
    *, actor: User, event: Event, data: EventData, now: datetime | None = None
) -> None:
    """Change an event's details while it is a draft or open for registration."""
    general.update_event(actor=actor, event=_bank_event(event), data=data, now=now)


def announcement_recipients() -> list[User]:
    """Active members of verified banks and of verified enterprises that keep a profile."""
    with_profile = sa.select(FirmProfile.organisation_id)
    stmt = (
        sa.select(User)
        .join(Organisation, User.organisation_id == Organisation.id)
        .where(
            User.is_active,
            Organisation.status == OrgStatus.VERIFIED,
            sa.or_(
                Organisation.kind == OrgKind.BANK,
                sa.and_(Organisation.kind == OrgKind.ENTERPRISE, Organisation.id.in_(with_profile)),
            ),
        )
        .order_by(User.id)
    )
    return list(db.session.scalars(stmt))


def publish_event(*, actor: User, event: Event, now: datetime | None = None) -> None:
    """Open registration (draft → open) and announce the event to banks and firms."""
    general.publish_event(
        actor=actor,
        event=_bank_event(event),
        now=now,
        announce_to=announcement_recipients(),
    )


def cancel_event(*, actor: User, event: Event, reason: str = "") -> None:
    """Call the event off; its open meetings are cancelled and the registrants told."""
    general.cancel_event(actor=actor, event=_bank_event(event), reason=reason)
    for meeting in event.meetings:
        if MEETING.can(meeting, "cancel"):  # audited as part of the event's cancellation
            MEETING.step(meeting, "cancel", actor=actor, audit=False)


def finish_event(*, actor: User, event: Event, now: datetime | None = None) -> None:
    """Close the event once it has begun (scheduled → finished); outcomes may still follow."""
    general.finish_event(actor=actor, event=_bank_event(event), now=now)


def get_managed_event(*, actor: User, event_id: int) -> Event:
    """A 银企对接 event the actor organises (or any, for a government admin), else NotFound."""
    return _bank_event(general.get_managed_event(actor=actor, event_id=event_id))


def get_event(*, actor: Any, event_id: int) -> Event:
    """A published 银企对接 event, or an unpublished one for its organisers; else NotFound."""
    return _bank_event(general.get_event(actor=actor, event_id=event_id))


def public_events(*, past: bool = False) -> list[Event]:
    """银企对接 events for the public list: upcoming (open, scheduled) or finished."""
    return general.public_events(past=past, kind=BANK)


def managed_events(*, actor: User) -> list[Event]:
    """Every 银企对接 event the actor may manage, newest first."""
    return general.managed_events(actor=actor, kind=BANK)


# --- registration ------------------------------------------------------------------------------
def register(
    *, actor: User, event: Event, note: str = "", now: datetime | None = None
) -> EventRegistration:
    """Register the actor's verified enterprise or bank until registration closes."""
    return general.register(actor=actor, event=_bank_event(event), note=note, now=now)


def withdraw_registration(*, actor: User, event: Event) -> None:
    """Take the actor's organisation off the event, before meetings are scheduled."""
    general.withdraw_registration(actor=actor, event=_bank_event(event))


def registrants(event: Event) -> dict[str, list[EventRegistration]]:
    """The event's registrations split into banks and firms (for the organiser)."""
    banks = [r for r in event.registrations if r.organisation.kind == OrgKind.BANK]
    firms = [r for r in event.registrations if r.organisation.kind == OrgKind.ENTERPRISE]
    return {"banks": banks, "firms": firms}
