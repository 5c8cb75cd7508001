"""揭榜挂帅 state machines: the transition tables and the helpers every challenge service uses.

A challenge's state is its need's `status` (see models/challenge.py for why). Each table maps
an action to (states it may start from, state it leads to); `advance()` refuses anything else
with InvalidTransition and writes the audit record, so no service changes a status by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.models import (
    AdoptionStatus,
    ApplicationStatus,
    DealStatus,
    DeclineReason,
    MilestoneStatus,
    NeedStatus,
    OfferStatus,
    Organisation,
    TrialOutcome,
    User,
)
from matchmaker.services.errors import InvalidTransition, ValidationFailed
from matchmaker.services.platform.audit import record_audit

CHINA = ZoneInfo("Asia/Shanghai")
Table = dict[str, tuple[frozenset[str], str]]


def _t(sources: Iterable[str], target: str) -> tuple[frozenset[str], str]:
    return frozenset(str(s) for s in sources), str(target)


#: Challenge (on Need.status): open → evaluating → awarded → contracted → in_progress → accepted.
CHALLENGE: Table = {
    "close": _t([NeedStatus.OPEN], NeedStatus.EVALUATING),
    "award": _t([NeedStatus.EVALUATING], NeedStatus.AWARDED),
    "unaward": _t([NeedStatus.OPEN, NeedStatus.EVALUATING], NeedStatus.UNAWARDED),
    "withdraw": _t([NeedStatus.OPEN], NeedStatus.WITHDRAWN),
    "contract": _t([NeedStatus.AWARDED], NeedStatus.CONTRACTED),
    "start": _t([NeedStatus.CONTRACTED], NeedStatus.IN_PROGRESS),
    "accept": _t([NeedStatus.CONTRACTED, NeedStatus.IN_PROGRESS], NeedStatus.ACCEPTED),
    "terminate": _t(
        [NeedStatus.AWARDED, NeedStatus.CONTRACTED, NeedStatus.IN_PROGRESS], NeedStatus.TERMINATED
    ),
}

A = ApplicationStatus
_IN_RACE = [A.SUBMITTED, A.SHORTLISTED, A.FINALIST]
APPLICATION: Table = {
    "redraft": _t([A.WITHDRAWN], A.DRAFT),  # a withdrawn application reopened on the same row
    "submit": _t([A.DRAFT], A.SUBMITTED),
    "shortlist": _t([A.SUBMITTED], A.SHORTLISTED),
    "finalist": _t([A.SHORTLISTED], A.FINALIST),
    "select": _t([A.SHORTLISTED, A.FINALIST], A.SELECTED),
    "decline": _t(_IN_RACE, A.DECLINED),
    "withdraw": _t([A.DRAFT, *_IN_RACE], A.WITHDRAWN),
}

OFFER: Table = {
    "close": _t([OfferStatus.OPEN], OfferStatus.CLOSED),
    "reopen": _t([OfferStatus.CLOSED], OfferStatus.OPEN),
}

ADOPTION: Table = {
    "resubmit": _t([AdoptionStatus.WITHDRAWN], AdoptionStatus.SUBMITTED),
    "accept": _t([AdoptionStatus.SUBMITTED], AdoptionStatus.ACCEPTED),
    "decline": _t([AdoptionStatus.SUBMITTED], AdoptionStatus.DECLINED),
    "withdraw": _t([AdoptionStatus.SUBMITTED], AdoptionStatus.WITHDRAWN),
}

DEAL: Table = {
    "complete": _t([DealStatus.ACTIVE], DealStatus.COMPLETED),
    "terminate": _t([DealStatus.ACTIVE], DealStatus.TERMINATED),
    "return": _t([DealStatus.ACTIVE], DealStatus.RETURNED),
}

M = MilestoneStatus
MILESTONE: Table = {
    "submit": _t([M.PENDING, M.REWORK], M.SUBMITTED),
    "accept": _t([M.SUBMITTED], M.ACCEPTED),
    "rework": _t([M.SUBMITTED], M.REWORK),
}

#: The refusal shown for each table (409 in the API, a flash message in the UI).
REFUSALS = {
    "challenge": _l("榜单当前状态下不能进行此操作。"),
    "application": _l("揭榜申请当前状态下不能进行此操作。"),
    "offer": _l("成果转化榜单当前状态下不能进行此操作。"),
    "adoption": _l("承接申请当前状态下不能进行此操作。"),
    "deal": _l("技术合同当前状态下不能进行此操作。"),
    "milestone": _l("里程碑当前状态下不能进行此操作。"),
}


def advance(
    obj: Any,
    table: Table,
    action: str,
    *,
    actor: User | None,
    object_type: str,
    attr: str = "status",
    reason: str | None = None,
    audit_id: Any = None,
) -> str:
    """Move `obj.<attr>` along `table[action]`, or raise InvalidTransition; audit it."""
    sources, target = table[action]
    before = str(getattr(obj, attr))
    if before not in sources:
        raise InvalidTransition(str(REFUSALS[object_type]))
    setattr(obj, attr, target)
    record_audit(
        actor=actor,
        action=f"{object_type}.{action}",
        object_type=object_type,
        object_id=audit_id if audit_id is not None else obj.id,
        before={"status": before},
        after={"status": target},
        reason=reason,
    )
    return target


def members(*orgs: Organisation | None) -> list[User]:
    """The active members of some organisations (the people a notification goes to)."""
    return [m for org in orgs if org is not None for m in org.members if m.is_active]


def local_date(value: datetime | None) -> str:
    """A timestamp as a date in China (for messages)."""
    return value.astimezone(CHINA).date().isoformat() if value else ""


def require_reason(text: str | None, field: str = "reason") -> str:
    """A trimmed free-text reason, or ValidationFailed."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed({field: _("请填写原因。")})
    return text


DECLINE_LABELS = {
    DeclineReason.IMMATURE: _l("方案不成熟"),
    DeclineReason.INDICATORS_UNMET: _l("指标不满足"),
    DeclineReason.PRICE_TOO_HIGH: _l("报价过高"),
    DeclineReason.IP_UNCLEAR: _l("知识产权不清"),
    DeclineReason.UNCLEAR: _l("描述不清"),
    DeclineReason.OTHER: _l("其他"),
}

TRIAL_LABELS = {
    TrialOutcome.PAY: _l("付费"),
    TrialOutcome.RETURN: _l("退回"),
    TrialOutcome.EXTEND: _l("延长试用"),
}
