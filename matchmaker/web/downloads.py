"""Serving stored user files: always as a download, sandboxed, never cached."""

from __future__ import annotations

from pathlib import Path

from flask import send_file
from werkzeug.wrappers import Response


def send_stored_file(path: Path, *, content_type: str, name: str) -> Response:
    """An attachment response with an RFC 6266 UTF-8 filename and a sandbox CSP."""
    response = send_file(
        path, mimetype=content_type, as_attachment=True, download_name=name, max_age=0
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
