"""Admin area: verify organisations, manage accounts, read the audit log, retry failed jobs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import JobStatus, Organisation, TechField, User
from matchmaker.permissions import Permission
from matchmaker.services.accounts import evidence, mfa, organisations, users
from matchmaker.services.connect import conversations, inbox
from matchmaker.services.platform import audit, jobs, taxonomy
from matchmaker.services.platform.links import external_url
from matchmaker.web.admin import audit_display
from matchmaker.web.admin.forms import (
    AuditFilterForm,
    BureauUserForm,
    FieldForm,
    ReasonForm,
    RejectForm,
)
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import page_arg
from matchmaker.web.policy import permission_required
from matchmaker.web.refusals import on_refusal

bp = Blueprint("admin", __name__)
PER_PAGE = 30
JOBS_SHOWN = 100


def _args() -> dict[str, Any]:
    """The list page's filters, to keep across a POST and its redirect."""
    return request.args.to_dict()


def _page() -> int:
    return page_arg()  # a huge page number would overflow the database's OFFSET


@bp.get("/organisations")
@permission_required(Permission.ORG_VERIFY)
def list_organisations() -> str:
    """Organisations, pending verification first."""
    args = request.args
    stmt = organisations.organisations_query(
        status=args.get("status"), kind=args.get("kind"), q=args.get("q")
    )
    page = db.paginate(stmt, page=_page(), per_page=PER_PAGE, max_per_page=100, error_out=False)
    return render_template("admin/organisations.html", page=page, args=args)


@bp.route("/organisations/<int:org_id>", methods=["GET"])
@permission_required(Permission.ORG_VERIFY)
def show_organisation(org_id: int) -> str:
    """One organisation with its members and the verify / reject forms."""
    return _organisation_page(db.get_or_404(Organisation, org_id))


def _organisation_page(org: Organisation, reject_form: RejectForm | None = None) -> str:
    history = db.session.scalars(
        audit.audit_query(audit.AuditFilter(object_type="organisation", object_id=str(org.id)))
    ).all()
    return render_template(
        "admin/organisation.html",
        org=org,
        members=list(org.members),
        history=history,
        blockers=organisations.verification_blockers(org),
        document_label=evidence.document_label(org.kind),
        verify_form=ConfirmForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None),
    )


@bp.post("/organisations/<int:org_id>/verify")
@permission_required(Permission.ORG_VERIFY)
def verify_organisation(org_id: int) -> Response:
    """Verify an organisation."""
    org = db.get_or_404(Organisation, org_id)
    if ConfirmForm().validate_on_submit():
        on_refusal(lambda: _organisation_page(org))
        organisations.verify_organisation(actor=current_user, organisation=org)
        flash(_("已认证 %(name)s。", name=org.name), "success")
    return redirect(url_for("admin.show_organisation", org_id=org.id))


@bp.post("/organisations/<int:org_id>/reject")
@permission_required(Permission.ORG_VERIFY)
def reject_organisation(org_id: int) -> Response | tuple[str, int]:
    """Refuse verification with a reason."""
    org = db.get_or_404(Organisation, org_id)
    form = RejectForm()
    if form.validate_on_submit():
        on_refusal(lambda: _organisation_page(org))
        with form_errors(form) as outcome:
            organisations.reject_organisation(
                actor=current_user, organisation=org, reason=form.reason.data
            )
        if outcome.ok:
            flash(_("已驳回 %(name)s 的认证。", name=org.name), "success")
            return redirect(url_for("admin.show_organisation", org_id=org.id))
    return _organisation_page(org, form), 400


@bp.get("/users")
@permission_required(Permission.USER_MANAGE)
def list_users() -> str:
    """Every account, with filters."""
    return _users_page(BureauUserForm(formdata=None))


def _users_page(bureau_form: BureauUserForm) -> str:
    args = request.args
    stmt = users.users_query(q=args.get("q"), role=args.get("role"), active=args.get("active"))
    page = db.paginate(stmt, page=_page(), per_page=PER_PAGE, max_per_page=100, error_out=False)
    return render_template(
        "admin/users.html",
        page=page,
        args=args,
        form=ReasonForm(formdata=None),
        bureau_form=bureau_form,
    )


