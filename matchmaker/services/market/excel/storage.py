"""Uploads waiting for the import job and annotated error reports, kept in the application's
storage (services/platform/storage.py): the web host that takes the upload, the job worker that
imports it and the host that serves its error report may be three different machines.

Keys: `imports/<user id>/<written at>-<random>.<fmt>` (the job's argument) and
`import-reports/<user id>/<token>.xlsx`, whose token starts with the time it was written too,
so that old ones are pruned by name on any backend (no backend's file times are needed). With
the default storage (the instance folder) these are the files `instance/imports/...` of before.
"""

from __future__ import annotations

import re
import secrets
import time

from matchmaker.services.market.excel.columns import ImportRefused
from matchmaker.services.market.excel.reading import check_upload
from matchmaker.services.platform import scanning, storage

#: Stored uploads and annotated reports are pruned after this long (seconds).
UPLOAD_MAX_AGE = 7 * 24 * 3600
REPORT_MAX_AGE = 24 * 3600
#: A report's token: ten digits of the time it was written, then 22 random characters.
REPORT_TOKEN = re.compile(r"^[0-9]{10}[A-Za-z0-9_-]{22}$")
UPLOAD_KEY = re.compile(r"^imports/[0-9]+/[0-9]{10}-[A-Za-z0-9_-]{22,32}\.(xlsx|csv)$")


def _stamp() -> str:
    return f"{int(time.time()):010d}"


def _prune(prefix: str, max_age: int) -> None:
    """Delete the keys under `prefix` written more than `max_age` seconds ago (by their name)."""
    store = storage.get()
    oldest = time.time() - max_age
    for key in list(store.keys(prefix)):
        written = key[len(prefix) : len(prefix) + 10]
        if written.isdigit() and int(written) < oldest:
            store.delete(key)


def store_upload(*, user_id: int, filename: str, content: bytes) -> str:
    """Run the cheap safety checks, then keep the upload for the import job under a random name.

    Returns its storage key (the job's argument); raises ImportRefused.
    """
    fmt = check_upload(filename=filename, content=content)
    refusal = scanning.import_refusal(content)  # malware scan (ASVS 5.4.3), when configured
    if refusal is not None:
        raise ImportRefused(refusal)
    prefix = f"imports/{int(user_id)}/"
    _prune(prefix, UPLOAD_MAX_AGE)  # uploads whose job never ran (no worker)
    key = f"{prefix}{_stamp()}-{secrets.token_urlsafe(24)}.{fmt}"
    storage.get().put(key, content)
    return key


def stored_upload(key: str) -> str:
    """`key` if it names a stored upload (ValueError for anything else: a job's argument is
    never taken as a path or another kind of key)."""
    if not UPLOAD_KEY.match(key):
        raise ValueError(f"not a stored upload: {key!r}")
    return key


def read_upload(key: str) -> bytes | None:
    """The bytes of a stored upload; None when it is gone (pruned, or its job already ran)."""
    try:
        return storage.get().read(stored_upload(key))
    except FileNotFoundError:
        return None


def remove_upload(key: str) -> None:
    """Delete a stored upload once its job is finished (missing is fine)."""
    storage.get().delete(stored_upload(key))


def _report_key(user_id: int, token: str) -> str:
    return f"import-reports/{int(user_id)}/{token}.xlsx"


def save_report(*, user_id: int, content: bytes) -> str:
    """Keep an annotated workbook for its uploader under a random token; prune old ones."""
    _prune(f"import-reports/{int(user_id)}/", REPORT_MAX_AGE)
    token = _stamp() + secrets.token_urlsafe(16)[:22]
    storage.get().put(_report_key(user_id, token), content)
    return token


def report_content(*, user_id: int, token: str) -> bytes | None:
    """The stored annotated workbook of a token, for its uploader only (None when unknown)."""
    if not REPORT_TOKEN.match(token):
        return None
    try:
        return storage.get().read(_report_key(user_id, token))
    except FileNotFoundError:
        return None
