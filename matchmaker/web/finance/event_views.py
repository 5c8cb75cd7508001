"""Routes of the 科技金融 blueprint: 银企对接 events (public pages, organiser, participants)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import EventMeeting, EventStatus, FinanceEvent, MeetingOutcome
from matchmaker.permissions import Permission, can_manage_event, has_permission
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from matchmaker.web.finance.blueprint import bp
from matchmaker.web.finance.event_forms import (
    ActionForm,
    CancelEventForm,
    EventForm,
    OutcomeForm,
    RegisterForm,
    ScheduleForm,
)
from matchmaker.web.forms import apply_errors
from matchmaker.web.policy import login_required, permission_required, public
from matchmaker.web.refusals import refused

MANAGE = Permission.FINANCE_EVENT_MANAGE
JOIN = Permission.FINANCE_EVENT_JOIN


def _managed(event_id: int) -> FinanceEvent:
    try:
        return events.get_managed_event(actor=current_user, event_id=event_id)
    except NotFound:
        abort(404)


def _visible(event_id: int) -> FinanceEvent:
    try:
        return events.get_event(actor=current_user, event_id=event_id)
    except NotFound:
        abort(404)


# --- public pages ------------------------------------------------------------------------------
@bp.get("/events")
@public
def list_events() -> str:
    """银企对接会: upcoming events (open for registration or scheduled) or past ones."""
    past = request.args.get("status") == "past"
    return render_template(
        "finance/events.html",
        items=events.public_events(past=past),
        past=past,
        mine=_my_registrations(),
    )


def _my_registrations() -> set[int]:
    org_id = getattr(current_user, "organisation_id", None)
    if not current_user.is_authenticated or org_id is None:
        return set()
    return events.registered_event_ids(organisation_id=org_id)


@bp.get("/events/<int:event_id>")
@public
def show_event(event_id: int) -> str:
    """An event's public page; a participant also sees its registration and schedule."""
    return _render_event(_visible(event_id))


def _render_event(event: FinanceEvent, register_form: RegisterForm | None = None) -> str:
    org_id = (
        getattr(current_user, "organisation_id", None) if current_user.is_authenticated else None
    )
    split = events.registrants(event)
    return render_template(
        "finance/event.html",
        event=event,
        bank_count=len(split["banks"]),
        firm_count=len(split["firms"]),
        can_join=has_permission(current_user, JOIN),
        registration=events.registration_of(event, org_id),
        registration_open=events.registration_open(event),
        my_meetings=meetings.organisation_meetings(event, org_id),
        register_form=register_form or RegisterForm(formdata=None),
        action_form=ActionForm(formdata=None),
    )


# --- participants ------------------------------------------------------------------------------
@bp.post("/events/<int:event_id>/register")
@permission_required(JOIN)
def register_event(event_id: int) -> Response | str | tuple[str, int]:
    """Register one's enterprise or bank for the event."""
    event = _visible(event_id)
    form = RegisterForm()
    if not form.validate_on_submit():
        return _render_event(event, form), 400
    try:
        events.register(actor=current_user, event=event, note=form.note.data or "")
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_event(event, form), 400
    except (InvalidTransition, PermissionDenied) as error:
        return refused(error, lambda: _render_event(event, form))
    db.session.commit()
    flash(_("报名成功。主办方生成洽谈安排后会通知你。"), "success")
    return redirect(url_for("finance.show_event", event_id=event.id))


