"""The admin's 技术经纪人 queue: check licences (verify, reject, suspend, reinstate) and give
verified brokers needs to follow."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import BrokerAssignment, BrokerProfile
from matchmaker.permissions import Permission
from matchmaker.services.platform import audit
from matchmaker.services.talent import broker_assignments, broker_stats, brokers
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.brokers.blueprint import bp
from matchmaker.web.brokers.forms import AssignNeedForm, BrokerReasonForm
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import page_arg
from matchmaker.web.policy import permission_required
from matchmaker.web.refusals import on_refusal

PER_PAGE = 30


@bp.get("/admin/brokers")
@permission_required(Permission.BROKER_VERIFY)
def admin_list() -> str:
    """Brokers by status, pending first."""
    args = request.args
    page = db.paginate(
        brokers.brokers_query(status=args.get("status"), q=args.get("q")),
        page=page_arg(),
        per_page=PER_PAGE,
        max_per_page=100,
        error_out=False,
    )
    return render_template("brokers/admin_list.html", page=page, args=args)


def _broker_page(
    broker: BrokerProfile,
    *,
    reject_form: BrokerReasonForm | None = None,
    suspend_form: BrokerReasonForm | None = None,
    assign_form: AssignNeedForm | None = None,
) -> str:
    history = db.session.scalars(
        audit.audit_query(audit.AuditFilter(object_type="broker", object_id=str(broker.id)))
    ).all()
    if assign_form is None:
        assign_form = AssignNeedForm(formdata=None)
    assign_form.need_id.choices = broker_assignments.assignable_needs(broker)
    return render_template(
        "brokers/admin_show.html",
        broker=broker,
        history=history,
        stats=broker_stats.broker_stats(broker),
        assignments=broker_assignments.live_assignments(broker),
        confirm_form=ConfirmForm(formdata=None),
        reject_form=reject_form or BrokerReasonForm(formdata=None, prefix="reject"),
        suspend_form=suspend_form or BrokerReasonForm(formdata=None, prefix="suspend"),
        assign_form=assign_form,
    )


@bp.get("/admin/brokers/<int:broker_id>")
@permission_required(Permission.BROKER_VERIFY)
def admin_show(broker_id: int) -> str:
    """One broker: licence, history, figures, followed needs and the decision forms."""
    return _broker_page(db.get_or_404(BrokerProfile, broker_id))


def _back(broker: BrokerProfile) -> Response:
    return redirect(url_for("brokers.admin_show", broker_id=broker.id))


@bp.post("/admin/brokers/<int:broker_id>/verify")
@permission_required(Permission.BROKER_VERIFY)
def verify_broker(broker_id: int) -> Response:
    """The licence checks out: the broker may act."""
    broker = db.get_or_404(BrokerProfile, broker_id)
    if ConfirmForm().validate_on_submit():
        on_refusal(lambda: _broker_page(broker))
        brokers.verify_broker(actor=current_user, broker=broker)
        flash(_("已核验技术经纪人 %(name)s。", name=broker.user.name), "success")
    return _back(broker)


@bp.post("/admin/brokers/<int:broker_id>/reinstate")
@permission_required(Permission.BROKER_VERIFY)
def reinstate_broker(broker_id: int) -> Response:
    """Let a suspended broker act again."""
    broker = db.get_or_404(BrokerProfile, broker_id)
    if ConfirmForm().validate_on_submit():
        on_refusal(lambda: _broker_page(broker))
        brokers.reinstate_broker(actor=current_user, broker=broker)
        flash(_("已恢复技术经纪人 %(name)s 的资格。", name=broker.user.name), "success")
    return _back(broker)


def _with_reason(
    broker_id: int, prefix: str, step: Callable[..., None], done: str
) -> Response | tuple[str, int]:
    broker = db.get_or_404(BrokerProfile, broker_id)
    form = BrokerReasonForm(prefix=prefix)
    if form.validate_on_submit():
        on_refusal(lambda: _broker_page(broker))
        with form_errors(form) as outcome:
            step(actor=current_user, broker=broker, reason=form.reason.data)
        if outcome.ok:
            flash(done % {"name": broker.user.name}, "success")
            return _back(broker)
    return _broker_page(broker, **{f"{prefix}_form": form}), 400


@bp.post("/admin/brokers/<int:broker_id>/reject")
@permission_required(Permission.BROKER_VERIFY)
def reject_broker(broker_id: int) -> Response | tuple[str, int]:
    """The licence could not be confirmed (a reason is required)."""
    return _with_reason(
        broker_id, "reject", brokers.reject_broker, _("已驳回 %(name)s 的证书核验。")
    )


@bp.post("/admin/brokers/<int:broker_id>/suspend")
@permission_required(Permission.BROKER_VERIFY)
def suspend_broker(broker_id: int) -> Response | tuple[str, int]:
    """Stop a verified broker from acting (a reason is required)."""
    return _with_reason(
        broker_id, "suspend", brokers.suspend_broker, _("已暂停 %(name)s 的技术经纪人资格。")
    )


@bp.post("/admin/brokers/<int:broker_id>/assign")
@permission_required(Permission.BROKER_VERIFY)
def assign_need(broker_id: int) -> Response | tuple[str, int]:
    """Give the broker a public need to follow."""
    broker = db.get_or_404(BrokerProfile, broker_id)
    form = AssignNeedForm()
    if form.validate_on_submit():
        on_refusal(lambda: _broker_page(broker))
        broker_assignments.assign_need(actor=current_user, broker=broker, need_id=form.need_id.data)
        flash(_("已分配需求。"), "success")
        return _back(broker)
    return _broker_page(broker, assign_form=form), 400


@bp.post("/admin/brokers/<int:broker_id>/assignments/<int:assignment_id>/end")
@permission_required(Permission.BROKER_VERIFY)
def end_assignment(broker_id: int, assignment_id: int) -> Response:
    """End a broker's following of a need."""
    broker = db.get_or_404(BrokerProfile, broker_id)
    assignment = db.get_or_404(BrokerAssignment, assignment_id)
    if assignment.broker_id != broker.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        on_refusal(lambda: _broker_page(broker))
        broker_assignments.end_assignment(actor=current_user, assignment=assignment)
        flash(_("已结束这项需求跟进。"), "success")
    return _back(broker)
