"""The life of a result or need: its state machine, its validity, and who hears of it.

    draft → pending_review → listed (results) / open (needs) → expired | withdrawn | transferred
            ↖ reject / retract ↙          ↘ revise (an edit of substance) → pending_review

Services change a listing's status only through `step()` (services/platform/states.py): it
refuses anything the table does not allow, with the message of that action, and audits the
change. Pages ask `can_step(listing.KIND, listing, action)`, so a button shows exactly when the
step is legal. A need that became a challenge moves on through challenge_states.CHALLENGE.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from matchmaker.models import Listing, NeedStatus, Result, ResultStatus, User
from matchmaker.models.base import CHINA
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.dates import format_date
from matchmaker.services.platform.states import StateMachine

RESULT_VALIDITY = timedelta(days=365)
NEED_MAX_VALIDITY = timedelta(days=365)
REMIND_BEFORE = timedelta(days=14)

#: Link builder the web layer installs (services never call url_for); the CLI leaves paths.
LinkFor = Callable[[Listing], str]


def default_link(listing: Listing) -> str:
    """The owner's page of a listing, as a path."""
    return f"/my/{listing.KIND}s/{listing.id}"


def _public_or_shown(listing: Listing) -> bool:
    # under re-review, a listing whose approved version is still public may be confirmed
    return str(listing.status) != "pending_review" or listing.has_public_version


def _has_public_side(listing: Listing) -> bool:
    # 撤下 takes a listing off the public lists: a draft or a first submission has nothing there
    return str(listing.status) not in ("draft", "pending_review") or listing.has_public_version


def _machine(kind: str, public: Any, extra: dict[str, tuple[list[Any], Any]]) -> StateMachine:
    s = ResultStatus if kind == "result" else NeedStatus
    return StateMachine(
        kind,
        {
            "submit": ([s.DRAFT, s.WITHDRAWN, s.EXPIRED], s.PENDING_REVIEW),
            "retract": ([s.PENDING_REVIEW], s.DRAFT),
            "approve": ([s.PENDING_REVIEW], public),
            "reject": ([s.PENDING_REVIEW], s.DRAFT),
            "revise": ([public], s.PENDING_REVIEW),  # its substance edited: reviewed again
            "withdraw": ([s.DRAFT, s.PENDING_REVIEW, public], s.WITHDRAWN),
            "expire": ([public], s.EXPIRED),
            **extra,
            # keep the state:
            "edit": ([s.DRAFT, s.PENDING_REVIEW, public, s.WITHDRAWN, s.EXPIRED], None),
            "confirm": ([public, s.PENDING_REVIEW], None),  # still available: extend validity
        },
        refusal=_l("当前状态下不能进行此操作。"),
        guards={"confirm": _public_or_shown, "withdraw": _has_public_side},
    )


RESULT = _machine(
    "result",
    ResultStatus.LISTED,
    {
        "transfer": ([ResultStatus.LISTED], ResultStatus.TRANSFERRED),
        "offer": ([ResultStatus.LISTED], None),  # put on the conversion list
    },
)
NEED = _machine(
    "need",
    NeedStatus.OPEN,
    {"challenge": ([NeedStatus.OPEN], None)},  # publish a challenge (榜) on it
)
MACHINES = {"result": RESULT, "need": NEED}
PUBLIC_STATUS = {"result": ResultStatus.LISTED, "need": NeedStatus.OPEN}

#: The refusal of each action, as the owner and the reviewer have always read it.
REFUSALS = {
    "submit": _l("只有草稿可以提交审核。"),
    "retract": _l("这条内容不在审核中。"),
    "approve": _l("只有待审核的内容可以通过。"),
    "reject": _l("只有待审核的内容可以驳回。"),
    "withdraw": _l("当前状态下不能撤下。"),
    "transfer": _l("只有已上架的成果可以标记为已转化。"),
    "edit": _l("当前状态下不能修改。"),
    "confirm": _l("只有公开展示中的内容需要确认。"),
}


def machine_of(listing: Listing) -> StateMachine:
    """The state machine of a result or a need."""
    return MACHINES[listing.KIND]


def check(listing: Listing, action: str, message: Any = None) -> None:
    """Raise InvalidTransition unless `action` is legal for the listing now."""
    machine_of(listing).check(listing, action, message or REFUSALS.get(action))


def step(
    listing: Listing,
    action: str,
    *,
    actor: User | None,
    reason: str | None = None,
    audit: bool = True,
) -> str:
    """Move a listing along `action` (InvalidTransition if illegal) and audit it."""
    return machine_of(listing).step(
        listing, action, actor=actor, reason=reason, audit=audit, message=REFUSALS.get(action)
    )


def audit(
    actor: User | None,
    listing: Listing,
    action: str,
    before: dict[str, Any],
    *,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Audit a change that is not a step (create, update, confirm)."""
    record_audit(
        actor=actor,
        action=f"{listing.KIND}.{action}",
        object_type=listing.KIND,
        object_id=listing.id,
        before=before,
        after=after if after is not None else {"status": str(listing.status)},
        reason=reason,
    )


def validity_end(listing: Listing, start: datetime) -> datetime:
    """When a listing approved or confirmed at `start` stops being shown."""
    if isinstance(listing, Result):
        return start + RESULT_VALIDITY
    limit = start + NEED_MAX_VALIDITY
    if listing.deadline is None:
        return limit
    end_of_deadline = datetime.combine(listing.deadline, time.max, CHINA).astimezone(UTC)
    return min(limit, end_of_deadline)


def owners(listing: Listing) -> list[User]:
    """The active members of the listing's organisation (who hear of its steps)."""
    return [m for m in listing.organisation.members if m.is_active]


def local_date(value: datetime | None) -> str:
    """A timestamp as a date in China (for messages)."""
    return format_date(value) if value else ""
