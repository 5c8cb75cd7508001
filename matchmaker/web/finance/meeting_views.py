"""Routes of the 科技金融 blueprint: the meetings of a 银企对接 event (the organiser's schedule,
a participant's own schedule, and what came of each meeting)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import EventMeeting, EventStatus, MeetingOutcome
from matchmaker.permissions import Permission, can_manage_event, has_permission
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from matchmaker.web.finance.blueprint import bp
from matchmaker.web.finance.event_forms import ActionForm, OutcomeForm, ScheduleForm
from matchmaker.web.finance.event_views import (
    JOIN,
    MANAGE,
    managed_event,
    render_manage,
    visible_event,
)
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import login_required, permission_required
from matchmaker.web.refusals import on_refusal


# --- a participant's schedule ------------------------------------------------------------------
@bp.get("/events/<int:event_id>/my-schedule")
@permission_required(JOIN)
def my_schedule(event_id: int) -> str:
    """One's own meetings at the event: when, which table, with whom, and why."""
    event = visible_event(event_id)
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


# --- the organiser's schedule ------------------------------------------------------------------
@bp.post("/events/<int:event_id>/schedule")
@permission_required(MANAGE)
def schedule_event(event_id: int) -> Response | tuple[str, int]:
    """生成洽谈安排: propose meetings from product ↔ need matches among the registrants."""
    event = managed_event(event_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        on_refusal(lambda: render_manage(event, schedule=form))
        with form_errors(form) as outcome:
            created = meetings.generate_schedule(actor=current_user, event=event, cap=form.cap.data)
        if outcome.ok:
            flash(_("已生成 %(n)d 场洽谈建议，已通知报名机构。", n=len(created)), "success")
            return redirect(url_for("finance.manage_event", event_id=event.id))
    return render_manage(event, schedule=form), 400


def _meeting_step(meeting_id: int, step: Callable[..., object], message: str) -> Response:
    meeting = meetings.get_managed_meeting(actor=current_user, meeting_id=meeting_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: render_manage(meeting.event))
    step(actor=current_user, meeting=meeting)
    flash(message, "success")
    return redirect(url_for("finance.manage_event", event_id=meeting.event_id))


@bp.post("/meetings/<int:meeting_id>/confirm")
@permission_required(MANAGE)
def confirm_meeting(meeting_id: int) -> Response:
    """Confirm a proposed meeting (a new 生成洽谈安排 keeps it)."""
    return _meeting_step(meeting_id, meetings.confirm_meeting, _("已确认洽谈。"))


@bp.post("/meetings/<int:meeting_id>/cancel")
@permission_required(MANAGE)
def cancel_meeting(meeting_id: int) -> Response:
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
def record_outcome(meeting_id: int) -> Response | tuple[str, int]:
    """The bank's side (or the organiser) records what came of a meeting."""
    meeting = meetings.get_meeting(actor=current_user, meeting_id=meeting_id)
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
    on_refusal(page)
    with form_errors(form) as outcome:
        lead = meetings.record_outcome(
            actor=current_user,
            meeting=meeting,
            outcome=form.outcome.data,
            note=form.note.data or "",
        )
    if not outcome.ok:
        return page(), 400
    if lead is not None:
        flash(_("已记录洽谈结果，并向企业发出了对接请求。"), "success")
    else:
        flash(_("已记录洽谈结果。"), "success")
    if can_manage_event(current_user, meeting.event):
        return redirect(url_for("finance.manage_event", event_id=meeting.event_id))
    return redirect(url_for("finance.my_schedule", event_id=meeting.event_id))