@bp.post("/events/<int:event_id>/withdraw")
@permission_required(JOIN)
def withdraw_registration(event_id: int) -> Response | tuple[str, int]:
    """Take one's organisation off the event (before the meetings are scheduled)."""
    event = _visible(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        events.withdraw_registration(actor=current_user, event=event)
    except NotFound:
        abort(404)
    except (InvalidTransition, PermissionDenied) as error:
        return refused(error, lambda: _render_event(event))
    db.session.commit()
    flash(_("已取消报名。"), "success")
    return redirect(url_for("finance.show_event", event_id=event.id))


@bp.get("/events/<int:event_id>/my-schedule")
@permission_required(JOIN)
def my_schedule(event_id: int) -> str:
    """One's own meetings at the event: when, which table, with whom, and why."""
    event = _visible(event_id)
    mine = meetings.organisation_meetings(event, current_user.organisation_id)
    return render_template(
        "finance/event_schedule.html",
        event=event,
        items=mine,
        reasons={m.id: meetings.meeting_reasons(m) for m in mine},
        registered=events.registration_of(event, current_user.organisation_id) is not None,
        is_bank=current_user.organisation_id is not None
        and any(m.bank_org_id == current_user.organisation_id for m in mine),
        can_record={m.id: _recordable(m) for m in mine},
    )


def _recordable(meeting: EventMeeting) -> bool:
    return (
        meetings.can_record_outcome(current_user, meeting)
        and meeting.status in ("proposed", "confirmed")
        and meeting.event.status in (EventStatus.SCHEDULED, EventStatus.FINISHED)
    )


# --- the organiser -----------------------------------------------------------------------------
@bp.get("/events/manage")
@permission_required(MANAGE)
def managed_events() -> str:
    """The events the user organises (every event, for a government admin)."""
    return render_template(
        "finance/events_managed.html", items=events.managed_events(actor=current_user)
    )


def _render_form(form: EventForm, event: FinanceEvent | None = None) -> str:
    return render_template(
        "finance/event_form.html",
        form=form,
        event=event,
        has_org=current_user.organisation_id is not None,
    )


@bp.route("/events/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_event() -> Response | str | tuple[str, int]:
    """Create a draft event."""
    form = EventForm()
    if not form.validate_on_submit():
        return _render_form(form), 400 if request.method == "POST" else 200
    try:
        event = events.create_event(actor=current_user, data=form.to_data())
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_form(form), 400
    except PermissionDenied as error:
        return refused(error, lambda: _render_form(form))
    db.session.commit()
    flash(_("已保存为草稿。发布后银行和企业即可报名。"), "success")
    return redirect(url_for("finance.manage_event", event_id=event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_event(event_id: int) -> Response | str | tuple[str, int]:
    """Change an event while it is a draft or open for registration."""
    event = _managed(event_id)
    form = EventForm()
    if request.method == "GET":
        form.fill(event)
    if not form.validate_on_submit():
        return _render_form(form, event), 400 if request.method == "POST" else 200
    try:
        events.update_event(actor=current_user, event=event, data=form.to_data())
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_form(form, event), 400
    except InvalidTransition as error:
        return refused(error, lambda: _render_form(form, event))
    db.session.commit()
    flash(_("已保存。"), "success")
    return redirect(url_for("finance.manage_event", event_id=event.id))


def _render_manage(event: FinanceEvent, **bound: Any) -> str:
    return render_template(
        "finance/event_manage.html",
        event=event,
        registrants=events.registrants(event),
        needs=meetings.open_need_counts(event),
        items=sorted(event.meetings, key=lambda m: (m.starts_at, m.table_no, m.id)),
        summary=meetings.summarize(event),
        action_form=ActionForm(formdata=None),
        schedule_form=bound.get("schedule") or ScheduleForm(formdata=None),
        cancel_form=bound.get("cancel") or CancelEventForm(formdata=None),
    )


@bp.get("/events/<int:event_id>/manage")
@permission_required(MANAGE)
def manage_event(event_id: int) -> str:
    """The organiser's page: status, registrants, meetings and the summary."""
    return _render_manage(_managed(event_id))


def _step(event_id: int, step: Callable[[FinanceEvent], None], message: str) -> Any:
    event = _managed(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        step(event)
    except NotFound:
        abort(404)
    except (InvalidTransition, PermissionDenied) as error:
        return refused(error, lambda: _render_manage(event))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("finance.manage_event", event_id=event.id))


@bp.post("/events/<int:event_id>/publish")
@permission_required(MANAGE)
def publish_event(event_id: int) -> Response | tuple[str, int]:
    """Open registration and announce the event to banks and firms."""
    return _step(
        event_id,
        lambda e: events.publish_event(actor=current_user, event=e),
        _("已发布，已通知银行和企业报名。"),
    )


@bp.post("/events/<int:event_id>/finish")
@permission_required(MANAGE)
def finish_event(event_id: int) -> Response | tuple[str, int]:
    """Mark the event finished (outcomes may still be recorded)."""
    return _step(
        event_id,
        lambda e: events.finish_event(actor=current_user, event=e),
        _("对接会已结束。"),
    )


@bp.post("/events/<int:event_id>/cancel")
@permission_required(MANAGE)
def cancel_event(event_id: int) -> Response | tuple[str, int]:
    """Call the event off and tell the registrants."""
    event = _managed(event_id)
    form = CancelEventForm()
    if not form.validate_on_submit():
        return _render_manage(event, cancel=form), 400
    try:
        events.cancel_event(actor=current_user, event=event, reason=form.reason.data or "")
    except InvalidTransition as error:
        return refused(error, lambda: _render_manage(event, cancel=form))
    db.session.commit()
    flash(_("对接会已取消，已通知报名机构。"), "success")
    return redirect(url_for("finance.manage_event", event_id=event.id))


@bp.post("/events/<int:event_id>/schedule")
@permission_required(MANAGE)
def schedule_event(event_id: int) -> Response | tuple[str, int]:
    """生成洽谈安排: propose meetings from product ↔ need matches among the registrants."""
    event = _managed(event_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _render_manage(event, schedule=form), 400
    try:
        created = meetings.generate_schedule(actor=current_user, event=event, cap=form.cap.data)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_manage(event, schedule=form), 400
    except InvalidTransition as error:
        return refused(error, lambda: _render_manage(event, schedule=form))
    db.session.commit()
    flash(_("已生成 %(n)d 场洽谈建议，已通知报名机构。", n=len(created)), "success")
    return redirect(url_for("finance.manage_event", event_id=event.id))


def _meeting_step(meeting_id: int, step: Callable[..., None], message: str) -> Any:
    try:
        meeting = meetings.get_managed_meeting(actor=current_user, meeting_id=meeting_id)
    except NotFound:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        step(actor=current_user, meeting=meeting)
    except InvalidTransition as error:
        return refused(error, lambda: _render_manage(meeting.event))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("finance.manage_event", event_id=meeting.event_id))


@bp.post("/meetings/<int:meeting_id>/confirm")
@permission_required(MANAGE)
def confirm_meeting(meeting_id: int) -> Response | tuple[str, int]:
    """Confirm a proposed meeting (a new 生成洽谈安排 keeps it)."""
    return _meeting_step(meeting_id, meetings.confirm_meeting, _("已确认洽谈。"))


@bp.post("/meetings/<int:meeting_id>/cancel")
@permission_required(MANAGE)
def cancel_meeting(meeting_id: int) -> Response | tuple[str, int]:
    """Cancel a meeting (the pair is not proposed again)."""
    return _meeting_step(meeting_id, meetings.cancel_meeting, _("已取消洽谈。"))


# --- outcomes ----------------------------------------------------------------------------------
def _outcome_choices(meeting: EventMeeting) -> list[str]:
    """LEAD only for the bank's own people (a lead is the bank's contact request)."""
    values = [str(o) for o in MeetingOutcome]
    bank_side = (
        has_permission(current_user, Permission.LOAN_PRODUCT)
        and current_user.organisation_id == meeting.bank_org_id
    )
    if not bank_side:
        values.remove(str(MeetingOutcome.LEAD))
    return values


@bp.route("/meetings/<int:meeting_id>/outcome", methods=["GET", "POST"])
@login_required
def record_outcome(meeting_id: int) -> Response | str | tuple[str, int]:
    """The bank's side (or the organiser) records what came of a meeting."""
    try:
        meeting = meetings.get_meeting(actor=current_user, meeting_id=meeting_id)
    except NotFound:
        abort(404)
    if not meetings.can_record_outcome(current_user, meeting):
        abort(403)
    form = OutcomeForm()
    form.limit_to(_outcome_choices(meeting))

    def page() -> str:
        return render_template(
            "finance/meeting_outcome.html",
            meeting=meeting,
            event=meeting.event,
            reasons=meetings.meeting_reasons(meeting),
            form=form,
            manager=can_manage_event(current_user, meeting.event),
        )

    if not form.validate_on_submit():
        return page(), 400 if request.method == "POST" else 200
    try:
        lead = meetings.record_outcome(
            actor=current_user,
            meeting=meeting,
            outcome=form.outcome.data,
            note=form.note.data or "",
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return page(), 400
    except (InvalidTransition, PermissionDenied) as error:
        return refused(error, page)
    db.session.commit()
    if lead is not None:
        flash(_("已记录洽谈结果，并向企业发出了对接请求。"), "success")
    else:
        flash(_("已记录洽谈结果。"), "success")
    if can_manage_event(current_user, meeting.event):
        return redirect(url_for("finance.manage_event", event_id=meeting.event_id))
    return redirect(url_for("finance.my_schedule", event_id=meeting.event_id))
