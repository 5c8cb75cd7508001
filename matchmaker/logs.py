"""JSON log formatting: one line per record, control characters escaped (log-injection safe),
secrets, phone numbers, tokens and e-mail addresses masked (`redact`)."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# json.dumps(ensure_ascii=False) leaves these raw, yet many tools treat them as line breaks.
_LINE_BREAKING = re.compile("[\x7f-\x9f\u2028\u2029]")

#: What replaces a masked value.
MASK = "[redacted]"
#: A field whose name contains one of these is never written (password, password_hash,
#: token_hash, totp_secret, Authorization, Cookie, phone, contact_phone, otp_code ...).
SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "otp",
    "authorization",
    "cookie",
    "credential",
    "api_key",
    "apikey",
    "phone",
    "recovery",
    "signature",
    "hash",
    "nonce",
)
#: Field names masked when they are the whole name (a one-time or verification code).
SECRET_KEYS = frozenset({"code", "pin", "csrf", "session"})
#: Values that look like secrets wherever they appear (a message, any field, a traceback).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Bearer mm_...", "Basic ...": the credential after an authorization scheme
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\1\2" + MASK),
    # token=..., password: ... in a message or a query string
    (
        re.compile(r"(?i)\b(\w*(?:token|password|secret|otp)|code)(=|:\s*)[^\s\"',;&]+"),
        r"\1\2" + MASK,
    ),
    # the platform's API tokens (mm_ + 43 characters) and any long run of letters and digits
    (re.compile(r"\bmm_[A-Za-z0-9_-]{8,}"), "[redacted-token]"),
    (
        re.compile(
            r"(?<![A-Za-z0-9_.-])(?=[A-Za-z0-9_.-]*\d)(?=[A-Za-z0-9_.-]*[A-Za-z])"
            r"[A-Za-z0-9_.-]{32,}"
        ),
        "[redacted-token]",
    ),
    # phone numbers: Chinese mobiles, landlines with an area code, international numbers
    (
        re.compile(r"(?<![\d+])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"),
        "[redacted-phone]",
    ),
    (re.compile(r"(?<![\d+])0\d{2,3}[ -]?\d{7,8}(?!\d)"), "[redacted-phone]"),
    (re.compile(r"(?<![\w+])\+\d{1,3}[ -]?\d(?:[ -]?\d){6,13}(?!\d)"), "[redacted-phone]"),
    # e-mail addresses keep their first character and their domain: a***@example.com
    (
        re.compile(r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"),
        r"\1***@\2",
    ),
)


def secret_key(name: str) -> bool:
    """Whether a field of this name is masked whatever its value."""
    lowered = str(name).lower()
    return lowered in SECRET_KEYS or any(part in lowered for part in SECRET_KEY_PARTS)


def redact_text(text: str) -> str:
    """The text with tokens, phone numbers and e-mail addresses masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, key: str = "") -> Any:
    """A field's value as it may be logged: masked entirely when its name says it is secret,
    otherwise its text (and that of nested dicts and lists) with secret-looking parts masked."""
    if key and secret_key(key):
        return MASK if value not in (None, "") else value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(str(value))


class JsonFormatter(logging.Formatter):
    """Formats a record as a single JSON object with a UTC timestamp and its extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": redact_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = redact(value, key)
        if record.exc_info:
            data["exc"] = redact_text(self.formatException(record.exc_info))
        line = json.dumps(data, ensure_ascii=False, default=str)
        return _LINE_BREAKING.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def configure_logging(app: Flask) -> None:
    """Attach one JSON stderr handler to the `matchmaker` logger (once per process)."""
    logger = logging.getLogger("matchmaker")
    if not any(getattr(h, "_matchmaker", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler._matchmaker = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if app.debug else logging.INFO)
