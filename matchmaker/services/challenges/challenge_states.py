"""揭榜挂帅 state machines, declared once, and the helpers every challenge service uses.

A challenge's state is its need's `status` (see models/challenge.py for why). Each machine
maps an action to (states it may start from, state it leads to; None keeps the state);
services move a status only through `MACHINE.step(...)` (services/platform/states.py), which
refuses anything else with InvalidTransition and writes the audit record, and pages offer a
button only when `can_step(machine, obj, action)` says the step is legal.
"""

from __future__ import annotations

from datetime import datetime

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
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform.dates import format_date
from matchmaker.services.platform.states import StateMachine

N = NeedStatus
#: Challenge (on Need.status): open → evaluating → awarded → contracted → in_progress → accepted.
#: One that needs the platform's review (challenge_review.py) waits before it is open:
#: open (the need) → challenge_review → open, or → challenge_returned → (edited) → review again.
#: Audited as object "challenge" with the challenge's id: `CHALLENGE.step(need, ..., audit_id=)`.
_UNREVIEWED = [N.CHALLENGE_REVIEW, N.CHALLENGE_RETURNED]
CHALLENGE = StateMachine(
    "challenge",
    {
        "submit": ([N.OPEN], N.CHALLENGE_REVIEW),  # published on the open need, to be reviewed
        "approve": ([N.CHALLENGE_REVIEW], N.OPEN),  # the platform lists it
        "reject": ([N.CHALLENGE_REVIEW], N.CHALLENGE_RETURNED),  # sent back with a coded reason
        "resubmit": ([N.CHALLENGE_RETURNED], N.CHALLENGE_REVIEW),  # edited, reviewed again
        "close": ([N.OPEN], N.EVALUATING),
        "award": ([N.EVALUATING], N.AWARDED),
        "unaward": ([N.OPEN, N.EVALUATING], N.UNAWARDED),
        "withdraw": ([N.OPEN, *_UNREVIEWED], N.WITHDRAWN),
        "contract": ([N.AWARDED], N.CONTRACTED),
        "start": ([N.CONTRACTED], N.IN_PROGRESS),
        "accept": ([N.CONTRACTED, N.IN_PROGRESS], N.ACCEPTED),
        "terminate": ([N.AWARDED, N.CONTRACTED, N.IN_PROGRESS], N.TERMINATED),
        # keep the state:
        "edit": ([N.CHALLENGE_RETURNED], None),  # the terms change only when sent back
        "invite": ([N.OPEN], None),
        "review": ([N.OPEN, N.EVALUATING], None),  # work through the applications, the panel
    },
    refusal=_l("榜单当前状态下不能进行此操作。"),
)

A = ApplicationStatus
_IN_RACE = [A.SUBMITTED, A.SHORTLISTED, A.FINALIST]
APPLICATION = StateMachine(
    "application",
    {
        "redraft": ([A.WITHDRAWN], A.DRAFT),  # a withdrawn application reopened on the same row
        "submit": ([A.DRAFT], A.SUBMITTED),
        "shortlist": ([A.SUBMITTED], A.SHORTLISTED),
        "finalist": ([A.SHORTLISTED], A.FINALIST),
        "select": ([A.SHORTLISTED, A.FINALIST], A.SELECTED),
        "decline": (_IN_RACE, A.DECLINED),
        "withdraw": ([A.DRAFT, *_IN_RACE], A.WITHDRAWN),
        # keep the state:
        "edit": ([A.DRAFT], None),
        "attach": ([A.DRAFT, A.SUBMITTED], None),  # add or remove attachments (window open)
        "score": ([A.FINALIST], None),  # the panel scores finalists
        "contract": ([A.SELECTED], None),  # a deal is recorded on the selected application
    },
    refusal=_l("揭榜申请当前状态下不能进行此操作。"),
)

OFFER = StateMachine(
    "offer",
    {
        "close": ([OfferStatus.OPEN], OfferStatus.CLOSED),
        "reopen": ([OfferStatus.CLOSED], OfferStatus.OPEN),
    },
    refusal=_l("成果转化榜单当前状态下不能进行此操作。"),
)

ADOPTION = StateMachine(
    "adoption",
    {
        "resubmit": ([AdoptionStatus.WITHDRAWN], AdoptionStatus.SUBMITTED),
        "accept": ([AdoptionStatus.SUBMITTED], AdoptionStatus.ACCEPTED),
        "decline": ([AdoptionStatus.SUBMITTED], AdoptionStatus.DECLINED),
        "withdraw": ([AdoptionStatus.SUBMITTED], AdoptionStatus.WITHDRAWN),
        # keep the state: a deal is recorded on an accepted request
        "contract": ([AdoptionStatus.ACCEPTED], None),
    },
    refusal=_l("承接申请当前状态下不能进行此操作。"),
)

DEAL = StateMachine(
    "deal",
    {
        "complete": ([DealStatus.ACTIVE], DealStatus.COMPLETED),
        "terminate": ([DealStatus.ACTIVE], DealStatus.TERMINATED),
        "return": ([DealStatus.ACTIVE], DealStatus.RETURNED),
        # keep the state: milestones, evidence, acceptance and the trial while it is active
        "progress": ([DealStatus.ACTIVE], None),
    },
    refusal=_l("技术合同当前状态下不能进行此操作。"),
)

M = MilestoneStatus
MILESTONE = StateMachine(
    "milestone",
    {
        "submit": ([M.PENDING, M.REWORK], M.SUBMITTED),
        "accept": ([M.SUBMITTED], M.ACCEPTED),
        "rework": ([M.SUBMITTED], M.REWORK),
    },
    refusal=_l("里程碑当前状态下不能进行此操作。"),
)


def members(*orgs: Organisation | None) -> list[User]:
    """The active members of some organisations (the people a notification goes to)."""
    return [m for org in orgs if org is not None for m in org.members if m.is_active]


def local_date(value: datetime | None) -> str:
    """A timestamp as a date in China (for messages)."""
    return format_date(value) if value else ""


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
