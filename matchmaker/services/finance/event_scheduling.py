"""银企对接 meetings: 生成洽谈安排 (pair banks and firms, fill slots), confirmation, outcomes.

`generate_schedule` reads the registrants, scores every published product of each bank against
every open financing need of each firm with services/finance/eligibility.check, and writes the
meetings that the pure planner (services/finance/meeting_plan.py: best pairs first, earliest
free slot, a cap per bank, ties by id) proposes. The organiser then confirms or cancels
meetings; the bank's side (or the organiser) records each outcome, and a LEAD outcome opens a
lead through services/finance/leads.request_contact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventMeeting,
    FinancingNeed,
    FinancingStatus,
    Lead,
    LoanProduct,
    MeetingOutcome,
    MeetingStatus,
    OrgKind,
    ProductStatus,
    User,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.permissions import Permission, can_manage_event, has_permission
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance import eligibility
from matchmaker.services.finance.finance_events import link, registrant_members, registrants
from matchmaker.services.finance.finance_states import EVENT, MEETING
from matchmaker.services.finance.leads import request_contact
from matchmaker.services.finance.meeting_plan import Candidate, propose, slot_starts
from matchmaker.services.finance.scope_rules import consented_profiles
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify


# --- the database wrapper ----------------------------------------------------------------------
def _registered(event: Event, kind: OrgKind) -> list[int]:
    return [r.organisation_id for r in event.registrations if r.organisation.kind == kind]


def candidates_for(event: Event, *, today: date | None = None) -> list[Candidate]:
    """Every published product of a registered bank against every open need of a registered
    firm, judged by the eligibility rules (pairs with no fit at all are left out)."""
    banks, firms = _registered(event, OrgKind.BANK), _registered(event, OrgKind.ENTERPRISE)
    if not banks or not firms:
        return []
    products = db.session.scalars(
        sa.select(LoanProduct)
        .where(LoanProduct.bank_org_id.in_(banks), LoanProduct.status == ProductStatus.PUBLISHED)
        .order_by(LoanProduct.id)
    ).all()
    needs = db.session.scalars(
        sa.select(FinancingNeed)
        .where(
            FinancingNeed.organisation_id.in_(firms),
            FinancingNeed.status == FinancingStatus.OPEN,
        )
        .order_by(FinancingNeed.id)
    ).all()
    # judged by what each firm consents to show banks: registering is not consenting, so the
    # proposed pairs and their fit never rest on a score or certificate a bank may not see
    profiles = consented_profiles(firms)
    out = []
    for product in products:
        for need in needs:
            verdict = eligibility.check(
                product, profiles.get(need.organisation_id), need, today=today
            )
            if verdict.fit <= 0:
                continue
            out.append(
                Candidate(
                    bank_id=product.bank_org_id,
                    firm_id=need.organisation_id,
                    product_id=product.id,
                    need_id=need.id,
                    eligible=verdict.eligible,
                    fit=verdict.fit,
                )
            )
    return out


def table_numbers(event: Event) -> dict[int, int]:
    """A table per registered bank, numbered in the order the banks registered."""
    return {bank: n for n, bank in enumerate(_registered(event, OrgKind.BANK), start=1)}


def generate_schedule(
    *, actor: User, event: Event, cap: int | None = None, now: datetime | None = None
) -> list[EventMeeting]:
    """Propose meetings for the registrants (open → scheduled); re-running replaces only the
    proposed meetings that have not begun, never confirmed, held or cancelled ones. Returns the
    new meetings."""
    if not can_manage_event(actor, event):
        raise NotFound
    if not EVENT.can(event, "schedule"):  # the first time; then again while scheduled
        EVENT.check(event, "arrange")
    now = now or utcnow()
    all_slots = slot_starts(event.starts_at, event.ends_at, event.slot_minutes)
    slots = slot_starts(event.starts_at, event.ends_at, event.slot_minutes, not_before=now)
    if cap is not None and not 1 <= cap <= len(all_slots):
        raise ValidationFailed(
            {"cap": _("每家银行的洽谈场次应在 1 到 %(n)d 之间。", n=len(all_slots))}
        )
    if not slots:
        raise InvalidTransition(_("对接会的洽谈时段都已过去，不能再生成洽谈安排。"))
    # proposals whose slot has begun may have taken place: they stay until an outcome is recorded
    stale = [m for m in event.meetings if m.status == MeetingStatus.PROPOSED and m.starts_at >= now]
    for meeting in stale:
        event.meetings.remove(meeting)
    db.session.flush()  # the old proposals must be gone before their slots are reused
    kept = list(event.meetings)
    busy = {("bank", m.bank_org_id, m.starts_at) for m in kept}
    busy |= {("firm", m.firm_org_id, m.starts_at) for m in kept}
    booked = Counter(m.bank_org_id for m in kept if m.status != MeetingStatus.CANCELLED)
    proposals = propose(
        candidates_for(event, today=now.astimezone(CHINA).date()),
        slots,
        cap=cap,
        busy=busy,
        booked=dict(booked),
        skip={(m.bank_org_id, m.firm_org_id) for m in kept},
    )
    tables = table_numbers(event)
    created = [
        EventMeeting(
            bank_org_id=p.bank_id,
            firm_org_id=p.firm_id,
            product_id=p.product_id,
            financing_need_id=p.need_id,
            starts_at=p.slot,
            table_no=tables.get(p.bank_id, 1),
            fit=p.fit,
            status=MeetingStatus.PROPOSED,
        )
        for p in proposals
    ]
    event.meetings.extend(created)
    if EVENT.can(event, "schedule"):
        EVENT.step(event, "schedule", actor=actor)
    record_audit(
        actor=actor,
        action="finance_event.generate",
        object_type="finance_event",
        object_id=event.id,
        after={"proposed": len(created), "kept": len(kept), "cap": cap},
    )
    db.session.flush()
    notify(
        users=registrant_members(event),
        kind="event.scheduled",
        params={"title": event.title},
        link=link(event),
    )
    return created


def open_need_counts(event: Event) -> dict[int, int]:
    """Open financing needs per registered firm (a firm with none gets no meeting)."""
    firms = _registered(event, OrgKind.ENTERPRISE)
    if not firms:
        return {}
    stmt = (
        sa.select(FinancingNeed.organisation_id, sa.func.count(FinancingNeed.id))
        .where(
            FinancingNeed.organisation_id.in_(firms),
            FinancingNeed.status == FinancingStatus.OPEN,
        )
        .group_by(FinancingNeed.organisation_id)
    )
    return {org_id: int(n) for org_id, n in db.session.execute(stmt)}


def meeting_reasons(meeting: EventMeeting) -> eligibility.Eligibility | None:
    """Why the pair was matched: the product's rules checked against what the firm consents
    to show banks now, and its need (the same judge as candidates_for)."""
    if meeting.product is None or meeting.financing_need is None:
        return None
    profile = consented_profiles([meeting.firm_org_id])[meeting.firm_org_id]
    return eligibility.check(meeting.product, profile, meeting.financing_need)


# --- meetings ----------------------------------------------------------------------------------
def is_party(user: Any, meeting: EventMeeting) -> bool:
    """Whether the user belongs to the bank or the firm of the meeting."""
    org_id = getattr(user, "organisation_id", None)
    return (
        getattr(user, "is_authenticated", False)
        and org_id is not None
        and org_id in (meeting.bank_org_id, meeting.firm_org_id)
    )


def can_record_outcome(user: Any, meeting: EventMeeting) -> bool:
    """The bank's side of the meeting, and the event's organisers."""
    bank_side = (
        has_permission(user, Permission.FINANCE_EVENT_JOIN)
        and getattr(user, "organisation_id", None) == meeting.bank_org_id
    )
    return bank_side or can_manage_event(user, meeting.event)


def get_meeting(*, actor: Any, meeting_id: int) -> EventMeeting:
    """A meeting of an event the actor organises or takes part in (bank or firm), else NotFound."""
    meeting = db.session.get(EventMeeting, meeting_id)
    if meeting is None:
        raise NotFound
    if not (can_manage_event(actor, meeting.event) or is_party(actor, meeting)):
        raise NotFound
    return meeting


def get_managed_meeting(*, actor: User, meeting_id: int) -> EventMeeting:
    """A meeting of an event the actor organises, else NotFound."""
    meeting = db.session.get(EventMeeting, meeting_id)
    if meeting is None or not can_manage_event(actor, meeting.event):
        raise NotFound
    return meeting


def confirm_meeting(*, actor: User, meeting: EventMeeting) -> None:
    """The organiser confirms a proposed meeting (re-scheduling will keep it)."""
    if not can_manage_event(actor, meeting.event):
        raise NotFound
    EVENT.check(meeting.event, "arrange")
    MEETING.step(meeting, "confirm", actor=actor)


def cancel_meeting(*, actor: User, meeting: EventMeeting) -> None:
    """The organiser cancels a meeting (re-scheduling will not propose the pair again)."""
    if not can_manage_event(actor, meeting.event):
        raise NotFound
    EVENT.check(meeting.event, "arrange")
    MEETING.step(meeting, "cancel", actor=actor)


def _create_lead(actor: User, meeting: EventMeeting, note: str) -> Lead:
    """Turn the meeting into a contact request through the lead service (the bank's side)."""
    if not (
        has_permission(actor, Permission.LOAN_PRODUCT)
        and actor.organisation_id == meeting.bank_org_id
    ):
        raise ValidationFailed({"outcome": _("只有参加洽谈的银行可以把洽谈转为对接线索。")})
    product, need = meeting.product, meeting.financing_need
    try:
        return request_contact(
            actor=actor,
            firm_org_id=meeting.firm_org_id,
            # what was discussed, as long as it is still on offer / still wanted
            product_id=product.id if product and product.status != ProductStatus.DRAFT else None,
            financing_need_id=need.id if need and need.status == FinancingStatus.OPEN else None,
            message=note,
            meeting_id=meeting.id,
        )
    except NotFound as error:
        raise ValidationFailed({"outcome": _("不能转为对接线索。")}) from error
    except ValidationFailed as error:
        messages = [m for found in error.errors.values() for m in found]
        raise ValidationFailed({"outcome": messages}) from error
    except (InvalidTransition, PermissionDenied) as error:
        raise ValidationFailed({"outcome": str(error) or _("不能转为对接线索。")}) from error


def record_outcome(
    *,
    actor: User,
    meeting: EventMeeting,
    outcome: MeetingOutcome | str,
    note: str = "",
    now: datetime | None = None,
) -> Lead | None:
    """Mark a meeting held with its outcome (the bank's side or the organiser), once it began.

    A LEAD outcome also opens a lead (a contact request) for the bank; returns it.
    """
    if not (can_manage_event(actor, meeting.event) or is_party(actor, meeting)):
        raise NotFound
    if not can_record_outcome(actor, meeting):
        raise PermissionDenied(_("洽谈结果由银行一方或主办方记录。"))
    EVENT.check(meeting.event, "record")
    try:
        outcome = MeetingOutcome(outcome)
    except ValueError:
        raise ValidationFailed({"outcome": _("请选择洽谈结果。")}) from None
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed({"note": _("备注不能超过 2000 个字符。")})
    if (now or utcnow()) < meeting.starts_at:
        raise ValidationFailed({"outcome": _("洽谈开始后才能记录结果。")})
    MEETING.check(meeting, "hold")
    # The lead first: if the lead service refuses, nothing has changed.
    lead = _create_lead(actor, meeting, note) if outcome == MeetingOutcome.LEAD else None
    MEETING.step(meeting, "hold", actor=actor)
    meeting.outcome = outcome
    meeting.outcome_note = note
    meeting.recorded_by_id = actor.id
    record_audit(
        actor=actor,
        action="event_meeting.outcome",
        object_type="event_meeting",
        object_id=meeting.id,
        after={"outcome": str(outcome), "lead_id": lead.id if lead else None},
        reason=note or None,
    )
    db.session.flush()
    return lead


def organisation_meetings(event: Event, organisation_id: int | None) -> list[EventMeeting]:
    """The meetings one organisation has at the event (its own schedule, cancelled ones too)."""
    if organisation_id is None:
        return []
    mine = [m for m in event.meetings if organisation_id in (m.bank_org_id, m.firm_org_id)]
    return sorted(mine, key=lambda m: (m.starts_at, m.id))


@dataclass(frozen=True)
class EventSummary:
    """What came of an event."""

    banks: int
    firms: int
    meetings: int
    held: int
    outcomes: dict[str, int]
    leads: int


def summarize(event: Event) -> EventSummary:
    """Registrations, meetings held, outcomes by kind and leads created at the event."""
    split = registrants(event)
    live = [m for m in event.meetings if m.status != MeetingStatus.CANCELLED]
    held = [m for m in live if m.status == MeetingStatus.HELD]
    outcomes = Counter(str(m.outcome) for m in held if m.outcome is not None)
    ids = [m.id for m in event.meetings]
    leads = (
        db.session.scalar(sa.select(sa.func.count(Lead.id)).where(Lead.meeting_id.in_(ids)))
        if ids
        else 0
    )
    return EventSummary(
        banks=len(split["banks"]),
        firms=len(split["firms"]),
        meetings=len(live),
        held=len(held),
        outcomes={str(k): outcomes.get(str(k), 0) for k in MeetingOutcome},
        leads=int(leads or 0),
    )
