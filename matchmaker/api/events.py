"""Events of every kind (对接会, 路演, 银企对接, 沙龙, 人才活动): the public list and an event's
page, for anyone; see api/common.py for the conventions and docs/events.md for the rules."""

from __future__ import annotations

from typing import Any

from flask import url_for
from werkzeug.wrappers import Response

from matchmaker.api.auth import anyone, caller
from matchmaker.api.common import bp, conditional, documented_errors, paginate
from matchmaker.api.schemas import events as s
from matchmaker.models import Event, EventKind, Organisation
from matchmaker.services.events import activity
from matchmaker.services.events import events as events_service


def _ref(org: Organisation | None) -> dict[str, Any] | None:
    return None if org is None else {"id": org.id, "name": org.name}


def _summary(event: Event) -> dict[str, Any]:
    checked_in, registered = activity.attendance(event)
    return {
        "id": event.id,
        "kind": str(event.kind),
        "title": event.title,
        "status": str(event.status),
        "organiser": _ref(event.organiser),
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "registration_closes_at": event.registration_closes_at,
        "location": event.location,
        "online": bool(event.online_url),
        "capacity": event.capacity,
        "registered": registered,
        "checked_in": checked_in,
        "outcomes": activity.outcome_counts(event),
        "url": url_for("events.show_event", event_id=event.id, _external=True),
    }


@bp.route("/events", methods=["GET"])
@anyone
@bp.arguments(s.EventQuerySchema, location="query")
@bp.response(200, s.EventPageSchema)
@documented_errors(422)
def list_events(query: dict[str, Any]) -> dict[str, Any]:
    """活动: upcoming events (open or scheduled, soonest first) or past ones (latest first)."""
    kind = EventKind(query["kind"]) if query["kind"] else None
    statement = events_service.public_events_query(past=query["status"] == "past", kind=kind)
    return paginate(statement, query).as_dict(_summary)


@bp.route("/events/<int:event_id>", methods=["GET"])
@anyone
@bp.response(200, s.EventDetailSchema)
@documented_errors(404)
def get_event(event_id: int) -> Response:
    """An event's public page (ETag): featured listings (a result with its matched public
    needs) and outcomes. A draft or cancelled event is 404 except to its organisers."""
    event = events_service.get_event(actor=caller(), event_id=event_id)
    payload = {
        **_summary(event),
        "description": event.description,
        "features": [
            {
                "kind": item.publication.kind,
                "id": item.publication.listing_id,
                "title": item.publication.title,
                "organisation": _ref(item.publication.organisation),
                "matched_need_ids": [m.publication.listing_id for m in item.matches],
            }
            for item in activity.showcase(event)
        ],
        "outcome_list": [
            {
                "kind": str(o.kind),
                "first_organisation": _ref(o.first_org),
                "second_organisation": _ref(o.second_org),
                "intention_wan": o.intention_wan,
                "deal_id": o.deal_id,
            }
            for o in event.outcomes
        ],
        "outcome_summary": event.outcome_summary if event.status == "finished" else "",
    }
    return conditional(s.EventDetailSchema().dump(payload))
