"""The 技术经纪人 blueprint object and the labels its templates use."""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from matchmaker.models import BROKER_STATUS_LABELS, BrokerStatus

bp = Blueprint("brokers", __name__)

#: Badge colour of each broker state.
BROKER_STATUS_STYLES = {
    BrokerStatus.PENDING: "warning",
    BrokerStatus.VERIFIED: "success",
    BrokerStatus.REJECTED: "danger",
    BrokerStatus.SUSPENDED: "secondary",
}


@bp.record_once
def _register_labels(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals.update(
        BROKER_STATUS_LABELS=BROKER_STATUS_LABELS, BROKER_STATUS_STYLES=BROKER_STATUS_STYLES
    )


@bp.context_processor
def audit_labels() -> dict[str, object]:
    """Audit action codes and reasons in words, for the admin's broker history."""
    from matchmaker.services.platform import audit

    return {"audit_action_label": audit.action_label, "audit_reason_text": audit.reason_text}
