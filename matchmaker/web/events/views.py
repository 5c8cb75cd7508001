"""Event pages for every kind: the public list (upcoming and past with their outcomes) and an
event's page (featured listings, registration); the organiser's pages (create, edit, publish,
feature listings, check-in, outcomes, summary, finish, cancel).

A 银企对接 event is one kind among them; its one-on-one meeting schedule stays under /finance
(web/finance/meeting_views.py), linked from its pages here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import Event, EventKind
from matchmaker.permissions import can_view_deal
from matchmaker.services.events import activity
from matchmaker.services.events import events as events_service
from matchmaker.services.events.event_states import machine_for
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events
from matchmaker.web.events.blueprint import bp
from matchmaker.web.events.forms import (
    ActionForm,
    CancelForm,
    EventForm,
    FeatureForm,
    OutcomeForm,
    RegisterForm,
    SummaryForm,
)
from matchmaker.web.events.labels import EVENT_KIND_LABELS, OUTCOME_KIND_LABELS
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import id_arg
from matchmaker.web.policy import login_required, public
from matchmaker.web.refusals import on_refusal

BANK = EventKind.BANK_ENTERPRISE


def _kind_arg() -> EventKind | None:
    try:
        return EventKind(request.args.get("kind", ""))
    except ValueError:
        return None


def _my_org() -> int | None:
    if not current_user.is_authenticated:
        return None
    return getattr(current_user, "organisation_id", None)


def _labels() -> dict[str, Any]:
    return {
        "KIND_LABELS": EVENT_KIND_LABELS,
        "OUTCOME_LABELS": OUTCOME_KIND_LABELS,
        "can_manage": lambda e: events_service.can_manage(current_user, e),
        "can_view_deal": lambda d: d is not None and can_view_deal(current_user, d),
    }


# --- public pages ------------------------------------------------------------------------------
@bp.get("")
@public
def list_events() -> str:
    """活动: upcoming events of every kind (or one kind), or past ones with their outcomes."""
    past = request.args.get("status") == "past"
    kind = _kind_arg()
    org_id = _my_org()
    items = events_service.public_events(past=past, kind=kind)
    return render_template(
        "events/list.html",
        items=items,
        past=past,
        kind=kind,
        mine=events_service.registered_event_ids(organisation_id=org_id) if org_id else set(),
        counts={e.id: activity.outcome_counts(e) for e in items} if past else {},
        can_create=events_service.can_create(current_user),
        **_labels(),
    )


@bp.get("/<int:event_id>")
@public
def show_event(event_id: int) -> str:
    """An event's public page: details, featured listings, registration, outcomes."""
    return _render_event(events_service.get_event(actor=current_user, event_id=event_id))


def _render_event(event: Event, register_form: RegisterForm | None = None) -> str:
    org_id = _my_org()
    registration = events_service.registration_of(event, org_id)
    bank_counts = None
    my_meetings: list[Any] = []
    if event.kind == BANK:
        split = finance_events.registrants(event)
        bank_counts = (len(split["banks"]), len(split["firms"]))
        my_meetings = meetings.organisation_meetings(event, org_id)
    return render_template(
        "events/show.html",
        event=event,
        bank_counts=bank_counts,
        my_meetings=my_meetings,
        showcase=activity.showcase(event),
        registered=len(event.registrations),
        places_left=events_service.places_left(event),
        checked_in=activity.attendance(event)[0],
        can_join=events_service.can_join(current_user, event),
        registration=registration,
        registration_open=events_service.registration_open(event),
        can_withdraw=registration is not None
        and registration.checked_in_at is None
        and machine_for(event).can(event, "unregister"),
        counts=activity.outcome_counts(event),
        register_form=register_form or RegisterForm(formdata=None),
        action_form=ActionForm(formdata=None),
        **_labels(),
    )


# --- participants ------------------------------------------------------------------------------
@bp.post("/<int:event_id>/register")
@login_required
def register(event_id: int) -> Response | tuple[str, int]:
    """Register one's organisation (members of any organisation; banks and firms for 银企对接)."""
    event = events_service.get_event(actor=current_user, event_id=event_id)
    form = RegisterForm()
    if form.validate_on_submit():
        on_refusal(lambda: _render_event(event, form))
        with form_errors(form) as outcome:
            events_service.register(actor=current_user, event=event, note=form.note.data or "")
        if outcome.ok:
            flash(
                _("报名成功。主办方生成洽谈安排后会通知你。")
                if event.kind == BANK
                else _("报名成功。"),
                "success",
            )
            return redirect(url_for("events.show_event", event_id=event.id))
    return _render_event(event, form), 400


@bp.post("/<int:event_id>/withdraw")
@login_required
def withdraw(event_id: int) -> Response:
    """Take one's organisation off the event while registration is open."""
    event = events_service.get_event(actor=current_user, event_id=event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: _render_event(event))
    events_service.withdraw_registration(actor=current_user, event=event)
    flash(_("已取消报名。"), "success")
    return redirect(url_for("events.show_event", event_id=event.id))


