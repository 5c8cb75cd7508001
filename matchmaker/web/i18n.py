"""Locale and time-zone selection: Chinese by default, English on request."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

LOCALE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}
#: A visitor's language choice (a signed-in user's is stored on the account): a cookie rather
#: than the session, so that choosing a language starts no session (web/main/views.py).
LOCALE_COOKIE = "mm_locale"


def select_locale() -> str:
    """The user's saved choice, then the session's, else Chinese (never guessed from headers,
    except by the JSON API, which has no cookie and follows Accept-Language)."""
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):  # JSON API: the Accept-Language header, no cookie
        best = request.accept_languages.best_match(("zh-CN", "zh", "en"))
        return "en" if best == "en" else current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    chosen = session.get("locale") or request.cookies.get(LOCALE_COOKIE)
    if isinstance(chosen, str) and chosen in supported:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Everyone on this platform lives in China Standard Time."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
