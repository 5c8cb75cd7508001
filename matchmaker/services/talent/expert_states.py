"""The life of an expert profile, the same as a listing's:

    draft → pending_review → published → expired | withdrawn
            ↖ reject / retract ↙    ↘ revise (an edit of substance) → pending_review

While a revised profile is reviewed (or returned to draft), its approved version stays public
(`public_snapshot`, see expert_public.py), so it can still be withdrawn or expire from there.

Services change a profile's status only through `step()`; pages ask
`can_step("expert", expert, action)`, so a button shows exactly when the step is legal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from matchmaker.models import ExpertProfile, User
from matchmaker.models.expert import ExpertStatus as S
from matchmaker.services.platform.states import StateMachine

#: A published profile is shown for a year, like a result, then asks to be confirmed.
EXPERT_VALIDITY = timedelta(days=365)


def _has_public_side(expert: ExpertProfile) -> bool:
    # 撤下 takes a profile off the public page: a plain draft has nothing there
    return expert.status != S.DRAFT or expert.public_snapshot is not None


EXPERT = StateMachine(
    "expert",
    {
        "submit": ([S.DRAFT, S.WITHDRAWN, S.EXPIRED], S.PENDING_REVIEW),
        "retract": ([S.PENDING_REVIEW], S.DRAFT),
        "approve": ([S.PENDING_REVIEW], S.PUBLISHED),
        "reject": ([S.PENDING_REVIEW], S.DRAFT),
        "revise": ([S.PUBLISHED], S.PENDING_REVIEW),  # its substance edited: reviewed again
        # a draft only when its approved version is still public
        "withdraw": ([S.DRAFT, S.PENDING_REVIEW, S.PUBLISHED], S.WITHDRAWN),
        "expire": ([S.PUBLISHED], S.EXPIRED),
        # keep the state:
        "edit": ([S.DRAFT, S.PENDING_REVIEW, S.PUBLISHED, S.WITHDRAWN, S.EXPIRED], None),
    },
    refusal=_l("专家档案当前状态下不能进行此操作。"),
    guards={"withdraw": _has_public_side},
)

#: The refusal of each action, as the owner and the reviewer read it.
REFUSALS = {
    "submit": _l("只有草稿可以提交审核。"),
    "retract": _l("这条内容不在审核中。"),
    "approve": _l("只有待审核的内容可以通过。"),
    "reject": _l("只有待审核的内容可以驳回。"),
    "withdraw": _l("当前状态下不能撤下。"),
    "edit": _l("当前状态下不能修改。"),
}


def check(expert: ExpertProfile, action: str) -> None:
    """Raise InvalidTransition unless `action` is legal for the profile now."""
    EXPERT.check(expert, action, REFUSALS.get(action))


def step(
    expert: ExpertProfile, action: str, *, actor: User | None, reason: str | None = None
) -> str:
    """Move a profile along `action` (InvalidTransition if illegal) and audit it."""
    return EXPERT.step(expert, action, actor=actor, reason=reason, message=REFUSALS.get(action))


def validity_end(start: datetime) -> datetime:
    """When a profile approved at `start` stops being shown."""
    return start + EXPERT_VALIDITY


def owners(expert: ExpertProfile) -> list[User]:
    """The active members of the profile's organisation (who hear of its steps)."""
    return [m for m in expert.organisation.members if m.is_active]
