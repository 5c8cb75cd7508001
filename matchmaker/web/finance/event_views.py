"""Routes of the 科技金融 blueprint for 银企对接 events: the organiser's meeting page and its steps.

The public pages, registration and the create/edit form are the common event pages (web/events/,
/events); the old addresses redirect there. The meetings of an event (schedule, confirmation,
outcomes) are in meeting_views.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import Event, EventKind
from matchmaker.permissions import Permission
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from matchmaker.web.finance.blueprint import bp
from matchmaker.web.finance.event_forms import ActionForm, CancelEventForm, ScheduleForm
from matchmaker.web.policy import permission_required, public
from matchmaker.web.refusals import on_refusal

MANAGE = Permission.FINANCE_EVENT_MANAGE
JOIN = Permission.FINANCE_EVENT_JOIN


def managed_event(event_id: int) -> Event:
    """An event the user organises (NotFound otherwise)."""
    return events.get_managed_event(actor=current_user, event_id=event_id)


def visible_event(event_id: int) -> Event:
    """A 银企对接 event the user may see (NotFound otherwise)."""
    return events.get_event(actor=current_user, event_id=event_id)


# --- moved to the common event pages (/events) ----------------------------------------------------
# The list, an event's page, registration, the organiser's list and the create/edit form are the
# pages of every kind of event (web/events/); the old addresses answer with a permanent redirect.
@bp.get("/events")
@public
def list_events() -> Response:
    """银企对接会 are listed among all events (/events?kind=bank_enterprise)."""
    status = "past" if request.args.get("status") == "past" else None
    return redirect(
        url_for("events.list_events", kind=EventKind.BANK_ENTERPRISE.value, status=status), 301
    )


@bp.get("/events/<int:event_id>")
@public
def show_event(event_id: int) -> Response:
    """An event's page is /events/<id>."""
    event = visible_event(event_id)
    return redirect(url_for("events.show_event", event_id=event.id), 301)


@bp.get("/events/manage")
@permission_required(MANAGE)
def managed_events() -> Response:
    """The organiser's list is /events/manage."""
    return redirect(url_for("events.managed", kind=EventKind.BANK_ENTERPRISE.value), 301)


@bp.get("/events/new")
@permission_required(MANAGE)
def new_event() -> Response:
    """Events of every kind are created at /events/new."""
    return redirect(url_for("events.new_event", kind=EventKind.BANK_ENTERPRISE.value), 301)


@bp.get("/events/<int:event_id>/edit")
@permission_required(MANAGE)
def edit_event(event_id: int) -> Response:
    """An event is edited at /events/<id>/edit."""
    event = managed_event(event_id)
    return redirect(url_for("events.edit_event", event_id=event.id), 301)


# --- the organiser: the one-on-one meetings ------------------------------------------------------
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
