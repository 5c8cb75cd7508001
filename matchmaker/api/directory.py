"""The directory: organisations (verified ones for everyone) and the public expert profiles (the
人才 search and pages); see api/common.py for the conventions. The keepers' drafts, edits and
steps and the admins' review of expert profiles are in `expert_keepers.py`.

What a caller sees beyond the public version (an unverified organisation and its credit code, an
expert's contact) follows the same rules as the web pages, for the token's user, and only when
the token may read the directory area (a token limited to another area reads as a visitor).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from matchmaker.api.auth import anyone, caller
from matchmaker.api.common import (
    bp,
    conditional,
    documented_errors,
    next_link,
    page_size_of,
    paginate,
)
from matchmaker.api.schemas import directory as d
from matchmaker.extensions import db
from matchmaker.models import Organisation, TechField, User
from matchmaker.models.expert import OFFER_KEYS, OFFER_LABELS
from matchmaker.services.accounts import api_tokens, directory
from matchmaker.services.connect import enquiries
from matchmaker.services.platform.regions import region_label
from matchmaker.services.talent import expert_search, experts


# --- who is asking ------------------------------------------------------------------------------
def _viewer() -> User | None:
    """The token's user for what only some users see (contacts, unverified organisations), if
    the token may read the directory; otherwise the call reads as a visitor's."""
    token = g.get("api_token")
    if token is None or not api_tokens.grants(token.scopes, "read", "directory"):
        return None
    return caller()


def _locale() -> str:
    return str(get_locale() or "")


def field(tech_field: TechField | None) -> dict[str, str] | None:
    if tech_field is None:
        return None
    return {"code": tech_field.code, "name": tech_field.label(_locale())}


# --- organisations ------------------------------------------------------------------------------
def _organisation(org: Organisation, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "kind": str(org.kind),
        "region": org.region,
        "region_name": region_label(org.region),
        "status": str(org.status),
        "counts": {
            "results": counts["result"],
            "needs": counts["need"],
            "experts": counts["expert"],
        },
        "url": url_for("market.organisation", org_id=org.id, _external=True),
    }


@bp.route("/organisations", methods=["GET"])
@anyone
@bp.arguments(d.OrganisationQuerySchema, location="query")
@bp.response(200, d.OrganisationPageSchema)
@documented_errors(422)
def list_organisations(query: dict[str, Any]) -> dict[str, Any]:
    """机构: the verified organisations, by kind, region and name, with their public counts."""
    statement = directory.directory_query(
        kind=query["kind"], region=query["region"], q=query["q"], sort=query["sort"]
    )
    page = paginate(statement, query)
    counts = directory.public_counts([org.id for org in page.items])
    return page.as_dict(lambda org: _organisation(org, counts[org.id]))


@bp.route("/organisations/<int:org_id>", methods=["GET"])
@anyone
@bp.response(200, d.OrganisationDetailSchema)
@documented_errors(404)
def get_organisation(org_id: int) -> Response:
    """An organisation's public page (ETag). One not verified (yet) is 404 except to its own
    members and admins, who also see its credit code and review reason."""
    viewer = _viewer()
    org = directory.get_visible(viewer=viewer, organisation_id=org_id)
    private = directory.may_see_private(viewer, org)
    stats = enquiries.response_stats(org.id)
    payload = {
        **_organisation(org, directory.public_counts([org.id])[org.id]),
        "description": org.description,
        "response": None
        if stats is None
        else {
            "rate_percent": stats.rate_percent,
            "median_hours": stats.median_hours,
            "received": stats.received,
        },
        "credit_code": org.credit_code if private else None,
        "review_reason": org.review_reason if private else None,
    }
    return conditional(d.OrganisationDetailSchema().dump(payload))


# --- experts: the public 人才 pages -------------------------------------------------------------
def _public_summary(view: experts.PublicExpert) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "title": view.title,
        "unit": view.unit,
        "organisation": {"id": view.organisation.id, "name": view.organisation.name},
        "field": field(view.field),
        "directions": view.directions,
        "keywords": view.keyword_list,
        "offers": view.offer_codes,
        "availability": view.availability,
        "published_at": view.published_at,
        "expires_at": view.expires_at,
        "under_review": view.under_review,
        "url": url_for("talent.show_expert", expert_id=view.id, _external=True),
    }


def _facets(facets: expert_search.Facets) -> dict[str, Any]:
    return {
        "fields": [
            {"code": f.code, "name": f.label(_locale()), "count": n} for f, n in facets.fields
        ],
        "offers": [
            {"offer": key, "name": str(OFFER_LABELS[OFFER_KEYS[key]]), "count": n}
            for key, n in facets.offers
        ],
        "organisations": [
            {"id": org.id, "name": org.name, "count": n} for org, n in facets.organisations
        ],
    }


@bp.route("/experts", methods=["GET"])
@anyone
@bp.arguments(d.ExpertQuerySchema, location="query")
@bp.response(200, d.ExpertPageSchema)
@documented_errors(422)
def list_experts(query: dict[str, Any]) -> dict[str, Any]:
    """人才: the public expert profiles, searched and filtered as on the 人才 page, with its
    facet counts (never a contact)."""
    field_id = None
    if query["field"]:
        field_id = db.session.scalar(
            sa.select(TechField.id).where(TechField.code == query["field"])
        )
    size = page_size_of(query)
    page, facets = expert_search.search_experts(
        expert_search.ExpertQuery(
            q=query["q"].strip(),
            field_id=field_id,
            offer=query["offer"],
            organisation_id=query["org"],
            page=query["page"],
            per_page=size,
        )
    )
    return {
        "items": [_public_summary(view) for view in page.items],
        "page": query["page"],
        "page_size": size,
        "total": page.total,
        "next": next_link(query, page.has_next, query["page"], size),
        "facets": _facets(facets),
    }


@bp.route("/experts/<int:expert_id>", methods=["GET"])
@anyone
@bp.response(200, d.ExpertDetailSchema)
@documented_errors(404)
def get_expert(expert_id: int) -> Response:
    """A public expert profile (its approved version; ETag). The contact only for whom the
    staged disclosure allows: never a visitor, and only with a token that reads the directory."""
    profile = experts.get_public(expert_id)
    view = experts.public_view(profile)
    payload = {
        **_public_summary(view),
        "biography": view.biography,
        "patents": list(view.patents),
        "results": [
            {
                "id": r.id,
                "title": r.publication.title,
                "url": url_for("market.result", listing_id=r.id, _external=True),
            }
            for r in view.results
            if r.publication is not None
        ],
        "contact": experts.visible_contact(_viewer(), profile),
    }
    return conditional(d.ExpertDetailSchema().dump(payload))
