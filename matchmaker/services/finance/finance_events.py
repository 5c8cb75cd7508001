"""银企对接 events: creation and publication, registration, meetings, outcomes and the summary.

An event is `draft → open → scheduled → finished` (or `cancelled`); its one-on-one meetings are
`proposed → confirmed → held` (or `cancelled`); both machines are in finance_states.py, and
every transition goes through their `step()`, which audits it. The meeting proposal itself
lives in services/finance/event_scheduling.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventRegistration,
    EventStatus,
    FirmProfile,
    Organisation,
    OrgKind,
    OrgStatus,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import (
    Permission,
    can_manage_event,
    has_permission,
    publish_refusal,
)
from matchmaker.services.challenges.challenge_states import members
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance.finance_states import EVENT, MEETING
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.dates import format_datetime
from matchmaker.services.platform.notifications import notify

E = EventStatus
#: Statuses shown on the public pages (drafts and cancelled events only to their organisers).
PUBLIC_STATUSES = (E.OPEN, E.SCHEDULED, E.FINISHED)
MAX_HOURS = 24


def link(event: Event) -> str:
    """The public path of an event (services never call url_for)."""
    return f"/finance/events/{event.id}"


def local_time(value: datetime) -> str:
    """A timestamp in China, to the minute (for messages)."""
    return format_datetime(value)


# --- events ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventData:
    """What the organiser enters; times are timezone-aware (the form reads them in China time)."""

    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime
    slot_minutes: int = 20


def _validate(data: EventData, now: datetime, current: Event | None = None) -> EventData:
    """Clean the input; a time left as it was may lie in the past (fixing a typo in the location
    after registration closed is fine), a changed one may not."""
    errors: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _("请填写对接会名称。")
    elif len(title) > 200:
        errors["title"] = _("名称不能超过 200 个字符。")
    location = (data.location or "").strip()
    if len(location) > 200:
        errors["location"] = _("地点不能超过 200 个字符。")
    if len(data.description or "") > 5000:
        errors["description"] = _("介绍不能超过 5000 个字符。")
    slot = data.slot_minutes
    if not isinstance(slot, int) or not 5 <= slot <= 120:
        errors["slot_minutes"] = _("每场洽谈时长应在 5 到 120 分钟之间。")
    times = (data.starts_at, data.ends_at, data.registration_closes_at)
    if any(t is None or t.tzinfo is None for t in times):
        errors["starts_at"] = _("请填写完整的时间。")
    else:
        if data.starts_at <= now and not (current and data.starts_at == current.starts_at):
            errors["starts_at"] = _("开始时间必须晚于现在。")
        if data.ends_at <= data.starts_at:
            errors["ends_at"] = _("结束时间必须晚于开始时间。")
        elif data.ends_at - data.starts_at > timedelta(hours=MAX_HOURS):
            errors["ends_at"] = _("一场对接会不能超过 24 小时。")
        elif "slot_minutes" not in errors and data.ends_at - data.starts_at < timedelta(
            minutes=slot
        ):
            errors["slot_minutes"] = _("对接会时长至少要容纳一场洽谈。")
        if data.registration_closes_at > data.starts_at:
            errors["registration_closes_at"] = _("报名截止时间不能晚于开始时间。")
        elif data.registration_closes_at <= now and not (
            current and data.registration_closes_at == current.registration_closes_at
        ):
            errors["registration_closes_at"] = _("报名截止时间必须晚于现在。")
    if errors:
        raise ValidationFailed(errors)
    return EventData(
        title=title,
        description=(data.description or "").strip(),
        location=location,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        registration_closes_at=data.registration_closes_at,
        slot_minutes=slot,
    )


def _snapshot(event: Event) -> dict[str, Any]:
    return {
        "title": event.title,
        "location": event.location,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "registration_closes_at": event.registration_closes_at.isoformat(),
        "slot_minutes": event.slot_minutes,
    }


def _apply(event: Event, data: EventData) -> None:
    event.title = data.title
    event.description = data.description
    event.location = data.location
    event.starts_at = data.starts_at
    event.ends_at = data.ends_at
    event.registration_closes_at = data.registration_closes_at
    event.slot_minutes = data.slot_minutes


def create_event(*, actor: User, data: EventData, now: datetime | None = None) -> Event:
    """A draft event organised by the actor's bank or government body."""
    if not has_permission(actor, Permission.FINANCE_EVENT_MANAGE):
        raise PermissionDenied
    if actor.organisation is None:
        raise PermissionDenied(_("你的账号没有所属机构，不能以机构名义组织对接会。"))
    if not actor.organisation.is_verified:
        raise PermissionDenied(_("机构通过平台认证后才能组织对接会。"))
    clean = _validate(data, now or utcnow())
    event = Event(organiser_org_id=actor.organisation_id, created_by_id=actor.id)
    _apply(event, clean)
    db.session.add(event)
    db.session.flush()
    record_audit(
        actor=actor,
        action="finance_event.create",
        object_type="finance_event",
        object_id=event.id,
        after=_snapshot(event),
    )
    return event