# --- the organiser -----------------------------------------------------------------------------
def _require_creator() -> None:
    if not events_service.can_create(current_user):
        abort(403)


@bp.get("/manage")
@login_required
def managed() -> str:
    """The events the user may manage (every event, for a government admin)."""
    _require_creator()
    return render_template(
        "events/managed.html",
        items=events_service.managed_events(actor=current_user, kind=_kind_arg()),
        **_labels(),
    )


def _event_form(event: Event | None = None) -> EventForm:
    form = EventForm()
    kinds = events_service.creatable_kinds(current_user)
    form.kind.choices = [(str(k), EVENT_KIND_LABELS[str(k)]) for k in kinds]
    orgs = events_service.organiser_choices() if _is_admin() else []
    own = current_user.organisation
    choices: list[tuple[Any, Any]] = [("", _("本机构") if own else _("请选择主办机构"))]
    form.organiser_org_id.choices = choices + [(o.id, o.name) for o in orgs]
    if event is not None:
        form.kind.choices = [(str(event.kind), EVENT_KIND_LABELS[str(event.kind)])]
    return form


def _is_admin() -> bool:
    return (
        events_service.can_create(current_user)
        and len(events_service.creatable_kinds(current_user)) > 1
    )


def _render_form(form: EventForm, event: Event | None = None) -> str:
    return render_template(
        "events/form.html", form=form, event=event, show_organiser=_is_admin(), **_labels()
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_event() -> Response | tuple[str, int]:
    """Create a draft event of a kind."""
    _require_creator()
    form = _event_form()
    if request.method == "GET" and (kind := _kind_arg()):
        form.kind.data = str(kind)
    if form.validate_on_submit():
        on_refusal(lambda: _render_form(form))
        with form_errors(form) as outcome:
            event = events_service.create_event(actor=current_user, data=form.to_data())
        if outcome.ok:
            flash(_("已保存为草稿。发布后即可报名。"), "success")
            return redirect(url_for("events.manage", event_id=event.id))
    return _render_form(form), 400 if request.method == "POST" else 200


def _managed(event_id: int) -> Event:
    """An event the user manages: 404 when it is not to be seen, 403 for anyone else."""
    event = events_service.get_event(actor=current_user, event_id=event_id)
    if not events_service.can_manage(current_user, event):
        abort(403)
    return event


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id: int) -> Response | tuple[str, int]:
    """Change an event while it is a draft or open for registration."""
    event = _managed(event_id)
    form = _event_form(event)
    if request.method == "GET":
        form.fill(event)
        if not _is_admin():
            form.organiser_org_id.data = None
    if form.validate_on_submit():
        on_refusal(lambda: _render_form(form, event))
        with form_errors(form) as outcome:
            events_service.update_event(actor=current_user, event=event, data=form.to_data())
        if outcome.ok:
            flash(_("已保存。"), "success")
            return redirect(url_for("events.manage", event_id=event.id))
    return _render_form(form, event), 400 if request.method == "POST" else 200


def render_manage(event: Event, **bound: Any) -> str:
    """The organiser's page (`bound`: a form shown again with its errors)."""
    outcome_form = bound.get("outcome") or OutcomeForm(formdata=None)
    _outcome_choices(event, outcome_form)
    feature_form = bound.get("feature") or FeatureForm(formdata=None, prefix="feature")
    query = request.args.get("q", "")
    return render_template(
        "events/manage.html",
        event=event,
        showcase=activity.showcase(event, per_result=0),
        attendance=activity.attendance(event),
        counts=activity.outcome_counts(event),
        found=activity.find_public_listings(kind=request.args.get("find", "result"), query=query),
        query=query,
        find=request.args.get("find", "result"),
        action_form=ActionForm(formdata=None),
        feature_form=feature_form,
        outcome_form=outcome_form,
        summary_form=bound.get("summary")
        or SummaryForm(formdata=None, summary=event.outcome_summary),
        cancel_form=bound.get("cancel") or CancelForm(formdata=None),
        machine=machine_for(event).name,
        **_labels(),
    )


def _outcome_choices(event: Event, form: OutcomeForm) -> None:
    orgs = [("", _("请选择"))] + [
        (r.organisation_id, r.organisation.name) for r in event.registrations
    ]
    form.first_org_id.choices = orgs
    form.second_org_id.choices = orgs
    deals = activity.deals_among_registrants(event)
    form.deal_id.choices = [("", _("不关联"))] + [
        (
            d.id,
            _(
                "合同 %(id)d：%(provider)s → %(client)s",
                id=d.id,
                provider=d.provider.name,
                client=d.client.name,
            ),
        )
        for d in deals
    ]


@bp.get("/<int:event_id>/manage")
@login_required
def manage(event_id: int) -> str:
    """The organiser's page: status, featured listings, registrants and check-in, outcomes."""
    return render_manage(_managed(event_id))


def _step(event_id: int, step: Callable[[Event], object], message: str) -> Response:
    event = _managed(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: render_manage(event))
    step(event)
    flash(message, "success")
    return redirect(url_for("events.manage", event_id=event.id))


