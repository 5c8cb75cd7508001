"""Serving stored user files: always as a download, sandboxed, never cached."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import send_file
from werkzeug.wrappers import Response

from matchmaker.services.platform.files import StoredBlob
from matchmaker.services.platform.office import CONTENT_TYPES as OFFICE_EXTENSIONS


def send_stored_file(source: Path | StoredBlob, *, content_type: str, name: str) -> Response:
    """An attachment response with an RFC 6266 UTF-8 filename and a sandbox CSP.

    Every stored file (PDF, image, Office document) is an attachment with its checked content
    type and `nosniff`, never shown inline; an Office file's name gets its extension if it
    lacks it, so the download opens in the right program. A file of an object store is
    streamed from it in chunks, never read whole.
    """
    body: Path | BinaryIO = source if isinstance(source, Path) else Path()
    size = None
    if isinstance(source, StoredBlob):
        local = source.local_path()
        if local is not None:
            body = local
        else:
            size = source.size()
            body = source.open()
    ext = OFFICE_EXTENSIONS.get(content_type)
    if ext and not name.lower().endswith(ext):
        name += ext
    response = send_file(
        body, mimetype=content_type, as_attachment=True, download_name=name, max_age=0
    )
    if size is not None:
        response.content_length = size
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
