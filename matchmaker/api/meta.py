"""Tokens, public statistics, the caller, and the OpenAPI document with its documentation
page."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from matchmaker.api import EXTENSION
from matchmaker.api import schemas as s
from matchmaker.api.auth import BEARER, anyone, token_required
from matchmaker.api.common import bp, documented_errors
from matchmaker.api.errors import ApiError
from matchmaker.extensions import limiter
from matchmaker.services.accounts import accounts, api_tokens
from matchmaker.services.market import publication
from matchmaker.services.platform import stats

#: The login form's limits (web/auth/views.py login: the same config keys and key functions),
#: counted in the login form's own buckets: flask-limiter names a route's bucket
#: "<endpoint>[:<scope>]", and a shared limit with that name adds to it. So the web form and
#: the API share one count per address and one per account (tests/api/test_tokens.py).
LOGIN_IP_BUCKET = "auth.login"
LOGIN_ACCOUNT_BUCKET = "auth.login:login-account"


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
@documented_errors(401, 422, 429)
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
@documented_errors(401, 403)
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
@bp.doc(
    responses={
        "200": {
            "description": "An HTML page.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    }
)
def docs() -> str:
    """The documentation page (Swagger UI served from static/vendor, no CDN)."""
    return render_template("api/docs.html")
