"""Request hooks: access policy, session timeouts, security headers, template helpers."""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, abort, flash, g, has_request_context, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import refresh as refresh_babel
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from matchmaker import __version__
from matchmaker.extensions import db, login_manager
from matchmaker.models import User
from matchmaker.permissions import TEMPLATE_CHECKS, Permission, can_publish, has_permission
from matchmaker.services.connect import enquiries
from matchmaker.services.platform import notifications, security_events, states, uow
from matchmaker.services.platform.audit import current_ip
from matchmaker.services.platform.regions import region_label
from matchmaker.web import accessibility, formats, page_cache
from matchmaker.web.challenge_labels import CHALLENGE_LABELS
from matchmaker.web.finance_labels import FINANCE_LABELS
from matchmaker.web.i18n import LOCALE_NAMES
from matchmaker.web.labels import TEMPLATE_LABELS
from matchmaker.web.pipeline_labels import PIPELINE_LABELS
from matchmaker.web.policy import ANONYMOUS_ONLY, AUTHENTICATED, PUBLIC, policy_of

security_log = logging.getLogger("matchmaker.security")
SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # Flask-WTF's "submitted"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the id must carry the user's current session version."""
    try:
        raw_id, raw_version = user_id.split(":")
        uid, version = int(raw_id), int(raw_version)
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, uid)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


#: A proxy's request id is logged when it looks like one (letters, digits, - _ . :).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def security_context() -> dict[str, object]:
    """The current request as security events describe it (services/platform/security_events):
    who (the signed-in user, or the API token's), from where, what."""
    if not has_request_context():
        return {}
    user: object = None
    if request.path.startswith("/api/"):
        user = g.get("api_user")
    else:
        user = g.get("_login_user")
        if user is None and current_user:
            user = current_user._get_current_object()
    context: dict[str, object] = {
        "user_id": getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None,
        "ip": request.remote_addr,
        "method": request.method,
        "path": request.path[:300],
        "endpoint": request.endpoint,
    }
    request_id = request.headers.get("X-Request-Id", "")
    if _REQUEST_ID.fullmatch(request_id):
        context["request_id"] = request_id
    agent = request.headers.get("User-Agent")
    if agent:
        context["user_agent"] = agent[:200]
    return context


def start_session(user: User) -> None:
    """Timestamps checked by the idle and absolute timeouts."""
    now = int(time.time())
    session["login_at"] = now
    session["seen_at"] = now


def _session_expired(app: Flask) -> bool:
    now = int(time.time())
    login_at = session.get("login_at", 0)
    seen_at = session.get("seen_at", 0)
    if now - seen_at > app.config["SESSION_IDLE_TIMEOUT"]:
        return True
    if now - login_at > app.config["SESSION_ABSOLUTE_TIMEOUT"]:
        return True
    session["seen_at"] = now
    return False


def _form_like(body: object) -> bool:
    """An object of strings or lists of strings, without NUL: what a form could have sent."""
    if not isinstance(body, dict):
        return False
    for value in body.values():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str) or "\x00" in item:
                return False
    return True


#: Seconds a shared cache (a reverse proxy, a CDN) may keep an anonymous visitor's public page.
PUBLIC_MAX_AGE = 60


def anonymous_public(app: Flask) -> bool:
    """Whether this request is an anonymous visitor's GET of a public page: such a page is the
    same for every visitor (no CSRF token, no session), so shared caches may keep it."""
    if request.method not in ("GET", "HEAD") or request.path.startswith("/api/"):
        return False
    if current_user and current_user.is_authenticated:
        return False
    return policy_of(app.view_functions.get(request.endpoint or "")) == PUBLIC


def _cache_headers(app: Flask, response: Response) -> None:
    """Cache-Control of a page: public for a short while when it is an anonymous visitor's
    public page that starts no session and sets no cookie; private otherwise."""
    headers = response.headers
    response.vary.add("Cookie")  # the page depends on the session and the locale cookie
    if current_user and current_user.is_authenticated:
        headers["Cache-Control"] = "private, no-store"
        return
    if "Cache-Control" in headers:
        return  # the view chose (a download, the health check)
    writes_session = session.modified or (bool(session) and session.permanent)
    personal = (
        writes_session
        or "csrf_token" in g  # a CSRF token was rendered: it belongs to this visitor's session
        or "_flashes" in session
        or "Set-Cookie" in headers
    )
    if (
        not personal
        and response.status_code == 200
        and response.mimetype == "text/html"
        and anonymous_public(app)
    ):
        max_age = app.config.get("PUBLIC_CACHE_MAX_AGE", PUBLIC_MAX_AGE)
        headers["Cache-Control"] = f"public, max-age={max_age}"
    else:
        headers["Cache-Control"] = "private"


