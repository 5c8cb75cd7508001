"""揭榜挂帅: challenges (the public list and page, 发榜, the owner's steps, the platform's
review), over the services the pages call (web/challenges/, web/review/challenge_views.py).
Applications are in `applications.py`.

A challenge the caller may not see (invite-only, or not yet listed, to anyone but its owners
and the reviewers) does not exist (404).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from matchmaker.api.auth import BEARER, anyone, caller, signed_caller, token_required
from matchmaker.api.common import bp, conditional, documented_errors, paged
from matchmaker.api.schemas import challenges as s
from matchmaker.extensions import db
from matchmaker.models import Challenge, Organisation
from matchmaker.models.base import CHINA, utcnow
from matchmaker.permissions import (
    Permission,
    can_manage_challenge,
    has_permission,
)
from matchmaker.services.challenges import (
    challenge_review,
    challenges,
    overview,
)
from matchmaker.services.challenges.challenges import ChallengeTerms
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.platform import taxonomy

READ = token_required("read", "challenges")
WRITE = token_required("write", "challenges")


# --- answers ------------------------------------------------------------------------------------
def org(org: Organisation) -> dict[str, Any]:
    return {"id": org.id, "name": org.name}


def _summary(challenge: Challenge) -> dict[str, Any]:
    need = challenge.need
    locale = str(get_locale() or "")
    return {
        "id": challenge.id,
        "title": need.title,
        "status": challenge.status,
        "organisation": org(need.organisation),
        "field": {"code": need.field.code, "name": need.field.label(locale)}
        if need.field
        else None,
        "region": need.region,
        "bounty_wan": challenge.bounty_wan,
        "deadline_at": challenge.deadline_at,
        "visibility": str(challenge.visibility),
        "is_government": challenge.is_government,
        "kind": str(challenge.kind),
        "scenario_owner": challenge.scenario_owner,
        "scenario_site": challenge.scenario_site,
        "accepting": challenge.is_accepting(utcnow()),
        "published_at": challenge.published_at,
        "url": url_for("challenges.show_challenge", challenge_id=challenge.id, _external=True),
    }


def _detail(challenge: Challenge) -> dict[str, Any]:
    need, user = challenge.need, caller()
    # the reviewer's reason is for the owners and the reviewers, as on the web
    reviewer_side = can_manage_challenge(user, challenge) or has_permission(
        user, Permission.LISTING_REVIEW
    )
    return {
        **_summary(challenge),
        "need": {
            "id": need.id,
            "title": need.title,
            "description": need.description,
            "targets": need.targets or "",
        },
        "success_criteria": challenge.success_criteria,
        "deliverables": challenge.deliverables,
        "ip_ownership": str(challenge.ip_ownership),
        "ip_licence": str(challenge.ip_licence),
        "payment_form": str(challenge.payment_form),
        "has_panel": challenge.has_panel,
        "status_reason": challenge.status_reason,
        "closed_at": challenge.closed_at,
        "awarded_at": challenge.awarded_at,
        "review_reason_code": challenge.review_reason_code if reviewer_side else None,
        "review_reason": challenge.review_reason if reviewer_side else None,
    }


# --- challenges: reads --------------------------------------------------------------------------
@bp.route("/challenges", methods=["GET"])
@anyone
@bp.arguments(s.ChallengeQuerySchema, location="query")
@bp.response(200, s.ChallengePageSchema)
@documented_errors(400, 422)
def list_challenges(query: dict[str, Any]) -> dict[str, Any]:
    """揭榜挂帅: the public challenges, open or closed, with the web list's filters and order."""
    field = taxonomy.field_by_code(query["field"]) if query["field"] else None
    items = challenges.public_challenges(
        field_id=field.id if field else None,
        region=query["region"],
        band=query["band"],
        status=query["status"],
        kind=query["kind"],
    )
    return paged(items, query).as_dict(_summary)


@bp.route("/challenges/<int:challenge_id>", methods=["GET"])
@anyone
@bp.response(200, s.ChallengeSchema)
@documented_errors(400, 404)
def get_challenge(challenge_id: int) -> Response:
    """A challenge and its terms (invite-only and unlisted ones: invitees, owners and admins
    only). ETag; If-None-Match answers 304."""
    challenge = challenges.get_visible_challenge(user=caller(), challenge_id=challenge_id)
    return conditional(s.ChallengeSchema().dump(_detail(challenge)))


@bp.route("/my/challenges", methods=["GET"])
@READ
@bp.doc(security=BEARER)
@bp.arguments(s.PageQuerySchema, location="query")
@bp.response(200, s.MyChallengePageSchema)
@documented_errors(400, 401, 403, 422)
def list_my_challenges(query: dict[str, Any]) -> dict[str, Any]:
    """我的榜单: the challenges of the caller's organisation, newest first, with their
    applications (reading them here does not mark them seen on the web page)."""
    actor = signed_caller()
    if not has_permission(actor, Permission.CHALLENGE_PUBLISH):
        raise PermissionDenied
    rows = overview.my_challenges(actor=actor)
    return paged(rows, query).as_dict(
        lambda row: {
            **_summary(row.challenge),
            "applications": row.applications,
            "new_applications": row.new_applications,
        }
    )


# --- challenges: the owner's writes -------------------------------------------------------------
_CHOICES = ("ip_ownership", "ip_licence", "payment_form", "visibility")