@bp.post("/<int:event_id>/publish")
@login_required
def publish(event_id: int) -> Response:
    """Open registration (a 银企对接 event is announced to banks and firms)."""

    def step(e: Event) -> None:
        if e.kind == BANK:
            finance_events.publish_event(actor=current_user, event=e)
        else:
            events_service.publish_event(actor=current_user, event=e)

    return _step(event_id, step, _("已发布，现在可以报名。"))


@bp.post("/<int:event_id>/finish")
@login_required
def finish(event_id: int) -> Response:
    """Mark the event held (outcomes may still be recorded)."""
    return _step(
        event_id,
        lambda e: events_service.finish_event(actor=current_user, event=e),
        _("活动已结束。"),
    )


@bp.post("/<int:event_id>/cancel")
@login_required
def cancel(event_id: int) -> Response | tuple[str, int]:
    """Call the event off and tell the registrants."""
    event = _managed(event_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_manage(event, cancel=form), 400
    on_refusal(lambda: render_manage(event, cancel=form))
    reason = form.reason.data or ""
    if event.kind == BANK:
        finance_events.cancel_event(actor=current_user, event=event, reason=reason)
    else:
        events_service.cancel_event(actor=current_user, event=event, reason=reason)
    flash(_("活动已取消，已通知报名机构。"), "success")
    return redirect(url_for("events.manage", event_id=event.id))


@bp.post("/<int:event_id>/registrations/<int:registration_id>/check-in")
@login_required
def check_in(event_id: int, registration_id: int) -> Response:
    """Record a registered organisation's attendance."""
    return _step(
        event_id,
        lambda e: activity.check_in(actor=current_user, event=e, registration_id=registration_id),
        _("已签到。"),
    )


@bp.post("/<int:event_id>/registrations/<int:registration_id>/undo-check-in")
@login_required
def undo_check_in(event_id: int, registration_id: int) -> Response:
    """Take back a check-in recorded by mistake."""
    return _step(
        event_id,
        lambda e: activity.undo_check_in(
            actor=current_user, event=e, registration_id=registration_id
        ),
        _("已撤销签到。"),
    )


@bp.post("/<int:event_id>/features")
@login_required
def add_feature(event_id: int) -> Response | tuple[str, int]:
    """Feature a public result or need."""
    event = _managed(event_id)
    form = FeatureForm(prefix="feature")
    if form.validate_on_submit():
        on_refusal(lambda: render_manage(event, feature=form))
        with form_errors(form) as outcome:
            activity.feature_listing(
                actor=current_user,
                event=event,
                kind=form.kind.data or "",
                listing_id=form.listing_id.data,
            )
        if outcome.ok:
            flash(_("已添加到展示项目。"), "success")
            return redirect(url_for("events.manage", event_id=event.id))
    return render_manage(event, feature=form), 400


@bp.post("/<int:event_id>/features/remove")
@login_required
def remove_feature(event_id: int) -> Response:
    """Take a listing off the event's page (the feature's id in the form)."""
    feature_id = id_arg("feature_id", request.form) or 0
    return _step(
        event_id,
        lambda e: activity.unfeature(actor=current_user, event=e, feature_id=feature_id),
        _("已移除。"),
    )


@bp.post("/<int:event_id>/outcomes")
@login_required
def add_outcome(event_id: int) -> Response | tuple[str, int]:
    """Record an outcome between two registered organisations."""
    event = _managed(event_id)
    form = OutcomeForm()
    _outcome_choices(event, form)
    if form.validate_on_submit():
        on_refusal(lambda: render_manage(event, outcome=form))
        with form_errors(form) as outcome:
            activity.record_outcome(actor=current_user, event=event, data=form.to_data())
        if outcome.ok:
            flash(_("已记录活动成果。"), "success")
            return redirect(url_for("events.manage", event_id=event.id))
    return render_manage(event, outcome=form), 400


@bp.post("/<int:event_id>/outcomes/delete")
@login_required
def delete_outcome(event_id: int) -> Response:
    """Remove an outcome recorded by mistake (its id in the form)."""
    outcome_id = id_arg("outcome_id", request.form) or 0
    return _step(
        event_id,
        lambda e: activity.delete_outcome(actor=current_user, event=e, outcome_id=outcome_id),
        _("已删除该成果记录。"),
    )


@bp.post("/<int:event_id>/summary")
@login_required
def save_summary(event_id: int) -> Response | tuple[str, int]:
    """Save the organiser's summary of the event."""
    event = _managed(event_id)
    form = SummaryForm()
    if form.validate_on_submit():
        on_refusal(lambda: render_manage(event, summary=form))
        with form_errors(form) as outcome:
            activity.save_summary(actor=current_user, event=event, summary=form.summary.data or "")
        if outcome.ok:
            flash(_("已保存活动总结。"), "success")
            return redirect(url_for("events.manage", event_id=event.id))
    return render_manage(event, summary=form), 400
