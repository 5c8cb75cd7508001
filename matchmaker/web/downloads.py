"""Serving stored user files: always as a download, sandboxed, never cached."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import send_file
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.services.platform import scanning
from matchmaker.services.platform.files import SIGNATURES, StoredBlob
from matchmaker.services.platform.office import CONTENT_TYPES as OFFICE_EXTENSIONS

#: The extension a download of each allowed type must end with (else it is appended), so a
#: PDF uploaded as "x.html" is saved as "x.html.pdf" and never opens as a web page.
EXTENSIONS = {content_type: ext for _m, _o, content_type, ext in SIGNATURES} | OFFICE_EXTENSIONS
SAME_TYPE = {".jpg": (".jpg", ".jpeg")}


def send_stored_file(source: Path | StoredBlob, *, content_type: str, name: str) -> Response:
    """An attachment response with an RFC 6266 UTF-8 filename and a sandbox CSP.

    Every stored file (PDF, image, Office document) is an attachment with its checked content
    type and `nosniff`, never shown inline; a file's name gets its type's extension if it
    lacks it (EXTENSIONS), so the download opens in the right program. A file of an object store is
    streamed from it in chunks, never read whole. A file held for an admin's check (its scan
    status is quarantined: services/platform/scanning.py) is refused to everyone else (403).
    """
    if isinstance(source, StoredBlob):
        scanning.require_downloadable(current_user, source.scan_status)
    body: Path | BinaryIO = source if isinstance(source, Path) else Path()
    size = None
    if isinstance(source, StoredBlob):
        local = source.local_path()
        if local is not None:
            body = local
        else:
            size = source.size()
            body = source.open()
    ext = EXTENSIONS.get(content_type)
    if ext and not name.lower().endswith(SAME_TYPE.get(ext, (ext,))):
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