@bp.post("/users/bureau")
@permission_required(Permission.USER_MANAGE)
def create_bureau_user() -> Response | tuple[str, int]:
    """Create a read-only 科技局 account; its owner sets a password through the e-mailed link."""
    form = BureauUserForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            user = users.create_bureau_user(
                actor=current_user,
                email=form.email.data,
                name=form.name.data or "",
                link_for=lambda token: external_url("auth.reset_password", token=token),
            )
        if outcome.ok:
            flash(
                _("已创建科技局只读账号 %(email)s，设置密码的链接已发到该邮箱。", email=user.email),
                "success",
            )
            return redirect(url_for("admin.list_users", role="bureau"))
    return _users_page(form), 400


def _user_action(user_id: int, action: str) -> Response:
    user = db.get_or_404(User, user_id)
    form = ReasonForm()
    if form.validate_on_submit():
        on_refusal(list_users)
        if action == "terminate":
            users.terminate_sessions(actor=current_user, user=user)
        else:
            users.set_user_active(
                actor=current_user,
                user=user,
                active=action == "activate",
                reason=form.reason.data,
            )
        flash(_("已更新账号 %(email)s。", email=user.email), "success")
    return redirect(url_for("admin.list_users", **_args()))


@bp.post("/users/<int:user_id>/activate")
@permission_required(Permission.USER_MANAGE)
def activate_user(user_id: int) -> Response:
    """Re-enable an account."""
    return _user_action(user_id, "activate")


@bp.post("/users/<int:user_id>/deactivate")
@permission_required(Permission.USER_MANAGE)
def deactivate_user(user_id: int) -> Response:
    """Disable an account; its sessions end at once."""
    return _user_action(user_id, "deactivate")


@bp.post("/users/<int:user_id>/terminate-sessions")
@permission_required(Permission.USER_MANAGE)
def terminate_sessions(user_id: int) -> Response:
    """Log a user out everywhere."""
    return _user_action(user_id, "terminate")


@bp.route("/users/<int:user_id>/two-step-reset", methods=["GET", "POST"])
@permission_required(Permission.USER_MANAGE)
def reset_mfa(user_id: int) -> Response | str | tuple[str, int]:
    """Lost device: remove another user's second factor, with a reason (audited; the user's
    sessions end and they are told by e-mail)."""
    user = db.get_or_404(User, user_id)
    form = ReasonForm()
    form.reason.label.text = _("原因")
    if form.validate_on_submit():
        on_refusal(lambda: render_template("admin/mfa_reset.html", user=user, form=form))
        with form_errors(form) as outcome:
            mfa.reset_by_admin(actor=current_user, user=user, reason=form.reason.data)
        if outcome.ok:
            flash(
                _("已重置 %(email)s 的两步验证，该用户已被强制下线。", email=user.email), "success"
            )
            return redirect(url_for("admin.list_users"))
        return render_template("admin/mfa_reset.html", user=user, form=form), 400
    return render_template("admin/mfa_reset.html", user=user, form=form)


@bp.context_processor
def audit_labels() -> dict[str, object]:
    """Audit action codes and reasons in words, for every admin page that lists history."""
    return {"audit_action_label": audit.action_label, "audit_reason_text": audit.reason_text}


@bp.get("/audit")
@permission_required(Permission.AUDIT_READ)
def audit_log() -> str:
    """The audit log with filters."""
    form = AuditFilterForm(request.args)
    form.action.choices = audit.action_choices(audit.audit_actions())
    criteria = audit.AuditFilter()
    if form.validate():
        criteria = audit.AuditFilter(
            action=form.action.data or None,
            object_type=form.object_type.data or None,
            object_id=form.object_id.data or None,
            actor_email=form.actor_email.data or None,
            since=form.since.data,
            until=form.until.data,
        )
    page = db.paginate(
        audit.audit_query(criteria), page=_page(), per_page=50, max_per_page=200, error_out=False
    )
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        records=audit_display.load_records(page.items),
        action_label=audit.action_label,
        object_labels=audit.OBJECT_LABELS_ONE,
        entry_changes=audit_display.entry_changes,
        object_shown=audit_display.object_shown,
        reason_text=audit.reason_text,
    )


