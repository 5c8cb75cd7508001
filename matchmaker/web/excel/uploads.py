"""Queueing a bulk import: the cheap checks on the upload, then the "excel.import" job.

Shared by the listings' import page (web/excel/views.py) and the expert profiles' one
(web/talent/my_views.py); the job reads and checks every row (services/market/excel).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale
from flask_login import current_user

from matchmaker.models import Job
from matchmaker.services.market import excel
from matchmaker.services.platform import jobs, uow

IMPORT_JOB = "excel.import"


def queue_import(form: object, *, kind: str) -> Job | None:
    """Store the form's file and queue its import; None (the reason on the field) if refused."""
    upload = form.file.data  # type: ignore[attr-defined]
    filename = (upload.filename or "")[:200]
    content = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    try:
        path = excel.store_upload(user_id=current_user.id, filename=filename, content=content)
    except excel.ImportRefused as refused:
        form.file.errors.append(refused.message)  # type: ignore[attr-defined]
        return None
    # The stored file is the job's input: without the job (a rollback) it goes too.
    uow.on_rollback(lambda: excel.remove_upload(path))
    return jobs.enqueue(
        IMPORT_JOB,
        actor=current_user,
        max_attempts=2,
        user_id=current_user.id,
        kind=kind,
        path=path,
        filename=filename,
        locale=str(get_locale() or ""),
    )
