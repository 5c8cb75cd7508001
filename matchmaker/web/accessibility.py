"""Accessibility helpers every page uses (issue 19: WCAG 2.1 AA / GB/T 37668 and 适老化).

- `{{ text|user_text }}`: text people wrote (titles, summaries) keeps its own language for
  screen readers: on an English page, text with Chinese characters is wrapped in
  `<span lang="zh-CN">` so it is not read with an English voice (WCAG 3.1.2).
- The template context every page needs: 大字模式 (larger text, on the account or, for a
  visitor, in a cookie), its switch, and the idle timeout the session warning counts down.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

#: A visitor's 大字模式 choice (a signed-in user's is stored on the account).
TEXT_SIZE_COOKIE = "mm_text_size"
#: Minutes before the idle timeout at which the page warns and offers to stay signed in.
SESSION_WARNING_MINUTES = 2

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def user_text(value: object) -> Markup:
    """The value, escaped (Markup is kept), marked lang="zh-CN" when it is Chinese text shown
    on a page in another language."""
    text = escape("" if value is None else value)
    if str(get_locale() or "zh").startswith("zh") or not _CJK.search(str(value or "")):
        return text
    return Markup('<span lang="zh-CN">%s</span>') % text


def large_text_on() -> bool:
    """Whether this page renders in 大字模式."""
    if current_user.is_authenticated:
        return bool(current_user.large_text)
    return request.cookies.get(TEXT_SIZE_COOKIE) == "large"


def register(app: Flask) -> None:
    """Install the filter and the context."""
    app.jinja_env.filters["user_text"] = user_text

    @app.context_processor
    def accessibility_context() -> dict[str, object]:
        return {
            "large_text": large_text_on(),
            "session_idle_seconds": current_app.config["SESSION_IDLE_TIMEOUT"],
            "session_warning_seconds": SESSION_WARNING_MINUTES * 60,
        }
