"""The directory's expert profiles for their keepers and reviewers: the keepers' drafts, edits,
steps and matches; the admins' review. The organisations and the public 人才 pages are in
`directory.py`; see api/common.py for the conventions.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from matchmaker.api import schemas as s
from matchmaker.api.auth import BEARER, signed_caller, token_required
from matchmaker.api.common import (
    bp,
    documented_errors,
    paged,
)
from matchmaker.api.directory import field
from matchmaker.api.listings import summary as listing_summary
from matchmaker.api.schemas import directory as d
from matchmaker.models import ExpertProfile, User
from matchmaker.models.expert import OFFER_KEYS
from matchmaker.permissions import Permission, has_permission
from matchmaker.services import matching
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.talent import expert_review, expert_states, experts

#: The steps a profile's keepers take (the rest of the machine belongs to reviewers and jobs).
KEEPER_STEPS = ("edit", "submit", "retract", "withdraw")
REVIEW_STEPS = ("approve", "reject")


# --- experts: keepers and reviewers -------------------------------------------------------------
def _record(expert: ExpertProfile, actor: User, steps: tuple[str, ...]) -> dict[str, Any]:
    public = experts.is_public(expert)
    return {
        "id": expert.id,
        "status": str(expert.status),
        "organisation": {"id": expert.organisation.id, "name": expert.organisation.name},
        "name": expert.name,
        "title": expert.title,
        "unit": expert.unit,
        "field": field(expert.field),
        "field_id": expert.field_id,
        "directions": expert.directions,
        "keywords": expert.keyword_list,
        "biography": expert.biography,
        "patents": list(expert.patents or []),
        "offers": expert.offer_codes,
        "availability": expert.availability,
        "contact_phone": expert.contact_phone,
        "contact_email": expert.contact_email,
        "contact_visibility": "signed_in" if expert.contact_public else "members",
        "result_ids": sorted(r.id for r in expert.results),
        "is_self": expert.user_id is not None and expert.user_id == actor.id,
        "is_public": public,
        "actions": [a for a in expert_states.EXPERT.allowed(expert) if a in steps],
        "review_reason_code": expert.review_reason_code,
        "review_reason": expert.review_reason,
        "created_at": expert.created_at,
        "updated_at": expert.updated_at,
        "submitted_at": expert.submitted_at,
        "reviewed_at": expert.reviewed_at,
        "published_at": expert.published_at,
        "expires_at": expert.expires_at,
        "url": url_for("talent.show_expert", expert_id=expert.id, _external=True)
        if public
        else None,
    }


def _keeper_record(expert: ExpertProfile, actor: User) -> dict[str, Any]:
    return _record(expert, actor, KEEPER_STEPS)


def _data(values: dict[str, Any], *, user_id: int | None) -> experts.ExpertData:
    """The body (merged over the saved values for an update) as the web form hands it over."""
    offers = 0
    for key in values["offers"]:
        offers |= int(OFFER_KEYS[key])
    return experts.ExpertData(
        name=values["name"],
        title=values["title"],
        unit=values["unit"],
        field_id=values["field_id"],
        directions=values["directions"],
        keywords=",".join(values["keywords"]),
        biography=values["biography"],
        patents=list(values["patents"]),
        offers=offers,
        availability=values["availability"],
        contact_phone=values["contact_phone"],
        contact_email=values["contact_email"],
        contact_public=values["contact_visibility"] == "signed_in",
        result_ids=list(values["result_ids"]),
        user_id=user_id,
    )


def _saved(expert: ExpertProfile) -> dict[str, Any]:
    return {
        "name": expert.name,
        "title": expert.title,
        "unit": expert.unit,
        "field_id": expert.field_id,
        "directions": expert.directions,
        "keywords": expert.keyword_list,
        "biography": expert.biography,
        "patents": list(expert.patents or []),
        "offers": expert.offer_codes,
        "availability": expert.availability,
        "contact_phone": expert.contact_phone,
        "contact_email": expert.contact_email,
        "contact_visibility": "signed_in" if expert.contact_public else "members",
        "result_ids": sorted(r.id for r in expert.results),
    }


@bp.route("/my/experts", methods=["GET"])
@token_required("read", "directory")
@bp.doc(security=BEARER)
@bp.arguments(s.PageQuerySchema, location="query")
@bp.response(200, d.ExpertRecordPageSchema)
@documented_errors(401, 403, 422)
def list_my_experts(query: dict[str, Any]) -> dict[str, Any]:
    """我的专家: the profiles the caller's university or institute keeps, newest first."""
    actor = signed_caller()
    experts.require_keeper(actor)
    assert actor.organisation_id is not None  # noqa: S101 - a keeper belongs to one
    items = experts.organisation_experts(organisation_id=actor.organisation_id)
    return paged(items, query).as_dict(lambda e: _keeper_record(e, actor))