@bp.route("/fields", methods=["GET", "POST"])
@permission_required(Permission.TAXONOMY_MANAGE)
def fields() -> Response | str:
    """The field taxonomy: list, and add a field."""
    form = FieldForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            taxonomy.save_field(
                actor=current_user,
                code=form.code.data,
                name=form.name.data,
                name_en=form.name_en.data,
                position=form.position.data or 0,
                is_active=form.is_active.data,
            )
        if outcome.ok:
            flash(_("已保存领域 %(name)s。", name=form.name.data), "success")
            return redirect(url_for("admin.fields"))
    return render_template("admin/fields.html", form=form, items=taxonomy.all_fields())


@bp.route("/fields/<int:field_id>", methods=["GET", "POST"])
@permission_required(Permission.TAXONOMY_MANAGE)
def edit_field(field_id: int) -> Response | str:
    """Rename, reorder or hide a field."""
    item = db.get_or_404(TechField, field_id)
    form = FieldForm(obj=item)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            taxonomy.save_field(
                actor=current_user,
                code=form.code.data,
                name=form.name.data,
                name_en=form.name_en.data,
                position=form.position.data or 0,
                is_active=form.is_active.data,
                field=item,
            )
        if outcome.ok:
            flash(_("已保存领域 %(name)s。", name=item.name), "success")
            return redirect(url_for("admin.fields"))
    return render_template("admin/field_edit.html", form=form, item=item)


def _job_filter() -> JobStatus | None:
    """The state the jobs page is filtered by (an unknown one shows every state)."""
    value = request.args.get("status", "")
    return JobStatus(value) if value in JobStatus.__members__.values() else None


@bp.get("/jobs", endpoint="jobs")
@permission_required(Permission.AUDIT_READ)
def jobs_page() -> str:
    """Background jobs (mail, imports, index rebuilds): failed ones first, each with its error."""
    status = _job_filter()
    if status is None:
        failed = jobs.recent(status=JobStatus.FAILED, limit=JOBS_SHOWN)
        others = [j for j in jobs.recent(limit=JOBS_SHOWN) if j.status != JobStatus.FAILED]
        items = failed + others
    else:
        items = jobs.recent(status=status, limit=JOBS_SHOWN)
    return render_template(
        "admin/jobs.html",
        items=items,
        counts=jobs.counts(),
        status=status,
        form=ConfirmForm(formdata=None),
    )


@bp.post("/jobs/<int:job_id>/retry")
@permission_required(Permission.AUDIT_READ)
def retry_job(job_id: int) -> Response:
    """Queue a failed job again with a fresh set of attempts."""
    if ConfirmForm().validate_on_submit():
        on_refusal(jobs_page)
        job = jobs.retry(job_id=job_id)
        flash(_("任务 #%(id)d（%(name)s）已重新排队。", id=job.id, name=job.name), "success")
    return redirect(url_for("admin.jobs", **_args()))


@bp.post("/jobs/retry-failed")
@permission_required(Permission.AUDIT_READ)
def retry_failed_jobs() -> Response:
    """Queue every failed job (the dead-letter list) again with a fresh set of attempts."""
    if ConfirmForm().validate_on_submit():
        count = jobs.retry_all_failed()
        flash(_("%(count)d 个失败的任务已重新排队。", count=count), "success")
    return redirect(url_for("admin.jobs", **_args()))


@bp.get("/connect")
@permission_required(Permission.LISTING_REVIEW)
def connect_overview() -> str:
    """对接 oversight: every enquiry's metadata, and the messages a party reported (with text)."""
    status = request.args.get("status") or None
    return render_template(
        "admin/connect.html",
        items=inbox.admin_overview(actor=current_user, status=status),
        reported=conversations.reported_messages(actor=current_user),
        status=status,
    )