def _end_of_day(day: date) -> datetime:
    """The last second of a day in China (the web form's deadline)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA)


@contextmanager
def _terms_errors() -> Iterator[None]:
    """The services name the deadline `deadline_at`; the request calls it `deadline`."""
    try:
        yield
    except ValidationFailed as error:
        if "deadline_at" in error.errors:
            error.errors["deadline"] = error.errors.pop("deadline_at")
        raise


def _terms(
    data: dict[str, Any], *, is_government: bool, base: Challenge | None = None
) -> ChallengeTerms:
    """The service's terms: the fields given, the others from `base` (or the form's defaults)."""
    current: dict[str, Any] = {
        "success_criteria": "",
        "deliverables": "",
        "ip_ownership": "owner",
        "ip_licence": "none",
        "payment_form": "instalments",
        "bounty_wan": Decimal(0),
        "visibility": "public",
        "has_panel": False,
    }
    extra: dict[str, Any] = {}
    if base is not None:
        current = {name: getattr(base, name) for name in current}
        current.update({name: str(current[name]) for name in _CHOICES})
        extra["weights"] = base.weights
    values = {name: data.get(name, value) for name, value in current.items()}
    if "deadline" in data:
        deadline = _end_of_day(data["deadline"])
    else:
        deadline = base.deadline_at if base is not None else utcnow()
    return ChallengeTerms(deadline_at=deadline, is_government=is_government, **values, **extra)


@bp.route("/challenges", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ChallengeCreateSchema)
@bp.response(201, s.ChallengeSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def create_challenge(data: dict[str, Any]) -> dict[str, Any]:
    """发榜: publish a challenge on an open need of the caller's verified organisation (an
    admin: a 政府榜 on any open need). Public at once, or after the platform's review (a
    政府榜, or a need edited since its review): see `status`."""
    actor = signed_caller()
    need, government = challenges.publishable_need(actor=actor, need_id=data.pop("need_id"))
    with _terms_errors():
        challenge = challenges.publish_challenge(
            actor=actor, need=need, terms=_terms(data, is_government=government)
        )
    return _detail(challenge)


def _managed(challenge_id: int) -> Challenge:
    return challenges.get_managed_challenge(actor=signed_caller(), challenge_id=challenge_id)


@bp.route("/challenges/<int:challenge_id>", methods=["PATCH"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ChallengeUpdateSchema)
@bp.response(200, s.ChallengeSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def update_challenge(data: dict[str, Any], challenge_id: int) -> dict[str, Any]:
    """Edit the terms of a challenge the reviewer sent back; it is then reviewed again (once
    listed, the terms cannot change: 409)."""
    challenge = _managed(challenge_id)
    terms = _terms(data, is_government=challenge.is_government, base=challenge)
    with _terms_errors():
        challenge_review.resubmit_challenge(actor=signed_caller(), challenge=challenge, terms=terms)
    return _detail(challenge)


@bp.route("/challenges/<int:challenge_id>/close", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.response(200, s.ChallengeSchema)
@documented_errors(400, 401, 403, 404, 409)
def close_challenge(challenge_id: int) -> dict[str, Any]:
    """End the application window early (with no application the challenge ends unawarded)."""
    challenge = _managed(challenge_id)
    challenges.close_applications(actor=signed_caller(), challenge=challenge)
    return _detail(challenge)


@bp.route("/challenges/<int:challenge_id>/withdraw", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ChallengeReasonSchema)
@bp.response(200, s.ChallengeSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def withdraw_challenge(data: dict[str, Any], challenge_id: int) -> dict[str, Any]:
    """Take an open (or unlisted) challenge down with a reason the applicants see."""
    challenge = _managed(challenge_id)
    challenges.withdraw_challenge(actor=signed_caller(), challenge=challenge, reason=data["reason"])
    return _detail(challenge)


@bp.route("/challenges/<int:challenge_id>/invitations", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ChallengeInviteSchema)
@bp.response(200, s.ChallengeInvitedSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def invite_to_challenge(data: dict[str, Any], challenge_id: int) -> dict[str, Any]:
    """Invite organisations to apply (unknown, unverified, the owner and those already invited
    are skipped); answers the ones newly invited."""
    challenge = _managed(challenge_id)
    found = (db.session.get(Organisation, i) for i in data["organisation_ids"])
    created = challenges.invite_organisations(
        actor=signed_caller(),
        challenge=challenge,
        organisations=[o for o in found if o is not None],
    )
    return {"organisation_ids": [i.organisation_id for i in created]}


# --- challenges: the platform's review ----------------------------------------------------------
@bp.route("/challenges/<int:challenge_id>/approve", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.response(200, s.ChallengeSchema)
@documented_errors(400, 401, 403, 404, 409)
def approve_challenge(challenge_id: int) -> dict[str, Any]:
    """Admins: list a challenge waiting for review (public and open for applications)."""
    challenge = challenges.get_visible_challenge(user=signed_caller(), challenge_id=challenge_id)
    challenge_review.approve_challenge(actor=signed_caller(), challenge=challenge)
    return _detail(challenge)


@bp.route("/challenges/<int:challenge_id>/reject", methods=["POST"])
@WRITE
@bp.doc(security=BEARER)
@bp.arguments(s.ChallengeRejectSchema)
@bp.response(200, s.ChallengeSchema)
@documented_errors(400, 401, 403, 404, 409, 422)
def reject_challenge(data: dict[str, Any], challenge_id: int) -> dict[str, Any]:
    """Admins: send a challenge back to its owner with a reason code and text."""
    challenge = challenges.get_visible_challenge(user=signed_caller(), challenge_id=challenge_id)
    challenge_review.reject_challenge(
        actor=signed_caller(), challenge=challenge, code=data["code"], reason=data["reason"]
    )
    return _detail(challenge)
