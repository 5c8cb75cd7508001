"""Results and needs for their owners and reviewers: the owners' lists (/my/*) and working
copies, create, update and the steps of their life cycle; for admins the review queue and steps.
The public lists, details, matches and the site search are in `listings.py`."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import marshmallow as ma
from flask import url_for

from matchmaker.api import schemas as s
from matchmaker.api.auth import BEARER, signed_caller, token_required
from matchmaker.api.common import (
    bp,
    documented_errors,
    paged,
)
from matchmaker.api.listings import field
from matchmaker.api.schemas import listings as ls
from matchmaker.extensions import db
from matchmaker.models import Listing, Need, Result, User, listing_model
from matchmaker.permissions import (
    LISTING_PERMISSION,
    Permission,
    can_manage_listing,
    can_view_listing,
    has_permission,
)
from matchmaker.services.errors import NotFound, PermissionDenied
from matchmaker.services.market import listing_states, listings
from matchmaker.web.listings.links import link_for

# --- owners and reviewers: working copies -------------------------------------------------------
WORKING_SCHEMAS: dict[str, type[ma.Schema]] = {
    "result": ls.ResultWorkingSchema,
    "need": ls.NeedWorkingSchema,
}
LISTING_DATA: dict[str, type[listings.ResultData] | type[listings.NeedData]] = {
    "result": listings.ResultData,
    "need": listings.NeedData,
}
#: The steps an owner may ask for, by kind (the web page's ACTIONS), and a reviewer's.
OWNER_STEPS: dict[str, tuple[str, ...]] = {
    "result": ("submit", "retract", "withdraw", "confirm", "transfer"),
    "need": ("submit", "retract", "withdraw", "confirm"),
}
REVIEW_STEPS = ("approve", "reject")


def _working_summary(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.id,
        "kind": listing.KIND,
        "status": str(listing.status),
        "title": listing.title,
        "summary": listing.summary,
        "keywords": listing.keyword_list,
        "region": listing.region,
        "field": field(listing.field),
        "organisation": {"id": listing.organisation.id, "name": listing.organisation.name},
        "has_public_version": listing.has_public_version,
        "review_reason_code": listing.review_reason_code,
        "review_reason": listing.review_reason,
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
        "submitted_at": listing.submitted_at,
        "reviewed_at": listing.reviewed_at,
        "published_at": listing.published_at,
        "expires_at": listing.expires_at,
        "url": url_for(
            "listings.show", kinds=f"{listing.KIND}s", listing_id=listing.id, _external=True
        ),
    }


def _actions(actor: User, listing: Listing) -> list[str]:
    machine = listing_states.machine_of(listing)
    steps: tuple[str, ...] = ()
    if can_manage_listing(actor, listing):
        steps = OWNER_STEPS[listing.KIND]
    elif has_permission(actor, Permission.LISTING_REVIEW):
        steps = REVIEW_STEPS
    return [step for step in steps if machine.can(listing, step)]


def _working(actor: User, listing: Listing) -> dict[str, Any]:
    """The full working copy, as WORKING_SCHEMAS[kind] describes it."""
    out = {
        **_working_summary(listing),
        "contact_name": listing.contact_name,
        "contact_phone": listing.contact_phone,
        "contact_email": listing.contact_email,
        "confirmed_at": listing.confirmed_at,
        "actions": _actions(actor, listing),
        "description": listing.description,
    }
    if isinstance(listing, Result):
        out.update(
            trl=listing.trl,
            patents=list(listing.patents or []),
            software_copyrights=list(listing.software_copyrights or []),
            modes=[name for name, mode in ls.MODE_NAMES.items() if listing.modes & mode],
            trial_terms=listing.trial_terms,
            price_wan=listing.price_wan,
            team=listing.team,
        )
    elif isinstance(listing, Need):
        out.update(
            targets=listing.targets,
            existing_base=listing.existing_base,
            budget_wan=listing.budget_wan,
            deadline=listing.deadline,
        )
    return out


def _viewable(kind: str, listing_id: int) -> tuple[User, Listing]:
    """A listing the caller may see the working copy of (owners, reviewers), else NotFound."""
    actor = signed_caller()
    listing = cast(Listing | None, db.session.get(listing_model(kind), listing_id))
    if listing is None or not can_view_listing(actor, listing):
        raise NotFound
    return actor, listing


def _owned(kind: str, listing_id: int) -> tuple[User, Listing]:
    """A listing of the caller's organisation (anyone else's: NotFound)."""
    actor = signed_caller()
    return actor, listings.get_owned(actor=actor, kind=kind, listing_id=listing_id)


def _own_list(kind: str, query: dict[str, Any]) -> dict[str, Any]:
    actor = signed_caller()
    if not has_permission(actor, LISTING_PERMISSION[kind]) or actor.organisation_id is None:
        raise PermissionDenied  # the web's 我的成果/我的需求 page refuses these roles too
    items = listings.organisation_listings(organisation_id=actor.organisation_id, kind=kind)
    if query["status"]:
        items = [item for item in items if str(item.status) == query["status"]]
    if text := query["q"].strip().casefold():
        items = [
            item
            for item in items
            if text in item.title.casefold() or text in item.keywords.casefold()
        ]
    if query["sort"] == "created":
        items.sort(key=lambda item: (item.created_at, item.id), reverse=True)
    elif query["sort"] == "title":
        items.sort(key=lambda item: (item.title, item.id))
    return paged(items, query).as_dict(_working_summary)


@bp.route("/my/results", methods=["GET"])
@token_required("read", "market")
@bp.doc(security=BEARER)
@bp.arguments(ls.OwnListingQuerySchema, location="query")
@bp.response(200, ls.OwnListingPageSchema)
@documented_errors(401, 403, 422)
def list_my_results(query: dict[str, Any]) -> dict[str, Any]:
    """我的成果: the caller organisation's results in every state (universities)."""
    return _own_list("result", query)


