"""Results and needs: the public lists and details and their matches, and the site search
(results, needs, expert profiles). The owners' working copies, writes and steps and the admins'
review are in `listing_writes.py`."""

from __future__ import annotations

import itertools
from typing import Any

from flask import current_app, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from matchmaker.api import schemas as s
from matchmaker.api.auth import anyone
from matchmaker.api.common import (
    bp,
    conditional,
    documented_errors,
    next_link,
    page_size_of,
    paged,
)
from matchmaker.api.schemas import listings as ls
from matchmaker.extensions import db
from matchmaker.models import Need, Publication, Result, TechField
from matchmaker.services import matching
from matchmaker.services.errors import NotFound
from matchmaker.services.market import browsing, publication
from matchmaker.services.talent import expert_search


# --- results and needs --------------------------------------------------------------------------
def summary(pub: Publication) -> dict[str, Any]:
    locale = str(get_locale() or "")
    return {
        "id": pub.listing_id,
        "kind": pub.kind,
        "title": pub.title,
        "summary": pub.summary,
        "keywords": list((pub.data or {}).get("keywords", [])),
        "region": pub.region,
        "field": {"code": pub.field.code, "name": pub.field.label(locale)} if pub.field else None,
        "organisation": {"id": pub.organisation.id, "name": pub.organisation.name},
        "trl": pub.trl,
        "amount_wan": pub.amount_wan,
        "deadline": pub.deadline,
        "published_at": pub.published_at,
        "approved_at": pub.approved_at,
        "url": url_for(f"market.{pub.kind}", listing_id=pub.listing_id, _external=True),
    }


def _list(kind: str, query: dict[str, Any]) -> dict[str, Any]:
    criteria = browsing.BrowseFilter(
        kind=kind,
        **{k: query[k] for k in ("q", "field", "stage", "mode", "price", "region", "org", "sort")},
    ).cleaned()
    size = page_size_of(query)
    page = browsing.browse_page(criteria, page=query["page"], per_page=size)
    following = next_link(query, page.has_next, page.page, size)
    return {
        "items": [summary(p) for p in page.items],
        "page": page.page,
        "page_size": size,
        "total": page.total,
        "next": following,
    }


@bp.route("/results", methods=["GET"])
@anyone
@bp.arguments(s.ListQuerySchema, location="query")
@bp.response(200, s.ListingPageSchema)
@documented_errors(422)
def list_results(query: dict[str, Any]) -> dict[str, Any]:
    """科技成果: the public results, with the filters and sorts of the web list."""
    return _list("result", query)


@bp.route("/needs", methods=["GET"])
@anyone
@bp.arguments(s.ListQuerySchema, location="query")
@bp.response(200, s.ListingPageSchema)
@documented_errors(422)
def list_needs(query: dict[str, Any]) -> dict[str, Any]:
    """技术需求: the open needs, with the filters and sorts of the web list."""
    return _list("need", query)


def _public(kind: str, listing_id: int) -> Publication:
    pub = publication.public_publication(kind, listing_id)
    if pub is None:  # a draft, one under review, withdrawn or expired: as if it did not exist
        raise NotFound
    return pub


def _detail(kind: str, listing_id: int) -> Response:
    pub = _public(kind, listing_id)
    data = dict(pub.data or {})
    data.pop("attachment_ids", None)
    data.pop("keywords", None)
    payload = {**summary(pub), "description": data.pop("description", None), "details": data}
    return conditional(s.ListingDetailSchema().dump(payload))


@bp.route("/results/<int:listing_id>", methods=["GET"])
@anyone
@bp.response(200, s.ListingDetailSchema)
@documented_errors(404)
def get_result(listing_id: int) -> Response:
    """A result's public version (ETag; If-None-Match answers 304)."""
    return _detail("result", listing_id)


@bp.route("/needs/<int:listing_id>", methods=["GET"])
@anyone
@bp.response(200, s.ListingDetailSchema)
@documented_errors(404)
def get_need(listing_id: int) -> Response:
    """A need's public version (ETag; If-None-Match answers 304)."""
    return _detail("need", listing_id)


