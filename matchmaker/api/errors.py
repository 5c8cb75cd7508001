"""API errors: JSON `{code, message, fields}` in the caller's language.

Domain errors keep the one mapping of web/refusals.py (NotFound 404, PermissionDenied 403,
InvalidTransition 409), except that a ValidationFailed is a 422 naming its fields, as are the
schema errors of a request.
"""

from __future__ import annotations

import logging
from typing import Any

from apispec import BasePlugin
from flask import Blueprint, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from matchmaker.api import URL_PREFIX
from matchmaker.services.errors import DomainError, LimitReached, ValidationFailed
from matchmaker.services.platform import security_events, uow
from matchmaker.web.errors import MESSAGES, log_refusal
from matchmaker.web.refusals import messages_of, status_of

log = logging.getLogger("matchmaker.errors")
security_log = logging.getLogger("matchmaker.security")

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "invalid_transition",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "server_error",
}


#: The API's own default texts where the web's speak of pages (MESSAGES has the rest).
API_MESSAGES = {
    403: _l("你的账号或令牌无权进行这个操作。"),
    404: _l("找不到这个资源，它可能已被删除、从未存在，或你无权查看。"),
}


class MalformedRequests(BasePlugin):
    """apispec plugin: every operation may answer 400. The app refuses, before any view runs,
    NUL characters in the query or a form and uploads where none is expected (web/hooks.py),
    and webargs answers 400 to a body that is not JSON at all."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            operation.setdefault("responses", {}).setdefault(
                "400",
                {
                    "description": "Malformed request (NUL characters, an unexpected upload, "
                    "a body that is not JSON).",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            )


class ApiError(Exception):
    """An answer the API gives on purpose (401 without a token, 403 for a missing scope)."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}


def error_response(
    status: int, message: object | None = None, *, code: str = "", fields: Any = None
) -> Response:
    """The JSON body of an error; the unit of work is rolled back (status >= 400)."""
    _title, default = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    default = API_MESSAGES.get(status, default)
    response = jsonify(
        {
            "code": code or CODES.get(status, "error"),
            "message": str(message or default),
            "fields": fields or {},
        }
    )
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="matchmaker"'
    return response


def _schema_message(text: str) -> str:
    """A marshmallow message in the caller's language (its own English, else ours)."""
    if str(get_locale() or "").startswith("en"):
        return text
    known = {
        "Missing data for required field.": _("此项必填。"),
        "Unknown field.": _("不认识这个字段。"),
        "Not a valid integer.": _("须为整数。"),
        "Not a valid string.": _("须为文字。"),
        "Not a valid list.": _("须为列表。"),
    }
    return known.get(text, _("此项的值无效。"))


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """{location: {field: [messages]}} (possibly nested) → {"field.sub": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                out[name] = [_schema_message(v) for v in value]
            else:
                out.update(_flatten(value, name))
    elif isinstance(messages, list):
        out[prefix or "_schema"] = [_schema_message(str(v)) for v in messages]
    return out


def schema_fields(error: HTTPException) -> dict[str, list[str]]:
    """The field errors webargs attached to a 422 (the location level dropped)."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages", {}) if isinstance(data, dict) else {}
    fields: dict[str, list[str]] = {}
    for _location, by_field in (messages or {}).items():
        fields.update(_flatten(by_field))
    return fields


def register(bp: Blueprint) -> None:
    """Install the JSON error handlers on the API blueprint."""

    @bp.after_app_request
    def allow_header(response: Response) -> Response:
        """A 405 names the methods the address has (RFC 9110): routing fails before the
        blueprint is known, so the app's handler answered and the header is added here."""
        error = request.routing_exception
        if (
            isinstance(error, MethodNotAllowed)
            and error.valid_methods
            and request.path.startswith(URL_PREFIX + "/")
        ):
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    @bp.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        if error.status == 401:
            security_events.event(
                "authz.unauthenticated", outcome="denied", status=401, reason=error.code
            )
        else:
            log_refusal(error.status, reason=error.code)
        return error_response(error.status, error.message, code=error.code, fields=error.fields)

    @bp.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Response:
        uow.discard()
        if isinstance(error, LimitReached):  # a quota used up (a daily cap): try again later
            response = error_response(
                429,
                " ".join(m for ms in error.errors.values() for m in ms),
                fields=error.errors,
                code="limit_reached",
            )
            response.headers["Retry-After"] = str(error.retry_after)
            log_refusal(429, reason="limit_reached")
            return response
        if isinstance(error, ValidationFailed):
            return error_response(
                422, _("请求内容有误。"), fields=error.errors, code="validation_failed"
            )
        status = status_of(error)
        log_refusal(status, reason=type(error).__name__)
        if status == 404:
            return error_response(404)  # never says more: it may be something not to know of
        return error_response(status, " ".join(messages_of(error)))

    @bp.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 422:
            return error_response(422, _("请求内容有误。"), fields=schema_fields(error))
        log_refusal(status)
        response = error_response(status)
        for name, value in error.get_headers() or []:
            if name.lower() in ("allow", "retry-after"):
                response.headers[name] = value
        return response

    @bp.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled exception on %s", request.path)
        return error_response(500)