@bp.route("/my/needs", methods=["GET"])
@token_required("read", "market")
@bp.doc(security=BEARER)
@bp.arguments(ls.OwnListingQuerySchema, location="query")
@bp.response(200, ls.OwnListingPageSchema)
@documented_errors(401, 403, 422)
def list_my_needs(query: dict[str, Any]) -> dict[str, Any]:
    """我的需求: the caller organisation's needs in every state (enterprises)."""
    return _own_list("need", query)


@bp.route("/review/listings", methods=["GET"])
@token_required("read", "market")
@bp.doc(security=BEARER)
@bp.arguments(s.PageQuerySchema, location="query")
@bp.response(200, ls.OwnListingPageSchema)
@documented_errors(401, 403, 422)
def list_review_queue(query: dict[str, Any]) -> dict[str, Any]:
    """The review queue (admins): results and needs waiting, oldest submission first."""
    if not has_permission(signed_caller(), Permission.LISTING_REVIEW):
        raise PermissionDenied
    return paged(listings.review_queue_query(), query).as_dict(_working_summary)


@bp.route("/results/<int:listing_id>/working", methods=["GET"])
@token_required("read", "market")
@bp.doc(security=BEARER)
@bp.response(200, ls.ResultWorkingSchema)
@documented_errors(401, 403, 404)
def get_result_working(listing_id: int) -> dict[str, Any]:
    """A result's working copy with its state and review reason (its owners and reviewers)."""
    return _working(*_viewable("result", listing_id))


@bp.route("/needs/<int:listing_id>/working", methods=["GET"])
@token_required("read", "market")
@bp.doc(security=BEARER)
@bp.response(200, ls.NeedWorkingSchema)
@documented_errors(401, 403, 404)
def get_need_working(listing_id: int) -> dict[str, Any]:
    """A need's working copy with its state and review reason (its owners and reviewers)."""
    return _working(*_viewable("need", listing_id))


# --- owners: create and update ------------------------------------------------------------------
def _values(given: dict[str, Any]) -> dict[str, Any]:
    """The request's fields as the service's data classes take them (as the web form's to_data)."""
    values = dict(given)
    if "keywords" in values:
        values["keywords"] = listings.normalise_keywords(values["keywords"])
    if "patents" in values:
        values["patents"] = tuple(dict(patent) for patent in values["patents"])
    if "software_copyrights" in values:
        values["software_copyrights"] = tuple(
            line.strip() for line in values["software_copyrights"] if line.strip()
        )
    if "modes" in values:
        values["modes"] = sum(int(ls.MODE_NAMES[name]) for name in set(values["modes"]))
    return values


def _saved_values(listing: Listing) -> dict[str, Any]:
    """A saved listing's values as its data class takes them (the web form's fill_from)."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(LISTING_DATA[listing.KIND]):
        if item.name == "extra":
            continue
        value = getattr(listing, item.name)
        if item.name == "keywords":
            value = tuple(listing.keyword_list)
        elif isinstance(value, list):
            value = tuple(value)
        values[item.name] = value
    return values


def _create(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    actor = signed_caller()
    data = LISTING_DATA[kind](**{"field_id": None, "keywords": (), **_values(given)})
    return _working(actor, listings.create_listing(actor=actor, data=data))


def _update(kind: str, listing_id: int, given: dict[str, Any]) -> dict[str, Any]:
    actor, listing = _owned(kind, listing_id)
    data = LISTING_DATA[kind](**{**_saved_values(listing), **_values(given)})
    listings.update_listing(actor=actor, listing=listing, data=data)
    return _working(actor, listing)


@bp.route("/results", methods=["POST"])
@token_required("write", "market")
@bp.doc(security=BEARER)
@bp.arguments(ls.ResultCreateSchema)
@bp.response(201, ls.ResultWorkingSchema)
@documented_errors(401, 403, 422)
def create_result(data: dict[str, Any]) -> dict[str, Any]:
    """A new result, saved as a draft of the caller's organisation (universities)."""
    return _create("result", data)