def update_event(
    *, actor: User, event: Event, data: EventData, now: datetime | None = None
) -> None:
    """Change an event's details while it is a draft or open for registration."""
    _require_manager(actor, event)
    EVENT.check(event, "edit")
    clean = _validate(data, now or utcnow(), current=event)
    before = _snapshot(event)
    _apply(event, clean)
    record_audit(
        actor=actor,
        action="finance_event.update",
        object_type="finance_event",
        object_id=event.id,
        before=before,
        after=_snapshot(event),
    )


def _require_manager(actor: User, event: Event) -> None:
    if not can_manage_event(actor, event):
        raise NotFound


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
    _require_manager(actor, event)
    now = now or utcnow()
    if event.status == E.DRAFT and event.registration_closes_at <= now:
        raise InvalidTransition(_("报名截止时间已过，请先修改时间再发布。"))
    EVENT.step(event, "publish", actor=actor)
    notify(
        users=announcement_recipients(),
        kind="event.published",
        params={"title": event.title, "when": local_time(event.starts_at)},
        link=link(event),
    )


def registrant_members(event: Event) -> list[User]:
    """The people of every registered organisation."""
    return members(*(r.organisation for r in event.registrations))


def cancel_event(*, actor: User, event: Event, reason: str = "") -> None:
    """Call the event off; its open meetings are cancelled and the registrants told."""
    _require_manager(actor, event)
    EVENT.step(event, "cancel", actor=actor)
    if reason.strip():
        record_audit(
            actor=actor,
            action="finance_event.cancel_reason",
            object_type="finance_event",
            object_id=event.id,
            reason=reason.strip()[:2000],
        )
    for meeting in event.meetings:
        if MEETING.can(meeting, "cancel"):  # audited as part of the event's cancellation
            MEETING.step(meeting, "cancel", actor=actor, audit=False)
    notify(
        users=registrant_members(event),
        kind="event.cancelled",
        params={"title": event.title},
        link=link(event),
    )


def finish_event(*, actor: User, event: Event, now: datetime | None = None) -> None:
    """Close the event once it has begun (scheduled → finished); outcomes may still follow."""
    _require_manager(actor, event)
    if event.status == E.SCHEDULED and (now or utcnow()) < event.starts_at:
        raise InvalidTransition(_("对接会开始后才能结束。"))
    EVENT.step(event, "finish", actor=actor)


def get_managed_event(*, actor: User, event_id: int) -> Event:
    """An event the actor organises (or any, for a government admin), else NotFound."""
    event = db.session.get(Event, event_id)
    if event is None or not can_manage_event(actor, event):
        raise NotFound
    return event


