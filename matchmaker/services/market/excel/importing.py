"""Importing drafts (results, needs or expert profiles): all rows or none, in a command, a
request or the "excel.import" job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Organisation, User
from matchmaker.permissions import LISTING_PERMISSION, ROLE_PERMISSIONS, Permission, has_permission
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.market import listings
from matchmaker.services.market.excel.checking import ImportReport, check_table
from matchmaker.services.market.excel.columns import COLUMNS, ImportRefused, locales
from matchmaker.services.market.excel.reading import read_table
from matchmaker.services.market.excel.storage import read_upload, save_report
from matchmaker.services.market.excel.workbooks import annotated_workbook
from matchmaker.services.talent import experts


def create_drafts(*, actor: User, report: ImportReport) -> list[Any]:
    """Create one draft per row (a listing, or an expert profile), all or nothing: refuses
    unless every row is valid. Drafts, as from the forms: their keepers submit them for review.

    The caller commits; if anything raises part-way, the caller's rollback removes every row.
    """
    _check_actor(actor, report.kind)
    if not report.ok:
        raise ValidationFailed(
            {"file": [_("有 %(n)d 行存在错误，未导入任何内容。", n=len(report.bad_rows))]}
        )
    created: list[Any] = []
    for row in report.rows:
        assert row.data is not None
        if report.kind == "expert":
            created.append(experts.create_expert(actor=actor, data=row.data))
        else:
            created.append(listings.create_listing(actor=actor, data=row.data))
    report.created = created
    return created


def import_file(
    *,
    actor: User,
    kind: str,
    filename: str,
    content: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Read, check every row, and create drafts only when every row is valid (ImportRefused)."""
    _check_actor(actor, kind)
    report = check_table(
        read_table(kind=kind, filename=filename, content=content),
        progress=progress,
        organisation_id=actor.organisation_id,
    )
    if report.ok:
        create_drafts(actor=actor, report=report)
    return report


def _permission(kind: str) -> Permission:
    # expert profiles are kept by the members who create results
    return Permission.RESULT_CREATE if kind == "expert" else LISTING_PERMISSION[kind]


def _check_actor(actor: User, kind: str) -> None:
    if not has_permission(actor, _permission(kind)) or actor.organisation_id is None:
        raise PermissionDenied
    if kind == "expert":
        experts.require_keeper(actor)  # a university or institute


def importing_member(*, organisation_id: int, kind: str, email: str | None = None) -> User:
    """The active member of an organisation on whose behalf the command line imports."""
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(_("机构不存在。"))
    wanted = (email or "").strip().casefold()
    members = [
        m
        for m in org.members
        if m.is_active
        and _permission(kind) in ROLE_PERMISSIONS.get(m.role, frozenset())
        and (not wanted or m.email.casefold() == wanted)
    ]
    if not members:
        raise NotFound(_("这个机构没有可以导入这类内容的成员。"))
    return min(members, key=lambda m: m.id)


def import_upload(
    *,
    user_id: int,
    kind: str,
    path: str,
    locale: str | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Import a stored upload for the job worker: read, check every row, create all or nothing.

    Messages are in the uploader's `locale`. `progress(fraction, message)` is called before
    reading and every PROGRESS_EVERY checked rows, never while drafts are being created (it
    commits). The caller commits the drafts and removes the upload. Returns a JSON-able summary:
    outcome "created" (checked, created), "invalid" (checked, bad_rows, problems, report token)
    or "refused" (message).
    """
    if locale not in locales():
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        report_progress = progress or (lambda _fraction, _message: None)
        actor = db.session.get(User, user_id)
        if kind not in COLUMNS:
            raise ValueError(kind)
        try:
            if actor is None or not actor.is_active:
                raise PermissionDenied
            _check_actor(actor, kind)
        except PermissionDenied:
            return {
                "outcome": "refused",
                "kind": kind,
                "message": _("你的账号不能导入这类内容，未导入任何内容。"),
            }
        content = read_upload(path)
        if content is None:
            return {
                "outcome": "refused",
                "kind": kind,
                "message": _("上传的文件已过期或已被处理，请重新上传。"),
            }
        report_progress(0.0, _("正在读取文件……"))
        try:
            table = read_table(kind=kind, filename=path.rsplit("/", 1)[-1], content=content)
        except ImportRefused as refused:
            return {"outcome": "refused", "kind": kind, "message": refused.message}

        def checked(done: int, total: int) -> None:
            report_progress(
                0.95 * done / total, _("已检查 %(done)d / %(total)d 行", done=done, total=total)
            )

        report = check_table(table, progress=checked, organisation_id=actor.organisation_id)
        if not report.ok:
            token = save_report(user_id=user_id, content=annotated_workbook(report))
            return {
                "outcome": "invalid",
                "kind": kind,
                "checked": report.checked,
                "bad_rows": len(report.bad_rows),
                "problems": [
                    {"row": p.row, "column": p.column, "message": p.message}
                    for p in report.problems()
                ],
                "report": token,
            }
        report_progress(0.95, _("全部 %(n)d 行正确，正在创建草稿……", n=report.checked))
        created = create_drafts(actor=actor, report=report)
        return {
            "outcome": "created",
            "kind": kind,
            "checked": report.checked,
            "created": len(created),
        }