def register(app: Flask) -> None:
    """Install the hooks on the app."""

    security_events.set_request_context(security_context)

    @app.before_request
    def begin_unit_of_work() -> None:
        uow.begin()

    # Registered first, so it runs after every other after_request hook.
    @app.after_request
    def finish_unit_of_work(response: Response) -> Response:
        # One transaction per request: kept when the answer is a success or a redirect,
        # rolled back for every error (a refused step, a 404, a 500).
        uow.finish(ok=response.status_code < 400)
        return response

    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "warning"

    @app.before_request
    def enforce_policy() -> Response | None:
        # Identity and locale are per request. When an app context outlives a request (tests,
        # CLI-driven requests) Flask reuses its `g`, so drop what Flask-Login and Flask-Babel
        # cached there by an earlier request.
        g.pop("_login_user", None)
        g.pop("security_event_logged", None)
        refresh_babel()
        current_ip.set(request.remote_addr)
        if request.endpoint is None or request.endpoint == "static":
            return None
        policy = policy_of(app.view_functions.get(request.endpoint))
        if policy is None:
            security_events.event("policy.missing", outcome="denied")
            g.security_event_logged = True
            abort(403)
        # The JSON API ignores the session (bearer tokens only): no login redirect there.
        api_call = request.path.startswith("/api/")
        if current_user.is_authenticated and not api_call and _session_expired(app):
            logout_user()
            session.clear()
            flash(_l("你已较长时间未操作，请重新登录。"), "warning")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if policy == PUBLIC:
            return None
        if policy == ANONYMOUS_ONLY:
            if current_user.is_authenticated:
                return redirect(url_for("main.dashboard"))
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if policy == AUTHENTICATED or (
            isinstance(policy, Permission) and has_permission(current_user, policy)
        ):
            return None
        security_events.event("authz.denied", outcome="denied", status=403, reason="policy")
        g.security_event_logged = True
        abort(403)

    @app.before_request
    def refuse_malformed_input() -> None:
        if request.routing_exception is not None:
            return  # no view will run: the 404 / 405 answers, whatever the body holds
        # Text fields would receive a FileStorage, and PostgreSQL cannot store NUL characters.
        view = app.view_functions.get(request.endpoint or "")
        if request.files and not getattr(view, "_accepts_files", False):
            security_events.event("upload.refused", outcome="denied", status=400)
            abort(400)
        for values in (request.args, request.form):
            if any("\x00" in value for _key, value in values.items(multi=True)):
                abort(400)
        # Flask-WTF reads a JSON body as the form: it must look like one (no list, number, ...).
        # The JSON API (/api/, with its own schemas) is not a form and is left alone.
        submitted = (
            request.is_json
            and request.method in SUBMIT_METHODS
            and not request.path.startswith("/api/")
        )
        if submitted and not _form_like(request.get_json(silent=True)):
            abort(400)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config["ENV_NAME"] == "production":
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static":
            _cache_headers(app, response)
            page_cache.keep(response)  # an anonymous visitor's public page, for the next one
        return response

    formats.register(app)
    accessibility.register(app)
    page_cache.register(app)  # after the policy and identity hooks above

    # Constant tables are also Jinja globals, so macros imported without context see them.
    app.jinja_env.globals.update(
        {**TEMPLATE_CHECKS, **TEMPLATE_LABELS, **CHALLENGE_LABELS, **PIPELINE_LABELS}
    )
    app.jinja_env.globals.update(
        {**FINANCE_LABELS, "region_label": region_label, "can_step": states.can_step}
    )

    @app.context_processor
    def template_helpers() -> dict[str, object]:
        unread, connect_waiting = 0, None
        if current_user and current_user.is_authenticated:
            unread = notifications.unread_count(current_user)
            if can_publish(current_user):  # 对接: members of verified organisations
                connect_waiting = enquiries.waiting_count(current_user)
        return {
            **TEMPLATE_CHECKS,
            **TEMPLATE_LABELS,
            **CHALLENGE_LABELS,
            **PIPELINE_LABELS,
            **FINANCE_LABELS,
            "unread_notifications": unread,
            "connect_waiting": connect_waiting,
            "url_endpoints": app.view_functions,
            "current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
            "anonymous_public": anonymous_public(app),
            "locale_names": LOCALE_NAMES,
            "region_label": region_label,
            "app_version": __version__,
        }
