"""Events of every kind: creation and publication, registration with capacity and deadline,
withdrawal, cancellation and finishing; who may see, manage and join an event.

The life cycle is one machine per kind (event_states.py): a 银企对接 event goes through its
meeting schedule (services/finance/event_scheduling.py), every other kind is finished straight
from open. Attendance, featured listings and outcomes are in activity.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventKind,
    EventOutcome,
    EventRegistration,
    EventStatus,
    Organisation,
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
from matchmaker.services.events.event_states import machine_for
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.dates import format_datetime
from matchmaker.services.platform.notifications import notify

E = EventStatus
K = EventKind
#: Statuses shown on the public pages (drafts and cancelled events only to their organisers).
PUBLIC_STATUSES = (E.OPEN, E.SCHEDULED, E.FINISHED)
MAX_HOURS = 24
MAX_CAPACITY = 10_000


def link(event: Event) -> str:
    """The public path of an event (services never call url_for)."""
    return f"/events/{event.id}"


def local_time(value: datetime) -> str:
    """A timestamp in China, to the minute (for messages)."""
    return format_datetime(value)


# --- who may do what ---------------------------------------------------------------------------
def can_manage(user: Any, event: Event) -> bool:
    """Government admins manage every event; a bank also its own 银企对接 events."""
    if has_permission(user, Permission.EVENT_MANAGE):
        return True
    return event.kind == K.BANK_ENTERPRISE and can_manage_event(user, event)


def join_permission(event: Event) -> Permission:
    """The permission that lets a member register for the event (banks and firms for 银企对接,
    every member organisation for the other kinds)."""
    if event.kind == K.BANK_ENTERPRISE:
        return Permission.FINANCE_EVENT_JOIN
    return Permission.EVENT_JOIN


def can_join(user: Any, event: Event) -> bool:
    """Whether the user's role may register an organisation for the event."""
    return has_permission(user, join_permission(event))


def can_create(user: Any) -> bool:
    """Whether the user may create events (of any kind, or 银企对接 ones)."""
    return has_permission(user, Permission.EVENT_MANAGE) or has_permission(
        user, Permission.FINANCE_EVENT_MANAGE
    )


def creatable_kinds(user: Any) -> list[EventKind]:
    """The kinds the user may create."""
    if has_permission(user, Permission.EVENT_MANAGE):
        return list(EventKind)
    if has_permission(user, Permission.FINANCE_EVENT_MANAGE):
        return [K.BANK_ENTERPRISE]
    return []


# --- events ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventData:
    """What the organiser enters; times are timezone-aware (the form reads them in China time).
    `organiser_org_id` None: the actor's own organisation."""

    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime
    slot_minutes: int = 20
    kind: EventKind = EventKind.BANK_ENTERPRISE
    online_url: str = ""
    capacity: int | None = None
    organiser_org_id: int | None = None


def _valid_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and " " not in value


