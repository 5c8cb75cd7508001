"""Error pages (HTML, or JSON for JSON clients) in the user's language, without tracebacks."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from matchmaker.services.platform import security_events

security_log = logging.getLogger("matchmaker.security")
log = logging.getLogger("matchmaker.errors")

MESSAGES = {
    400: (_l("请求无效"), _l("请求的内容不完整或格式不对。")),
    403: (_l("没有权限"), _l("你的账号无权访问这个页面。")),
    404: (_l("页面不存在"), _l("找不到你要访问的页面，它可能已被删除或从未存在。")),
    405: (_l("请求方式不被允许"), _l("这个地址不支持这种请求方式。")),
    413: (_l("内容过大"), _l("上传的内容超过了大小限制。")),
    429: (_l("操作太频繁"), _l("你的请求太多了，请稍后再试。")),
    500: (_l("服务器出错了"), _l("很抱歉，服务器处理请求时出错。我们已经记录了这个问题。")),
    503: (_l("服务暂时不可用"), _l("暂时无法访问数据库，请稍后再试。")),
}
#: Seconds a client is asked to wait after a database outage (Retry-After).
RETRY_AFTER = 10


def is_database_outage(error: BaseException) -> bool:
    """Whether the database could not be reached or dropped the connection (a restart, a
    failover, a full pool): the request changed nothing and may be tried again."""
    return isinstance(
        error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
    ) or (isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated)


def wants_json() -> bool:
    """Whether the client asked for JSON (the API, or an Accept header preferring it)."""
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def on_object_route() -> bool:
    """Whether the request's URL names a row (its rule has an `<int:...>` id): a 404 there is
    an object that does not exist or that the caller may not see, never a mistyped page."""
    rule = request.url_rule
    converters = getattr(rule, "_converters", {}) if rule is not None else {}
    return any(isinstance(c, IntegerConverter) for c in converters.values())


def log_refusal(code: int, **fields: Any) -> None:
    """The security event of a refused request (403, a 404 on an object, 405, 429), once per
    request: the hook or service that refused may already have written a more precise one."""
    if g.pop("security_event_logged", False):
        return
    if code == 403:
        security_events.event("authz.denied", outcome="denied", status=403, **fields)
    elif code == 404 and (on_object_route() or fields):
        security_events.event("authz.not_found", outcome="denied", status=404, **fields)
    elif code == 405:
        security_events.event("http.method_not_allowed", outcome="denied", status=405, **fields)
    elif code == 429:
        security_events.event("rate_limit.hit", outcome="blocked", status=429, **fields)
    else:
        return
    g.security_event_logged = True


def render_error(code: int, message: object | None = None) -> tuple[Response | str, int]:
    """The error page (or JSON body) for an HTTP status code."""
    if request.path.startswith("/api/v1/"):  # an unknown API path or method: the API's shape
        from matchmaker.api.errors import error_response

        return error_response(code, message), code
    title, default = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    text = str(message or default)
    if wants_json():
        return jsonify({"error": {"status": code, "title": str(title), "message": text}}), code
    return render_template("errors/error.html", code=code, title=title, message=text), code


def database_outage(error: BaseException) -> Response:
    """503 with Retry-After, in the user's language; the page is rendered as for an anonymous
    visitor (loading the signed-in user would need the database)."""
    from matchmaker.extensions import login_manager
    from matchmaker.services.platform import uow

    log.warning(
        "database.unavailable",
        extra={"path": request.path, "error": type(error).__name__, "detail": str(error)[:200]},
    )
    with contextlib.suppress(sa_exc.SQLAlchemyError):  # the connection is gone: nothing kept
        uow.discard()
    g._login_user = login_manager.anonymous_user()
    body, code = render_error(503)
    response = make_response(body, code)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def register(app: Flask) -> None:
    """Install handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    from matchmaker.services.errors import DomainError
    from matchmaker.web.refusals import refused

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> tuple[Response | str, int]:
        return refused(error)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Response | str, int]:
        security_events.event(
            "csrf.failed", outcome="blocked", status=400, reason=error.description
        )
        return render_error(400, _l("表单已过期或来源无效，请刷新页面后重试。"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[Response | str, int]:
        original = getattr(error, "original_exception", None)  # raised outside the view
        if original is not None and is_database_outage(original):  # e.g. by the commit
            return database_outage(original)
        code = error.code or 500
        log_refusal(code)
        return render_error(code)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response | tuple[Response | str, int]:
        if isinstance(error, HTTPException):
            return http_error(error)
        if is_database_outage(error):
            return database_outage(error)
        log.exception("unhandled exception on %s", request.path)
        return render_error(InternalServerError.code)
