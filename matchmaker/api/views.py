"""The v1 endpoints: tokens, public results and needs with their matches, statistics, and the
OpenAPI document with its documentation page. Each view validates with a schema, calls the
services the web pages call, and answers JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import current_app, g, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_smorest import Blueprint
from werkzeug.wrappers import Response

from matchmaker.api import EXTENSION, errors
from matchmaker.api import schemas as s
from matchmaker.api.auth import BEARER, anyone, authenticate_request, token_required
from matchmaker.api.errors import ApiError
from matchmaker.api.schemas import ErrorSchema
from matchmaker.extensions import db, limiter
from matchmaker.models import Need, Publication, Result
from matchmaker.services import matching
from matchmaker.services.accounts import accounts, api_tokens
from matchmaker.services.errors import NotFound
from matchmaker.services.market import browsing, publication
from matchmaker.services.platform import stats

bp = Blueprint(
    "api", __name__, description="JSON API v1: tokens, results, needs, matches, statistics."
)
bp.before_request(authenticate_request)
errors.register(bp)


@bp.after_request
def private_answers(response: Response) -> Response:
    """Answers depend on the token and the language; those made for a token are never cached."""
    response.vary.update(("Accept-Language", "Authorization"))
    if g.get("api_token") is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


#: The login form's limits (web/auth/views.py login: the same config keys and key functions),
#: counted in the login form's own buckets: flask-limiter names a route's bucket
#: "<endpoint>[:<scope>]", and a shared limit with that name adds to it. So the web form and
#: the API share one count per address and one per account (tests/api/test_tokens.py).
LOGIN_IP_BUCKET = "auth.login"
LOGIN_ACCOUNT_BUCKET = "auth.login:login-account"


def _documented_errors(*codes: int) -> Callable[[Any], Any]:
    """The error answers an operation may give, described in the OpenAPI document."""

    def decorate(view: Any) -> Any:
        for code in codes:
            view = bp.alt_response(code, schema=ErrorSchema, description=f"Error {code}")(view)
        return view

    return decorate


# --- tokens -------------------------------------------------------------------------------------
def _token_account_key() -> str:
    body = request.get_json(silent=True)
    email = body.get("email", "") if isinstance(body, dict) else ""
    return (
        "login-account:" + accounts.normalise_email(email if isinstance(email, str) else "")[:254]
    )


def _failed(response: Response) -> bool:
    return response.status_code != 201


@bp.route("/tokens", methods=["POST"])
@anyone
@limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
    scope=LOGIN_IP_BUCKET,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    scope=LOGIN_ACCOUNT_BUCKET,
    key_func=_token_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
@bp.arguments(s.TokenRequestSchema)
@bp.response(201, s.TokenSchema)
@_documented_errors(401, 422, 429)
def create_token(data: dict[str, Any]) -> dict[str, Any]:
    """Exchange e-mail and password for a personal access token (shown once).

    Rate limited exactly like the login form. Accounts have no second factor yet."""
    user = accounts.authenticate(email=data["email"], password=data["password"])
    if user is None:
        raise ApiError(401, "invalid_credentials", _("邮箱或密码不正确，或账号已停用。"))
    made = api_tokens.create_token(
        user=user,
        name=data["name"],
        scopes=data["scopes"],
        expires_in_days=data["expires_in_days"],
    )
    return {"token": made.secret, "expires_at": made.token.expires_at, "scopes": made.token.scopes}


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
    size = min(query["page_size"], s.MAX_PAGE_SIZE)
    page = browsing.browse_page(criteria, page=query["page"], per_page=size)
    following = None
    if page.has_next:
        args = {**request.args.to_dict(), "page": page.page + 1, "page_size": size}
        following = url_for(request.endpoint or "api.list_results", _external=True, **args)
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
@_documented_errors(422)
def list_results(query: dict[str, Any]) -> dict[str, Any]:
    """科技成果: the public results, with the filters and sorts of the web list."""
    return _list("result", query)


@bp.route("/needs", methods=["GET"])
@anyone
@bp.arguments(s.ListQuerySchema, location="query")
@bp.response(200, s.ListingPageSchema)
@_documented_errors(422)
def list_needs(query: dict[str, Any]) -> dict[str, Any]:
    """技术需求: the open needs, with the filters and sorts of the web list."""
    return _list("need", query)


def _public(kind: str, listing_id: int) -> Publication:
    pub = publication.public_publication(kind, listing_id)
    if pub is None:  # a draft, one under review, withdrawn or expired: as if it did not exist
        raise NotFound
    return pub


def _conditional(payload: dict[str, Any]) -> Response:
    """A JSON answer with a strong ETag; 304 when the caller already has this version."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode("utf-8")).hexdigest()[:32])
    return response.make_conditional(request)


def _detail(kind: str, listing_id: int) -> Response:
    pub = _public(kind, listing_id)
    data = dict(pub.data or {})
    data.pop("attachment_ids", None)
    data.pop("keywords", None)
    payload = {**_summary(pub), "description": data.pop("description", None), "details": data}
    return _conditional(s.ListingDetailSchema().dump(payload))


@bp.route("/results/<int:listing_id>", methods=["GET"])
@anyone
@bp.response(200, s.ListingDetailSchema)
@_documented_errors(404)
def get_result(listing_id: int) -> Response:
    """A result's public version (ETag; If-None-Match answers 304)."""
    return _detail("result", listing_id)


@bp.route("/needs/<int:listing_id>", methods=["GET"])
@anyone
@bp.response(200, s.ListingDetailSchema)
@_documented_errors(404)
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
@_documented_errors(404, 422)
def result_matches(query: dict[str, Any], listing_id: int) -> Any:
    """The needs that match a public result, best first, with score and explanation."""
    return _matches("result", Result, listing_id, query["limit"])


@bp.route("/needs/<int:listing_id>/matches", methods=["GET"])
@anyone
@bp.arguments(s.MatchQuerySchema, location="query")
@bp.response(200, s.MatchListSchema)
@_documented_errors(404, 422)
def need_matches(query: dict[str, Any], listing_id: int) -> Any:
    """The results that match a public need, best first, with score and explanation."""
    return _matches("need", Need, listing_id, query["limit"])


# --- statistics, the caller, the description ----------------------------------------------------
@bp.route("/stats", methods=["GET"])
@anyone
@bp.response(200, s.StatsSchema)
def get_stats() -> dict[str, Any]:
    """The public statistics (the home page's figures)."""
    return {
        "organisations": stats.verified_organisation_counts(),
        "listings": publication.publication_counts(),
    }


@bp.route("/me", methods=["GET"])
@token_required("read")
@bp.doc(security=BEARER)
@bp.response(200, s.MeSchema)
@_documented_errors(401, 403)
def get_me() -> dict[str, Any]:
    """The token's owner and the token's scopes and expiry."""
    user, token = g.api_user, g.api_token
    return {
        "id": user.id,
        "name": user.name,
        "role": str(user.role),
        "organisation_id": user.organisation_id,
        "scopes": token.scopes,
        "token_expires_at": token.expires_at,
    }


@bp.route("/openapi.json", methods=["GET"])
@anyone
def openapi_json() -> Response:
    """The OpenAPI 3.1 document, generated from the schemas."""
    return jsonify(current_app.extensions[EXTENSION].spec.to_dict())


@bp.route("/docs", methods=["GET"])
@anyone
def docs() -> str:
    """The documentation page (Swagger UI served from static/vendor, no CDN)."""
    return render_template("api/docs.html")