def _matches(kind: str, model: type[Result] | type[Need], listing_id: int, limit: int) -> Any:
    _public(kind, listing_id)
    listing = db.session.get(model, listing_id)
    if not isinstance(listing, (Result, Need)):
        raise NotFound
    items = []
    for rec in matching.recommend_for(listing, k=limit):
        why = rec.why
        items.append(
            {
                "listing": summary(rec.publication),
                "score": rec.percent,
                "text_points": why.text_points,
                "terms": list(why.terms),
                "pairs": [list(pair) for pair in why.pairs],
                "factors": [
                    {"factor": r.factor, "points": r.points} for r in (*why.bonuses, *why.penalties)
                ],
            }
        )
    return {"items": items}


@bp.route("/results/<int:listing_id>/matches", methods=["GET"])
@anyone
@bp.arguments(s.MatchQuerySchema, location="query")
@bp.response(200, s.MatchListSchema)
@documented_errors(404, 422)
def result_matches(query: dict[str, Any], listing_id: int) -> Any:
    """The needs that match a public result, best first, with score and explanation."""
    return _matches("result", Result, listing_id, query["limit"])


@bp.route("/needs/<int:listing_id>/matches", methods=["GET"])
@anyone
@bp.arguments(s.MatchQuerySchema, location="query")
@bp.response(200, s.MatchListSchema)
@documented_errors(404, 422)
def need_matches(query: dict[str, Any], listing_id: int) -> Any:
    """The results that match a public need, best first, with score and explanation."""
    return _matches("need", Need, listing_id, query["limit"])


def field(tech_field: TechField | None) -> dict[str, str] | None:
    if tech_field is None:
        return None
    return {"code": tech_field.code, "name": tech_field.label(str(get_locale() or ""))}


# --- search -------------------------------------------------------------------------------------
#: At most this many hits of each kind (the best ones) make up a search's answer.
SEARCH_LIMIT = 200


def _listing_hits(kind: str, q: str) -> list[dict[str, Any]]:
    criteria = browsing.BrowseFilter(kind=kind, q=q).cleaned()
    if not criteria.terms:  # nothing searchable in q: no hits (never the whole list)
        return []
    page = browsing.browse_page(criteria, page=1, per_page=SEARCH_LIMIT)
    return [
        {
            "kind": kind,
            "id": pub.listing_id,
            "title": pub.title,
            "summary": pub.summary,
            "organisation": {"id": pub.organisation.id, "name": pub.organisation.name},
            "field": field(pub.field),
            "url": url_for(f"market.{kind}", listing_id=pub.listing_id, _external=True),
            "api_url": url_for(f"api.get_{kind}", listing_id=pub.listing_id, _external=True),
        }
        for pub in page.items
    ]


def expert_api_url(expert_id: int) -> str | None:
    """The API detail of a public expert profile (the directory area's, when it is there)."""
    if "api.get_expert" not in current_app.view_functions:
        return None
    return url_for("api.get_expert", expert_id=expert_id, _external=True)


def _expert_hits(q: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": "expert",
            "id": expert.id,
            "title": expert.name,
            "summary": " · ".join(x for x in (expert.title, expert.unit, expert.directions) if x)[
                :200
            ],
            "organisation": {"id": expert.organisation.id, "name": expert.organisation.name},
            "field": field(expert.field),
            "url": url_for("talent.show_expert", expert_id=expert.id, _external=True),
            "api_url": expert_api_url(expert.id),
        }
        for expert in expert_search.matching_experts(q, limit=SEARCH_LIMIT)
    ]


@bp.route("/search", methods=["GET"])
@anyone
@bp.arguments(ls.SearchQuerySchema, location="query")
@bp.response(200, ls.SearchPageSchema)
@documented_errors(422)
def site_search(query: dict[str, Any]) -> dict[str, Any]:
    """Search the public results, needs and expert profiles (or one `kind`), best first.

    Every word must occur (as on the web lists). The kinds are interleaved: the best result,
    the best need, the best expert, then the second of each... At most 200 hits per kind."""
    kinds = [query["kind"]] if query["kind"] else list(ls.SEARCH_KINDS)
    lists = [
        _expert_hits(query["q"]) if k == "expert" else _listing_hits(k, query["q"]) for k in kinds
    ]
    merged = [hit for row in itertools.zip_longest(*lists) for hit in row if hit is not None]
    return paged(merged, query).as_dict()
