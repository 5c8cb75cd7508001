"""Display labels of the 揭榜挂帅 pipeline, panels and deals (lazy, so they follow the locale)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from matchmaker.models.deal import DEAL_MODE_LABELS as _DEAL_MODE_LABELS
from matchmaker.models.deal import PAYMENT_FORM_LABELS as _PAYMENT_FORM_LABELS
from matchmaker.models.deal import DealMode
from matchmaker.services.challenges.challenge_states import DECLINE_LABELS, TRIAL_LABELS

#: The owner's board, in pipeline order.
PIPELINE_STAGES = ("submitted", "shortlisted", "finalist", "selected", "declined", "withdrawn")
PIPELINE_STAGE_LABELS = {
    "draft": _l("草稿"),
    "submitted": _l("已提交"),
    "shortlisted": _l("初筛入围"),
    "finalist": _l("进入终审"),
    "selected": _l("已选定"),
    "declined": _l("未入选"),
    "withdrawn": _l("已撤回"),
}
PIPELINE_STAGE_STYLES = {
    "submitted": "primary",
    "shortlisted": "info",
    "finalist": "warning",
    "selected": "success",
    "declined": "secondary",
    "withdrawn": "dark",
}
DECLINE_REASON_LABELS = {str(k): v for k, v in DECLINE_LABELS.items()}
CRITERION_LABELS = {
    "feasibility": _l("可行性"),
    "maturity": _l("成熟度"),
    "price": _l("报价"),
    "team": _l("团队"),
}
#: Cooperation first: the usual outcome of a challenge.
DEAL_MODE_LABELS = {str(DealMode.COOPERATION): _DEAL_MODE_LABELS[DealMode.COOPERATION]} | {
    str(mode): label for mode, label in _DEAL_MODE_LABELS.items()
}
PAYMENT_FORM_LABELS = {str(form): label for form, label in _PAYMENT_FORM_LABELS.items()}
DEAL_STATUS_LABELS = {
    "active": _l("履行中"),
    "completed": _l("已完成"),
    "terminated": _l("已终止"),
    "returned": _l("试用后退回"),
}
DEAL_STATUS_STYLES = {
    "active": "primary",
    "completed": "success",
    "terminated": "danger",
    "returned": "secondary",
}
MILESTONE_STATUS_LABELS = {
    "pending": _l("待交付"),
    "submitted": _l("待验收"),
    "accepted": _l("已验收"),
    "rework": _l("需返工"),
}
MILESTONE_STATUS_STYLES = {
    "pending": "secondary",
    "submitted": "warning",
    "accepted": "success",
    "rework": "danger",
}
TRIAL_OUTCOME_LABELS = {str(k): v for k, v in TRIAL_LABELS.items()}
ADOPTION_DECISION_LABELS = {
    "submitted": _l("待答复"),
    "accepted": _l("已同意"),
    "declined": _l("已婉拒"),
    "withdrawn": _l("已撤回"),
}


def days_until(end: date | None, today: date) -> int | None:
    """Whole days from today to a date (negative when past), or None."""
    return None if end is None else (end - today).days


PIPELINE_LABELS: dict[str, Any] = {
    "PIPELINE_STAGES": PIPELINE_STAGES,
    "PIPELINE_STAGE_LABELS": PIPELINE_STAGE_LABELS,
    "PIPELINE_STAGE_STYLES": PIPELINE_STAGE_STYLES,
    "DECLINE_REASON_LABELS": DECLINE_REASON_LABELS,
    "CRITERION_LABELS": CRITERION_LABELS,
    "DEAL_MODE_LABELS": DEAL_MODE_LABELS,
    "PAYMENT_FORM_LABELS": PAYMENT_FORM_LABELS,
    "DEAL_STATUS_LABELS": DEAL_STATUS_LABELS,
    "DEAL_STATUS_STYLES": DEAL_STATUS_STYLES,
    "MILESTONE_STATUS_LABELS": MILESTONE_STATUS_LABELS,
    "MILESTONE_STATUS_STYLES": MILESTONE_STATUS_STYLES,
    "TRIAL_OUTCOME_LABELS": TRIAL_OUTCOME_LABELS,
    "ADOPTION_DECISION_LABELS": ADOPTION_DECISION_LABELS,
}
