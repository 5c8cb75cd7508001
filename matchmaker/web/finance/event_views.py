"""Routes of the 科技金融 blueprint: 银企对接 events (public pages, participants, the organiser).

The meetings of an event (schedule, confirmation, outcomes) are in meeting_views.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import Event
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from matchmaker.web.finance.blueprint import bp
from matchmaker.web.finance.event_forms import (
    ActionForm,
    CancelEventForm,
    EventForm,
    RegisterForm,
    ScheduleForm,
)
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import permission_required, public
from matchmaker.web.refusals import on_refusal

MANAGE = Permission.FINANCE_EVENT_MANAGE
JOIN = Permission.FINANCE_EVENT_JOIN


def managed_event(event_id: int) -> Event:
    """An event the user organises (NotFound otherwise)."""
    return events.get_managed_event(actor=current_user, event_id=event_id)


def visible_event(event_id: int) -> Event:
    """An event the user may see (NotFound otherwise)."""
    return events.get_event(actor=current_user, event_id=event_id)


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
    return _render_event(visible_event(event_id))


def _render_event(event: Event, register_form: RegisterForm | None = None) -> str:
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
def register_event(event_id: int) -> Response | tuple[str, int]:
    """Register one's enterprise or bank for the event."""
    event = visible_event(event_id)
    form = RegisterForm()
    if form.validate_on_submit():
        on_refusal(lambda: _render_event(event, form))
        with form_errors(form) as outcome:
            events.register(actor=current_user, event=event, note=form.note.data or "")
        if outcome.ok:
            flash(_("报名成功。主办方生成洽谈安排后会通知你。"), "success")
            return redirect(url_for("finance.show_event", event_id=event.id))
    return _render_event(event, form), 400


@bp.post("/events/<int:event_id>/withdraw")
@permission_required(JOIN)
def withdraw_registration(event_id: int) -> Response:
    """Take one's organisation off the event (before the meetings are scheduled)."""
    event = visible_event(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: _render_event(event))
    events.withdraw_registration(actor=current_user, event=event)
    flash(_("已取消报名。"), "success")
    return redirect(url_for("finance.show_event", event_id=event.id))


# --- the organiser -----------------------------------------------------------------------------
@bp.get("/events/manage")
@permission_required(MANAGE)
def managed_events() -> str:
    """The events the user organises (every event, for a government admin)."""
    return render_template(
        "finance/events_managed.html", items=events.managed_events(actor=current_user)
    )


def _render_form(form: EventForm, event: Event | None = None) -> str:
    return render_template(
        "finance/event_form.html",
        form=form,
        event=event,
        has_org=current_user.organisation_id is not None,
    )


@bp.route("/events/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_event() -> Response | tuple[str, int]:
    """Create a draft event."""
    form = EventForm()
    if form.validate_on_submit():
        on_refusal(lambda: _render_form(form))
        with form_errors(form) as outcome:
            event = events.create_event(actor=current_user, data=form.to_data())
        if outcome.ok:
            flash(_("已保存为草稿。发布后银行和企业即可报名。"), "success")
            return redirect(url_for("finance.manage_event", event_id=event.id))
    return _render_form(form), 400 if request.method == "POST" else 200


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_event(event_id: int) -> Response | tuple[str, int]:
    """Change an event while it is a draft or open for registration."""
    event = managed_event(event_id)
    form = EventForm()
    if request.method == "GET":
        form.fill(event)
    if form.validate_on_submit():
        on_refusal(lambda: _render_form(form, event))
        with form_errors(form) as outcome:
            events.update_event(actor=current_user, event=event, data=form.to_data())
        if outcome.ok:
            flash(_("已保存。"), "success")
            return redirect(url_for("finance.manage_event", event_id=event.id))
    return _render_form(form, event), 400 if request.method == "POST" else 200


def render_manage(event: Event, **bound: Any) -> str:
    """The organiser's page of the event (`bound`: a schedule or cancel form shown again)."""
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
    return render_manage(managed_event(event_id))


def _step(event_id: int, step: Callable[[Event], object], message: str) -> Response:
    event = managed_event(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: render_manage(event))
    step(event)
    flash(message, "success")
    return redirect(url_for("finance.manage_event", event_id=event.id))


@bp.post("/events/<int:event_id>/publish")
@permission_required(MANAGE)
def publish_event(event_id: int) -> Response:
    """Open registration and announce the event to banks and firms."""
    return _step(
        event_id,
        lambda e: events.publish_event(actor=current_user, event=e),
        _("已发布，已通知银行和企业报名。"),
    )


@bp.post("/events/<int:event_id>/finish")
@permission_required(MANAGE)
def finish_event(event_id: int) -> Response:
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
    event = managed_event(event_id)
    form = CancelEventForm()
    if not form.validate_on_submit():
        return render_manage(event, cancel=form), 400
    on_refusal(lambda: render_manage(event, cancel=form))
    events.cancel_event(actor=current_user, event=event, reason=form.reason.data or "")
    flash(_("对接会已取消，已通知报名机构。"), "success")
    return redirect(url_for("finance.manage_event", event_id=event.id))