@bp.route("/my/experts/<int:expert_id>", methods=["GET"])
@token_required("read", "directory")
@bp.doc(security=BEARER)
@bp.response(200, d.ExpertRecordSchema)
@documented_errors(401, 403, 404)
def get_my_expert(expert_id: int) -> dict[str, Any]:
    """One of my organisation's profiles, its working copy and the steps it allows."""
    actor = signed_caller()
    return _keeper_record(experts.get_owned(actor=actor, expert_id=expert_id), actor)


@bp.route("/experts", methods=["POST"])
@token_required("write", "directory")
@bp.doc(security=BEARER)
@bp.arguments(d.ExpertWriteSchema)
@bp.response(201, d.ExpertRecordSchema)
@documented_errors(401, 403, 422)
def create_expert(data: dict[str, Any]) -> dict[str, Any]:
    """A new draft profile for a researcher of the caller's university or institute (the
    fields of the web form; unknown fields, such as status or organisation_id, are a 422)."""
    actor = signed_caller()
    expert = experts.create_expert(
        actor=actor, data=_data(data, user_id=actor.id if data["is_self"] else None)
    )
    return _keeper_record(expert, actor)


@bp.route("/experts/<int:expert_id>", methods=["PATCH"])
@token_required("write", "directory")
@bp.doc(security=BEARER)
@bp.arguments(d.ExpertPatchSchema, required=False)
@bp.response(200, d.ExpertRecordSchema)
@documented_errors(401, 403, 404, 409, 422)
def update_expert(data: dict[str, Any], expert_id: int) -> dict[str, Any]:
    """Change the fields sent; an edit of substance to a published profile goes to review again
    (its approved version stays public meanwhile)."""
    actor = signed_caller()
    expert = experts.get_owned(actor=actor, expert_id=expert_id)
    user_id = expert.user_id
    if "is_self" in data:  # as the web form: unticked keeps a colleague, drops oneself
        other = expert.user_id if expert.user_id != actor.id else None
        user_id = actor.id if data["is_self"] else other
    values = {**_saved(expert), **{k: v for k, v in data.items() if k != "is_self"}}
    experts.update_expert(actor=actor, expert=expert, data=_data(values, user_id=user_id))
    return _keeper_record(expert, actor)


def _keeper_step(expert_id: int, service: Any) -> dict[str, Any]:
    actor = signed_caller()
    expert = experts.get_owned(actor=actor, expert_id=expert_id)
    service(actor=actor, expert=expert)
    return _keeper_record(expert, actor)


@bp.route("/experts/<int:expert_id>/submit", methods=["POST"])
@token_required("write", "directory")
@bp.doc(security=BEARER)
@bp.response(200, d.ExpertRecordSchema)
@documented_errors(401, 403, 404, 409, 422)
def submit_expert(expert_id: int) -> dict[str, Any]:
    """Send a profile to the platform's review (what it lacks is a 422 naming the fields)."""
    return _keeper_step(expert_id, experts.submit_expert)


@bp.route("/experts/<int:expert_id>/retract", methods=["POST"])
@token_required("write", "directory")
@bp.doc(security=BEARER)
@bp.response(200, d.ExpertRecordSchema)
@documented_errors(401, 403, 404, 409)
def retract_expert(expert_id: int) -> dict[str, Any]:
    """Take a profile back from review to draft."""
    return _keeper_step(expert_id, experts.retract_expert)


@bp.route("/experts/<int:expert_id>/withdraw", methods=["POST"])
@token_required("write", "directory")
@bp.doc(security=BEARER)
@bp.response(200, d.ExpertRecordSchema)
@documented_errors(401, 403, 404, 409)
def withdraw_expert(expert_id: int) -> dict[str, Any]:
    """Take a profile off the public 人才 pages (its kept approved version too)."""
    return _keeper_step(expert_id, experts.withdraw_expert)


