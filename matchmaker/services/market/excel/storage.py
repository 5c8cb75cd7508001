"""Uploads waiting for the import job and annotated error reports, kept in the instance folder."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app

from matchmaker.services.market.excel.columns import ImportRefused
from matchmaker.services.market.excel.reading import check_upload
from matchmaker.services.platform import scanning

#: Stored uploads and annotated reports are pruned after this long (seconds).
UPLOAD_MAX_AGE = 7 * 24 * 3600
REPORT_MAX_AGE = 24 * 3600
REPORT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _instance() -> Path:
    return Path(current_app.instance_path)


def _prune(folder: Path, pattern: str, max_age: int) -> None:
    now = time.time()
    for old in folder.glob(pattern):
        try:
            if now - old.stat().st_mtime > max_age:
                old.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - another process pruned it first
            continue


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(content)
    partial.replace(path)


def uploads_dir(user_id: int) -> Path:
    """Where a user's uploads wait for the import job (instance/imports/<user id>/)."""
    return _instance() / "imports" / str(int(user_id))


def store_upload(*, user_id: int, filename: str, content: bytes) -> str:
    """Run the cheap safety checks, then keep the upload for the import job under a random name.

    Returns its path relative to the instance folder (the job's argument); raises ImportRefused.
    """
    fmt = check_upload(filename=filename, content=content)
    refusal = scanning.import_refusal(content)  # malware scan (ASVS 5.4.3), when configured
    if refusal is not None:
        raise ImportRefused(refusal)
    folder = uploads_dir(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder, "*.*", UPLOAD_MAX_AGE)  # uploads whose job never ran (no worker)
    path = folder / f"{secrets.token_urlsafe(24)}.{fmt}"
    _write_atomically(path, content)
    return path.relative_to(_instance()).as_posix()


def stored_upload(path: str) -> Path:
    """The absolute path of a stored upload (refusing anything outside instance/imports/)."""
    root = (_instance() / "imports").resolve()
    full = (_instance() / path).resolve()
    if not full.is_relative_to(root) or full.suffix not in (".xlsx", ".csv"):
        raise ValueError(f"not a stored upload: {path!r}")
    return full


def remove_upload(path: str) -> None:
    """Delete a stored upload once its job is finished (missing is fine)."""
    stored_upload(path).unlink(missing_ok=True)


def reports_dir(user_id: int) -> Path:
    """Where a user's annotated error workbooks are kept (instance/import-reports/<user id>/)."""
    return _instance() / "import-reports" / str(int(user_id))


def save_report(*, user_id: int, content: bytes) -> str:
    """Keep an annotated workbook for its uploader under a random token; prune old ones."""
    folder = reports_dir(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder, "*.xlsx", REPORT_MAX_AGE)
    token = secrets.token_urlsafe(24)
    _write_atomically(folder / f"{token}.xlsx", content)
    return token


def report_file(*, user_id: int, token: str) -> Path | None:
    """The stored annotated workbook of a token, for its uploader only (None when unknown)."""
    if not REPORT_TOKEN.match(token):
        return None
    path = reports_dir(user_id) / f"{token}.xlsx"
    return path if path.is_file() else None
