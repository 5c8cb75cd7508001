"""Results and needs: the public lists and details, and their matches."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from matchmaker.api import schemas as s
from matchmaker.api.auth import anyone
from matchmaker.api.common import bp, conditional, documented_errors, next_link, page_size_of
from matchmaker.extensions import db
from matchmaker.models import Need, Publication, Result
from matchmaker.services import matching
from matchmaker.services.errors import NotFound
from matchmaker.services.market import browsing, publication


# --- results and needs --------------------------------------------------------------------------
def _summary(pub: Publication) -> dict[str, Any]:
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
        "items": [_summary(p) for p in page.items],
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
    payload = {**_summary(pub), "description": data.pop("description", None), "details": data}
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
                "listing": _summary(rec.publication),
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
