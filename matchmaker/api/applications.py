"""揭榜挂帅: applications (揭榜, the applicant's steps, the owner's pipeline), over the services
the pages call (web/challenges/, web/pipeline/views.py). Challenges are in `challenges.py`.

A challenge the caller may not see (invite-only, or not yet listed, to anyone but its owners
and the reviewers) and an application the caller is no party to do not exist (404).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Any

from werkzeug.wrappers import Response

from matchmaker.api.auth import BEARER, signed_caller
from matchmaker.api.challenges import READ, WRITE, org
from matchmaker.api.common import bp, conditional, documented_errors, paged
from matchmaker.api.schemas import challenges as s
from matchmaker.extensions import db
from matchmaker.models import Application, Result
from matchmaker.services.challenges import (
    applications,
    challenges,
    overview,
)
from matchmaker.services.challenges.applications import ApplicationData
from matchmaker.services.errors import NotFound


def _application_summary(application: Application) -> dict[str, Any]:
    challenge = application.challenge
    return {
        "id": application.id,
        "challenge": {
            "id": challenge.id,
            "title": challenge.need.title,
            "status": challenge.status,
            "organisation": org(challenge.need.organisation),
        },
        "organisation": org(application.organisation),
        "status": str(application.status),
        "price_wan": application.price_wan,
        "created_at": application.created_at,
        "updated_at": application.updated_at,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
    }


def _application(application: Application) -> dict[str, Any]:
    return {
        **_application_summary(application),
        "approach": application.approach,
        "indicators": application.indicators,
        "trl": application.trl,
        "plan": [
            {"title": str(step.get("title", "")), "due": str(step.get("due") or "")}
            for step in application.plan or []
        ],
        "team": application.team,
        "terms": application.terms,
        "source_result_id": application.source_result_id,
        "decline_reason_code": (
            str(application.decline_reason_code) if application.decline_reason_code else None
        ),
        "decline_reason": application.decline_reason,
        "attachments": [
            {"id": a.id, "name": a.original_name, "content_type": a.content_type, "size": a.size}
            for a in application.attachments
        ],
    }


# --- applications -------------------------------------------------------------------------------
_PROPOSAL = ("approach", "indicators", "trl", "plan", "team", "price_wan", "terms")


def _due(value: date | str | None) -> str:
    """A milestone's due date as stored ("YYYY-MM-DD", or blank)."""
    return value.isoformat() if isinstance(value, date) else str(value or "")


def _proposal(data: dict[str, Any], base: ApplicationData | Application) -> ApplicationData:
    """The proposal: the fields given, the others from `base` (a result, or the draft)."""
    values = {name: data[name] if name in data else getattr(base, name) for name in _PROPOSAL}
    values["plan"] = tuple(
        {"title": str(step.get("title", "")).strip(), "due": _due(step.get("due"))}
        for step in values["plan"] or ()
    )
    for name in ("approach", "indicators", "team", "terms"):
        values[name] = values[name] or ""
    return ApplicationData(**values, source_result_id=base.source_result_id)