@bp.route("/needs", methods=["POST"])
@token_required("write", "market")
@bp.doc(security=BEARER)
@bp.arguments(ls.NeedCreateSchema)
@bp.response(201, ls.NeedWorkingSchema)
@documented_errors(401, 403, 422)
def create_need(data: dict[str, Any]) -> dict[str, Any]:
    """A new need, saved as a draft of the caller's organisation (enterprises)."""
    return _create("need", data)


@bp.route("/results/<int:listing_id>", methods=["PATCH"])
@token_required("write", "market")
@bp.doc(security=BEARER)
@bp.arguments(ls.ResultUpdateSchema, required=False)
@bp.response(200, ls.ResultWorkingSchema)
@documented_errors(401, 403, 404, 409, 422)
def update_result(data: dict[str, Any], listing_id: int) -> dict[str, Any]:
    """Change some fields of a result; editing a public one's substance sends it to review
    again (the public keeps the approved version meanwhile)."""
    return _update("result", listing_id, data)


@bp.route("/needs/<int:listing_id>", methods=["PATCH"])
@token_required("write", "market")
@bp.doc(security=BEARER)
@bp.arguments(ls.NeedUpdateSchema, required=False)
@bp.response(200, ls.NeedWorkingSchema)
@documented_errors(401, 403, 404, 409, 422)
def update_need(data: dict[str, Any], listing_id: int) -> dict[str, Any]:
    """Change some fields of a need; editing an open one's substance sends it to review again
    (the public keeps the approved version meanwhile)."""
    return _update("need", listing_id, data)


# --- transitions --------------------------------------------------------------------------------
STEP_SUMMARIES = {
    "submit": "Send a draft (or a withdrawn or expired {kind}) for review (verified "
    "organisations only).",
    "retract": "Take a {kind} back from the review queue into draft.",
    "withdraw": "Take a {kind} off the market (its public version disappears at once).",
    "confirm": "Confirm a public {kind} is still available: its validity is extended.",
    "transfer": "Mark a listed {kind} as transferred: it leaves the market.",
    "approve": "Approve a pending {kind} (admins): it, or its new version, goes public.",
    "reject": "Send a pending {kind} back to draft with a reason code and text (admins).",
}


def _step(kind: str, action: str, listing_id: int, body: dict[str, Any]) -> dict[str, Any]:
    if action in REVIEW_STEPS:
        actor, listing = _viewable(kind, listing_id)
        if action == "approve":
            listings.approve_listing(actor=actor, listing=listing, link_for=link_for)
        else:
            listings.reject_listing(
                actor=actor, listing=listing, code=body["code"], reason=body["reason"]
            )
        return _working(actor, listing)
    actor, listing = _owned(kind, listing_id)
    if action == "submit":
        listings.submit_listing(actor=actor, listing=listing)
    elif action == "retract":
        listings.retract_submission(actor=actor, listing=listing)
    elif action == "withdraw":
        listings.withdraw_listing(actor=actor, listing=listing, reason=body.get("reason"))
    elif action == "confirm":
        listings.confirm_listing(actor=actor, listing=listing)
    elif action == "transfer" and isinstance(listing, Result):
        listings.mark_transferred(actor=actor, listing=listing)
    return _working(actor, listing)


def _register_step(kind: str, action: str) -> None:
    """POST /{kind}s/{id}/{action}: one operation per step (endpoint api.{action}_{kind})."""
    body_schema = {"withdraw": ls.WithdrawListingSchema, "reject": ls.RejectListingSchema}.get(
        action
    )

    def view(*args: Any, listing_id: int) -> dict[str, Any]:
        return _step(kind, action, listing_id, args[0] if args else {})

    view.__name__ = view.__qualname__ = f"{action}_{kind}"
    view.__doc__ = STEP_SUMMARIES[action].format(kind=kind)
    decorated: Any = documented_errors(401, 403, 404, 409, 422)(view)
    decorated = bp.response(200, WORKING_SCHEMAS[kind])(decorated)
    if body_schema is not None:
        decorated = bp.arguments(body_schema, required=action == "reject")(decorated)
    decorated = bp.doc(security=BEARER)(decorated)
    decorated = token_required("write", "market")(decorated)
    bp.route(f"/{kind}s/<int:listing_id>/{action}", methods=["POST"])(decorated)


for _kind in ("result", "need"):
    for _action in (*OWNER_STEPS[_kind], *REVIEW_STEPS):
        _register_step(_kind, _action)