def _match(rec: matching.Recommendation) -> dict[str, Any]:
    why = rec.why
    return {
        "listing": listing_summary(rec.publication),
        "score": rec.percent,
        "text_points": why.text_points,
        "terms": list(why.terms),
        "pairs": [list(pair) for pair in why.pairs],
        "factors": [
            {"factor": r.factor, "points": r.points} for r in (*why.bonuses, *why.penalties)
        ],
    }


@bp.route("/experts/<int:expert_id>/matches", methods=["GET"])
@token_required("read", "directory")
@bp.doc(security=BEARER)
@bp.arguments(d.ExpertMatchQuerySchema, location="query")
@bp.response(200, d.ExpertMatchesSchema)
@documented_errors(401, 403, 404, 422)
def expert_matches(query: dict[str, Any], expert_id: int) -> dict[str, Any]:
    """为这位专家推荐 (its keepers, as on their page): public needs of other organisations and
    open public challenges its directions match, best first, with score and explanation."""
    expert = experts.get_owned(actor=signed_caller(), expert_id=expert_id)
    found = matching.recommend_for_expert(expert, k=query["limit"])
    return {
        "needs": [_match(rec) for rec in found.needs],
        "challenges": [
            {
                "challenge": {
                    "id": c.challenge.id,
                    "bounty_wan": c.challenge.bounty_wan or None,
                    "deadline_at": c.challenge.deadline_at,
                    "url": url_for(
                        "challenges.show_challenge", challenge_id=c.challenge.id, _external=True
                    ),
                },
                "match": _match(c.recommendation),
            }
            for c in found.challenges
        ],
    }


# --- the admins' review -------------------------------------------------------------------------
def _review_record(expert: ExpertProfile, actor: User) -> dict[str, Any]:
    return _record(expert, actor, REVIEW_STEPS)


@bp.route("/review/experts", methods=["GET"])
@token_required("read", "directory")
@bp.doc(security=BEARER)
@bp.arguments(s.PageQuerySchema, location="query")
@bp.response(200, d.ExpertRecordPageSchema)
@documented_errors(401, 403, 422)
def list_expert_reviews(query: dict[str, Any]) -> dict[str, Any]:
    """The profiles waiting for review (admins), oldest submission first."""
    actor = signed_caller()
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    items = expert_review.pending_experts()
    return paged(items, query).as_dict(lambda e: _review_record(e, actor))


@bp.route("/review/experts/<int:expert_id>", methods=["GET"])
@token_required("read", "directory")
@bp.doc(security=BEARER)
@bp.response(200, d.ExpertRecordSchema)
@documented_errors(401, 403, 404)
def get_expert_review(expert_id: int) -> dict[str, Any]:
    """Any profile, as the reviewer sees it (admins)."""
    actor = signed_caller()
    return _review_record(expert_review.get_for_review(actor=actor, expert_id=expert_id), actor)


@bp.route("/experts/<int:expert_id>/approve", methods=["POST"])
@token_required("write", "directory")
@bp.doc(security=BEARER)
@bp.response(200, d.ExpertRecordSchema)
@documented_errors(401, 403, 404, 409)
def approve_expert(expert_id: int) -> dict[str, Any]:
    """Approve a pending profile (admins): it goes on the public 人才 pages for a year."""
    actor = signed_caller()
    expert = expert_review.get_for_review(actor=actor, expert_id=expert_id)
    expert_review.approve_expert(actor=actor, expert=expert)
    return _review_record(expert, actor)


@bp.route("/experts/<int:expert_id>/reject", methods=["POST"])
@token_required("write", "directory")
@bp.doc(security=BEARER)
@bp.arguments(d.ExpertRejectSchema)
@bp.response(200, d.ExpertRecordSchema)
@documented_errors(401, 403, 404, 409, 422)
def reject_expert(data: dict[str, Any], expert_id: int) -> dict[str, Any]:
    """Send a pending profile back to its keepers as a draft, with a coded reason (admins)."""
    actor = signed_caller()
    expert = expert_review.get_for_review(actor=actor, expert_id=expert_id)
    expert_review.reject_expert(
        actor=actor, expert=expert, code=data["code"], reason=data["reason"]
    )
    return _review_record(expert, actor)