@bp.route("/challenges/<int:challenge_id>/applications", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ApplicationCreateSchema)
@bp.response(201, s.ApplicationSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def apply_to_challenge(data: dict[str, Any], challenge_id: int) -> dict[str, Any]:
    """揭榜: the organisation's proposal (saved as its draft, and submitted unless `submit` is
    false); with `source_result_id`, started from that listed result of the organisation."""
    actor = signed_caller()
    challenge = challenges.get_visible_challenge(user=actor, challenge_id=challenge_id)
    base = ApplicationData(source_result_id=data.get("source_result_id"))
    result = db.session.get(Result, base.source_result_id) if base.source_result_id else None
    if result is not None:
        # another organisation's result is not used: it is refused on its field just below
        with suppress(NotFound):
            base = applications.prefill_from_result(actor=actor, result=result)
    application = applications.save_application_draft(
        actor=actor, challenge=challenge, data=_proposal(data, base)
    )
    if data["submit"]:
        applications.submit_application(actor=actor, application=application)
    return _application(application)


@bp.route("/applications", methods=["GET"])
@READ
@bp.doc(security=BEARER)
@bp.arguments(s.ApplicationQuerySchema, location="query")
@bp.response(200, s.ApplicationPageSchema)
@documented_errors(400, 401, 403, 422)
def list_applications(query: dict[str, Any]) -> dict[str, Any]:
    """My organisation's applications (`side=applicant`, drafts included) and those to its
    challenges (`side=owner`, submitted ones), newest first."""
    actor = signed_caller()
    items: list[Application] = []
    if query["side"] in ("all", "applicant") and actor.organisation_id is not None:
        items += challenges.organisation_applications(organisation_id=actor.organisation_id)
    if query["side"] in ("all", "owner"):
        for row in overview.my_challenges(actor=actor):
            items += applications.challenge_applications(actor=actor, challenge=row.challenge)
    if query["status"]:
        items = [a for a in items if a.status == query["status"]]
    if query["challenge_id"] is not None:
        items = [a for a in items if a.challenge_id == query["challenge_id"]]
    unique = {a.id: a for a in items}.values()
    ordered = sorted(unique, key=lambda a: (a.updated_at, a.id), reverse=True)
    return paged(ordered, query).as_dict(_application_summary)


def _visible_application(application_id: int) -> Application:
    return applications.get_application(actor=signed_caller(), application_id=application_id)


@bp.route("/applications/<int:application_id>", methods=["GET"])
@READ
@bp.doc(security=BEARER)
@bp.response(200, s.ApplicationSchema)
@documented_errors(400, 401, 403, 404)
def get_application(application_id: int) -> Response:
    """An application in full: its applicant, the challenge's owners and panel, and admins
    (a draft: its applicant only). ETag; If-None-Match answers 304."""
    application = _visible_application(application_id)
    return conditional(s.ApplicationSchema().dump(_application(application)))


@bp.route("/applications/<int:application_id>", methods=["PATCH"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ApplicationUpdateSchema)
@bp.response(200, s.ApplicationSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def update_application(data: dict[str, Any], application_id: int) -> dict[str, Any]:
    """Change the organisation's draft (a withdrawn one becomes a draft again while the
    window is open); a submitted application cannot change (409)."""
    application = _visible_application(application_id)
    saved = applications.save_application_draft(
        actor=signed_caller(), challenge=application.challenge, data=_proposal(data, application)
    )
    return _application(saved)


@bp.route("/applications/<int:application_id>/submit", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.response(200, s.ApplicationSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def submit_application(application_id: int) -> dict[str, Any]:
    """Submit the organisation's draft before the deadline (422 names what is missing)."""
    application = _visible_application(application_id)
    applications.submit_application(actor=signed_caller(), application=application)
    return _application(application)


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ApplicationReasonSchema)
@bp.response(200, s.ApplicationSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def withdraw_application(data: dict[str, Any], application_id: int) -> dict[str, Any]:
    """The applicant withdraws (it may apply again on the same application while open)."""
    application = _visible_application(application_id)
    applications.withdraw_application(
        actor=signed_caller(), application=application, reason=data["reason"]
    )
    return _application(application)


@bp.route("/applications/<int:application_id>/shortlist", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.response(200, s.ApplicationSchema)
@documented_errors(400, 401, 403, 404, 409)
def shortlist_application(application_id: int) -> dict[str, Any]:
    """The challenge's owner keeps a submitted application (初筛)."""
    application = _visible_application(application_id)
    applications.shortlist_application(actor=signed_caller(), application=application)
    return _application(application)


@bp.route("/applications/<int:application_id>/finalist", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.response(200, s.ApplicationSchema)
@documented_errors(400, 401, 403, 404, 409)
def finalist_application(application_id: int) -> dict[str, Any]:
    """The challenge's owner sends a shortlisted application to the final round (终审)."""
    application = _visible_application(application_id)
    applications.make_finalist(actor=signed_caller(), application=application)
    return _application(application)


@bp.route("/applications/<int:application_id>/decline", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ApplicationDeclineSchema)
@bp.response(200, s.ApplicationSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def decline_application(data: dict[str, Any], application_id: int) -> dict[str, Any]:
    """The challenge's owner declines, with a reason code and the text the applicant sees."""
    application = _visible_application(application_id)
    applications.decline_application(
        actor=signed_caller(), application=application, code=data["code"], reason=data["reason"]
    )
    return _application(application)


@bp.route("/applications/<int:application_id>/select", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ApplicationSelectSchema)
@bp.response(200, s.ApplicationSelectedSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def select_application(data: dict[str, Any], application_id: int) -> dict[str, Any]:
    """The challenge's owner chooses the solver after the deadline: the challenge is awarded
    and every other live application is declined with the reason given."""
    application = _visible_application(application_id)
    declined = applications.select_application(
        actor=signed_caller(),
        application=application,
        others_code=data["others_code"],
        others_reason=data["others_reason"],
    )
    return {"application": _application(application), "declined": [a.id for a in declined]}
