"""Tokens, public statistics, the caller, and the OpenAPI document with its documentation
page."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, render_template, request
from werkzeug.wrappers import Response

from matchmaker.api import EXTENSION
from matchmaker.api import schemas as s
from matchmaker.api.auth import BEARER, anyone, token_required
from matchmaker.api.common import bp, documented_errors
from matchmaker.api.errors import ApiError, error_response
from matchmaker.services.accounts import api_tokens, login_guard
from matchmaker.services.market import publication
from matchmaker.services.platform import stats
from matchmaker.web.errors import log_refusal


# --- tokens -------------------------------------------------------------------------------------
@bp.route("/tokens", methods=["POST"])
@anyone
@bp.arguments(s.TokenRequestSchema)
@bp.response(201, s.TokenSchema)
@documented_errors(401, 422, 429)
def create_token(data: dict[str, Any]) -> dict[str, Any] | Response:
    """Exchange e-mail and password (and, for an account with two-step verification, a current
    code or a recovery code in `otp`) for a personal access token (shown once).

    Throttled exactly like the login form, in the same counters
    (services/accounts/login_guard.py): failures per address and per account and address
    (429 with Retry-After); an account with many recent failures from anywhere is guarded, and
    without a second factor it gets no token here (401 `account_guarded`: log in on the web).
    An admin or bank account that has not set up its second factor gets none either
    (401 `mfa_setup_required`)."""
    login = login_guard.program_login(
        email=data["email"], password=data["password"], otp=data.get("otp"), ip=request.remote_addr
    )
    if login.wait:
        log_refusal(429, reason="login_throttled")
        response = error_response(429, login.message)
        response.headers["Retry-After"] = str(login.wait)
        return response
    if login.user is None:
        raise ApiError(401, login.refusal or "invalid_credentials", login.message)
    user = login.user
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