def get_event(*, actor: Any, event_id: int) -> Event:
    """A published event, or an unpublished one for its organisers; else NotFound."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound
    if event.status not in PUBLIC_STATUSES and not can_manage_event(actor, event):
        raise NotFound
    return event


def public_events(*, past: bool = False) -> list[Event]:
    """Events for the public list: upcoming (open, scheduled; soonest first) or finished."""
    stmt = sa.select(Event)
    if past:
        stmt = stmt.where(Event.status == E.FINISHED).order_by(
            Event.starts_at.desc(), Event.id.desc()
        )
    else:
        stmt = stmt.where(Event.status.in_([E.OPEN, E.SCHEDULED])).order_by(
            Event.starts_at, Event.id
        )
    return list(db.session.scalars(stmt.limit(200)))


def managed_events(*, actor: User) -> list[Event]:
    """Every event the actor may manage, newest first."""
    stmt = sa.select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
    if not has_permission(actor, Permission.FINANCE_STATS):
        stmt = stmt.where(Event.organiser_org_id == actor.organisation_id)
    return [e for e in db.session.scalars(stmt.limit(500)) if can_manage_event(actor, e)]


# --- registration ------------------------------------------------------------------------------
def registration_of(event: Event, organisation_id: int | None) -> EventRegistration | None:
    """The organisation's registration for the event, if any."""
    if organisation_id is None:
        return None
    return next((r for r in event.registrations if r.organisation_id == organisation_id), None)


def registration_open(event: Event, now: datetime | None = None) -> bool:
    """Whether the event takes registrations now."""
    return EVENT.can(event, "register") and (now or utcnow()) < event.registration_closes_at


def register(
    *, actor: User, event: Event, note: str = "", now: datetime | None = None
) -> EventRegistration:
    """Register the actor's verified enterprise or bank until registration closes."""
    if not has_permission(actor, Permission.FINANCE_EVENT_JOIN):
        raise PermissionDenied
    if event.status not in PUBLIC_STATUSES:
        raise NotFound
    if why := publish_refusal(actor, _("机构通过平台认证后才能报名。")):
        raise PermissionDenied(why)
    EVENT.check(event, "register", _("该对接会已结束，不再接受报名。"))
    if (now or utcnow()) >= event.registration_closes_at:
        raise InvalidTransition(
            _("报名已于 %(when)s 截止。", when=local_time(event.registration_closes_at))
        )
    if registration_of(event, actor.organisation_id) is not None:
        raise InvalidTransition(_("你的机构已经报名了这场对接会。"))
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationFailed({"note": _("备注不能超过 500 个字符。")})
    registration = EventRegistration(
        event=event,
        organisation_id=actor.organisation_id,
        registered_by_id=actor.id,
        note=note,
    )
    db.session.add(registration)
    db.session.flush()
    record_audit(
        actor=actor,
        action="finance_event.register",
        object_type="finance_event",
        object_id=event.id,
        after={"organisation_id": actor.organisation_id},
    )
    return registration


def withdraw_registration(*, actor: User, event: Event) -> None:
    """Take the actor's organisation off the event, before meetings are scheduled."""
    if not has_permission(actor, Permission.FINANCE_EVENT_JOIN):
        raise PermissionDenied
    registration = registration_of(event, actor.organisation_id)
    if registration is None or event.status not in PUBLIC_STATUSES:
        raise NotFound
    EVENT.check(event, "unregister", _("洽谈安排已经生成，不能再取消报名，请联系主办方。"))
    event.registrations.remove(registration)
    record_audit(
        actor=actor,
        action="finance_event.withdraw",
        object_type="finance_event",
        object_id=event.id,
        before={"organisation_id": actor.organisation_id},
    )
    db.session.flush()


def registrants(event: Event) -> dict[str, list[EventRegistration]]:
    """The event's registrations split into banks and firms (for the organiser)."""
    banks = [r for r in event.registrations if r.organisation.kind == OrgKind.BANK]
    firms = [r for r in event.registrations if r.organisation.kind == OrgKind.ENTERPRISE]
    return {"banks": banks, "firms": firms}


def registered_event_ids(*, organisation_id: int) -> set[int]:
    """The events an organisation has registered for (to mark them in the list)."""
    stmt = sa.select(EventRegistration.event_id).where(
        EventRegistration.organisation_id == organisation_id
    )
    return set(db.session.scalars(stmt))