def _validate(data: EventData, now: datetime, current: Event | None = None) -> EventData:
    """Clean the input; a time left as it was may lie in the past (fixing a typo in the location
    after registration closed is fine), a changed one may not."""
    errors: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _("请填写活动名称。")
    elif len(title) > 200:
        errors["title"] = _("名称不能超过 200 个字符。")
    try:
        kind = EventKind(data.kind)
    except ValueError:
        errors["kind"] = _("请选择活动类型。")
        kind = EventKind.MATCHMAKING
    location = (data.location or "").strip()
    if len(location) > 200:
        errors["location"] = _("地点不能超过 200 个字符。")
    online_url = (data.online_url or "").strip()
    if len(online_url) > 500:
        errors["online_url"] = _("链接不能超过 500 个字符。")
    elif online_url and not _valid_url(online_url):
        errors["online_url"] = _("请填写以 http:// 或 https:// 开头的完整链接。")
    if not location and not online_url and "location" not in errors:
        errors["location"] = _("请填写地点或线上参会链接。")
    capacity = data.capacity
    if capacity is not None and (
        not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY
    ):
        errors["capacity"] = _("名额应在 1 到 10000 之间，留空表示不限。")
    elif current is not None and capacity is not None and capacity < len(current.registrations):
        errors["capacity"] = _(
            "已有 %(n)d 家机构报名，名额不能少于报名数。", n=len(current.registrations)
        )
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
            errors["ends_at"] = _("一场活动不能超过 24 小时。")
        elif (
            kind == K.BANK_ENTERPRISE
            and "slot_minutes" not in errors
            and data.ends_at - data.starts_at < timedelta(minutes=slot)
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
    return replace(
        data,
        title=title,
        kind=kind,
        description=(data.description or "").strip(),
        location=location,
        online_url=online_url,
        slot_minutes=slot,
    )


def _snapshot(event: Event) -> dict[str, Any]:
    return {
        "kind": str(event.kind),
        "title": event.title,
        "location": event.location,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "organiser_org_id": event.organiser_org_id,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "registration_closes_at": event.registration_closes_at.isoformat(),
        "slot_minutes": event.slot_minutes,
    }


def _apply(event: Event, data: EventData) -> None:
    event.title = data.title
    event.description = data.description
    event.location = data.location
    event.online_url = data.online_url
    event.capacity = data.capacity
    event.starts_at = data.starts_at
    event.ends_at = data.ends_at
    event.registration_closes_at = data.registration_closes_at
    event.slot_minutes = data.slot_minutes


def organiser_choices() -> list[Organisation]:
    """Verified organisations an admin may name as an event's organiser."""
    stmt = (
        sa.select(Organisation)
        .where(Organisation.status == OrgStatus.VERIFIED)
        .order_by(Organisation.kind, Organisation.name)
        .limit(1000)
    )
    return list(db.session.scalars(stmt))


def _organiser(actor: User, data: EventData) -> int:
    """The organising organisation: the one named (a government admin may name any verified
    organisation), else the actor's own."""
    if data.organiser_org_id is not None and data.organiser_org_id != actor.organisation_id:
        org = db.session.get(Organisation, data.organiser_org_id)
        if not has_permission(actor, Permission.EVENT_MANAGE):
            raise PermissionDenied(_("只能以本机构名义组织活动。"))
        if org is None or not org.is_verified:
            raise ValidationFailed({"organiser_org_id": _("请选择已认证的主办机构。")})
        return org.id
    if actor.organisation is None:
        raise PermissionDenied(_("你的账号没有所属机构，请选择主办机构。"))
    if not actor.organisation.is_verified:
        raise PermissionDenied(_("机构通过平台认证后才能组织活动。"))
    return actor.organisation.id


def create_event(*, actor: User, data: EventData, now: datetime | None = None) -> Event:
    """A draft event of the given kind (a bank creates 银企对接 events of its own only)."""
    if data.kind not in creatable_kinds(actor):
        raise PermissionDenied
    if not has_permission(actor, Permission.EVENT_MANAGE) and actor.organisation is None:
        raise PermissionDenied(_("你的账号没有所属机构，不能以机构名义组织对接会。"))
    if (
        not has_permission(actor, Permission.EVENT_MANAGE)
        and actor.organisation is not None
        and not actor.organisation.is_verified
    ):
        raise PermissionDenied(_("机构通过平台认证后才能组织对接会。"))
    clean = _validate(data, now or utcnow())
    organiser_id = _organiser(actor, clean)
    event = Event(organiser_org_id=organiser_id, created_by_id=actor.id, kind=clean.kind)
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
    """Change an event's details while it is a draft or open for registration (its kind stays;
    a government admin may name another organiser)."""
    _require_manager(actor, event)
    machine_for(event).check(event, "edit")
    clean = _validate(replace(data, kind=event.kind), now or utcnow(), current=event)
    if clean.organiser_org_id is not None and clean.organiser_org_id != event.organiser_org_id:
        event.organiser_org_id = _organiser(actor, clean)
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
    if not can_manage(actor, event):
        raise NotFound


def publish_event(
    *,
    actor: User,
    event: Event,
    now: datetime | None = None,
    announce_to: list[User] | None = None,
) -> None:
    """Open registration (draft → open); `announce_to`: who hears of it (the 银企对接
    caller passes banks and firms)."""
    _require_manager(actor, event)
    now = now or utcnow()
    if event.status == E.DRAFT and event.registration_closes_at <= now:
        raise InvalidTransition(_("报名截止时间已过，请先修改时间再发布。"))
    machine_for(event).step(event, "publish", actor=actor, object_type="finance_event")
    if announce_to:
        notify(
            users=announce_to,
            kind="event.published",
            params={"title": event.title, "when": local_time(event.starts_at)},
            link=link(event),
        )


def registrant_members(event: Event) -> list[User]:
    """The people of every registered organisation."""
    return members(*(r.organisation for r in event.registrations))


def cancel_event(*, actor: User, event: Event, reason: str = "") -> None:
    """Call the event off and tell the registrants (a 银企对接 caller cancels its meetings)."""
    _require_manager(actor, event)
    machine_for(event).step(event, "cancel", actor=actor, object_type="finance_event")
    if reason.strip():
        record_audit(
            actor=actor,
            action="finance_event.cancel_reason",
            object_type="finance_event",
            object_id=event.id,
            reason=reason.strip()[:2000],
        )
    notify(
        users=registrant_members(event),
        kind="event.cancelled",
        params={"title": event.title},
        link=link(event),
    )


def finish_event(*, actor: User, event: Event, now: datetime | None = None) -> None:
    """Close the event once it has begun (→ finished); outcomes may still follow."""
    _require_manager(actor, event)
    if event.status in (E.OPEN, E.SCHEDULED) and (now or utcnow()) < event.starts_at:
        raise InvalidTransition(_("活动开始后才能结束。"))
    machine_for(event).step(event, "finish", actor=actor, object_type="finance_event")


def get_managed_event(*, actor: User, event_id: int) -> Event:
    """An event the actor may manage, else NotFound."""
    event = db.session.get(Event, event_id)
    if event is None or not can_manage(actor, event):
        raise NotFound
    return event


def get_event(*, actor: Any, event_id: int) -> Event:
    """A published event, or an unpublished one for its organisers; else NotFound."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound
    if event.status not in PUBLIC_STATUSES and not can_manage(actor, event):
        raise NotFound
    return event


def public_events_query(*, past: bool = False, kind: EventKind | None = None) -> sa.Select[Any]:
    """The public list's statement: upcoming (open, scheduled; soonest first) or finished
    (latest first), of one kind or all."""
    stmt = sa.select(Event)
    if kind is not None:
        stmt = stmt.where(Event.kind == kind)
    if past:
        return stmt.where(Event.status == E.FINISHED).order_by(
            Event.starts_at.desc(), Event.id.desc()
        )
    return stmt.where(Event.status.in_([E.OPEN, E.SCHEDULED])).order_by(Event.starts_at, Event.id)


def public_events(*, past: bool = False, kind: EventKind | None = None) -> list[Event]:
    """Events for the public list (at most 200), with what their cards show loaded in a few
    queries (the organiser; for past events their outcomes, parties and deals)."""
    options = [selectinload(Event.organiser)]
    if past:
        options.append(
            selectinload(Event.outcomes).options(
                selectinload(EventOutcome.first_org),
                selectinload(EventOutcome.second_org),
                selectinload(EventOutcome.deal),
            )
        )
    stmt = public_events_query(past=past, kind=kind).options(*options).limit(200)
    return list(db.session.scalars(stmt))


def managed_events(*, actor: User, kind: EventKind | None = None) -> list[Event]:
    """Every event the actor may manage, newest first."""
    stmt = sa.select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
    if kind is not None:
        stmt = stmt.where(Event.kind == kind)
    if not has_permission(actor, Permission.EVENT_MANAGE) and not has_permission(
        actor, Permission.FINANCE_STATS
    ):
        stmt = stmt.where(Event.organiser_org_id == actor.organisation_id)
    return [e for e in db.session.scalars(stmt.limit(500)) if can_manage(actor, e)]


# --- registration ------------------------------------------------------------------------------
def registration_of(event: Event, organisation_id: int | None) -> EventRegistration | None:
    """The organisation's registration for the event, if any."""
    if organisation_id is None:
        return None
    return next((r for r in event.registrations if r.organisation_id == organisation_id), None)


def is_full(event: Event) -> bool:
    """Whether every place is taken."""
    return event.capacity is not None and len(event.registrations) >= event.capacity


def places_left(event: Event) -> int | None:
    """Places still free (None: no limit)."""
    if event.capacity is None:
        return None
    return max(event.capacity - len(event.registrations), 0)


def registration_open(event: Event, now: datetime | None = None) -> bool:
    """Whether the event takes registrations now."""
    return (
        machine_for(event).can(event, "register")
        and (now or utcnow()) < event.registration_closes_at
        and not is_full(event)
    )


def register(
    *, actor: User, event: Event, note: str = "", now: datetime | None = None
) -> EventRegistration:
    """Register the actor's verified organisation until registration closes or the places are
    taken."""
    if not can_join(actor, event):
        raise PermissionDenied
    if event.status not in PUBLIC_STATUSES:
        raise NotFound
    if why := publish_refusal(actor, _("机构通过平台认证后才能报名。")):
        raise PermissionDenied(why)
    machine_for(event).check(event, "register", _("该活动已结束，不再接受报名。"))
    if (now or utcnow()) >= event.registration_closes_at:
        raise InvalidTransition(
            _("报名已于 %(when)s 截止。", when=local_time(event.registration_closes_at))
        )
    if registration_of(event, actor.organisation_id) is not None:
        raise InvalidTransition(_("你的机构已经报名了这场活动。"))
    # Lock the event row so two last registrations cannot both take the last place.
    db.session.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update())
    if is_full(event):
        raise InvalidTransition(_("名额已满（共 %(n)d 个），不再接受报名。", n=event.capacity))
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
    """Take the actor's organisation off the event while registration is open (before a
    银企对接 event's meetings are scheduled); not once checked in."""
    if not can_join(actor, event):
        raise PermissionDenied
    registration = registration_of(event, actor.organisation_id)
    if registration is None or event.status not in PUBLIC_STATUSES:
        raise NotFound
    machine_for(event).check(
        event, "unregister", _("洽谈安排已经生成，不能再取消报名，请联系主办方。")
    )
    if registration.checked_in_at is not None:
        raise InvalidTransition(_("已签到的机构不能取消报名。"))
    event.registrations.remove(registration)
    record_audit(
        actor=actor,
        action="finance_event.withdraw",
        object_type="finance_event",
        object_id=event.id,
        before={"organisation_id": actor.organisation_id},
    )
    db.session.flush()


def registered_event_ids(*, organisation_id: int) -> set[int]:
    """The events an organisation has registered for (to mark them in the list)."""
    stmt = sa.select(EventRegistration.event_id).where(
        EventRegistration.organisation_id == organisation_id
    )
    return set(db.session.scalars(stmt))


def held_counts(*, year: int | None = None) -> dict[EventKind, int]:
    """Events held (finished) by kind, in a calendar year when given (what the targets count)."""
    stmt = sa.select(Event.kind, sa.func.count()).where(Event.status == E.FINISHED)
    if year is not None:
        stmt = stmt.where(sa.extract("year", Event.starts_at) == year)
    counts: dict[EventKind, int] = dict.fromkeys(EventKind, 0)
    for kind, n in db.session.execute(stmt.group_by(Event.kind)):
        counts[EventKind(kind)] = n
    return counts
