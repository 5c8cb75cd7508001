"""Anonymous visitors' public pages, kept whole in Redis for a short while (docs/deploy.md).

A visitor's page of the supermarket, the needs, the challenges or a listing is the same for
every visitor in the same language (no session, no CSRF token: `hooks.anonymous_public`), and
is already marked `Cache-Control: public, max-age=60` for a proxy. This keeps such a page in
the shared cache (`services/platform/cache.py`, namespace "pages") so that every worker on every
host answers the next visitor without running the view: the search page at 100,000 listings
costs a Redis GET instead of the SQL scans and the engine (docs/performance.md).

- Only GET and HEAD of the endpoints in `CACHEABLE`, only when nobody is logged in and the
  request carries no session, only 200 HTML answers that `hooks._cache_headers` made public.
- The key is the language of the page and the full path with its query string.
- Entries live `PAGE_CACHE_SECONDS` (default 60: what a proxy may keep anyway) and are dropped
  at once, on every host, after the commit of any change of a public listing
  (`matching.record_change` invalidates the namespace with the facet counts), so a listing
  approved on one host is searchable on every host as before.
- The 对接 funnel still counts: the views' `tracking` calls (a view, the recommendation
  cards shown) are kept with the page and recorded again for each visitor it is served to.
- Without Redis, or while it is down, nothing is kept and every page is rendered (fail-open).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from matchmaker.services.platform import cache

NAMESPACE = "pages"

#: The public pages kept: the lists, their search, and the listings' own pages.
CACHEABLE = frozenset(
    {
        "main.index",
        "market.results",
        "market.needs",
        "market.result",
        "market.need",
        "challenges.list_challenges",
        "talent.list_experts",
        "events.list_events",
    }
)

#: The response header that tells a kept page from a rendered one (for tests and operators).
HEADER = "X-Page-Cache"


def _seconds() -> int:
    return int(current_app.config.get("PAGE_CACHE_SECONDS", 60) or 0)


def _eligible() -> bool:
    if request.method not in ("GET", "HEAD") or request.endpoint not in CACHEABLE:
        return False
    if not current_app.config.get("REDIS_URL") or _seconds() <= 0:
        return False
    return not session and not (current_user and current_user.is_authenticated)


def _key() -> str:
    return f"{get_locale()}|{request.full_path}"


def serve_kept() -> Response | None:
    """A before_request hook: the kept page for this request, its tracking recorded again."""
    if not _eligible():
        return None
    kept = cache.lookup(NAMESPACE, _key())
    if not isinstance(kept, dict) or "body" not in kept:
        return None
    from matchmaker.web import tracking  # the funnel's request-side helpers

    tracking.replay(kept.get("tracking") or [])
    response = Response(kept["body"], status=200, mimetype="text/html")
    response.headers[HEADER] = "hit"
    return response


def keep(response: BaseResponse) -> None:
    """Called after the cache headers are set: keep a public 200 HTML page of an eligible
    request (not one that was itself served from the cache)."""
    if HEADER in response.headers or not _eligible():
        return
    if response.status_code != 200 or response.mimetype != "text/html":
        return
    if not response.headers.get("Cache-Control", "").startswith("public"):
        return
    if response.direct_passthrough or response.is_streamed:
        return
    entry: dict[str, Any] = {
        "body": response.get_data(as_text=True),
        "tracking": g.get("page_tracking", []),
    }
    if cache.store(NAMESPACE, _key(), entry, _seconds()):
        response.headers[HEADER] = "miss"


def register(app: Flask) -> None:
    """Install the lookup; `hooks.security_headers` calls `keep` after the cache headers."""
    app.before_request(serve_kept)
