"""JSON log formatting: one line per record, control characters escaped (log-injection safe)."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from flask import Flask

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# json.dumps(ensure_ascii=False) leaves these raw, yet many tools treat them as line breaks.
_LINE_BREAKING = re.compile("[\x7f-\x9f\u2028\u2029]")


class JsonFormatter(logging.Formatter):
    """Formats a record as a single JSON object with a UTC timestamp and its extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
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
