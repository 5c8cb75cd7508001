"""The life cycle of an event, declared once per kind.

A 银企对接 event keeps its machine in services/finance/finance_states.py (open → scheduled, where
its one-on-one meetings are proposed, → finished); every other kind has no meeting schedule, so
it is finished straight from open. Attendance, featured listings and outcomes are steps that keep
the state, shared by every kind (`ACTIVITY`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from matchmaker.models import Event, EventKind, EventStatus
from matchmaker.services.finance.finance_states import EVENT as BANK_EVENT
from matchmaker.services.platform.states import StateMachine

E = EventStatus
#: draft → open (registration) → finished; or cancelled (对接会, 路演, 沙龙, 人才活动).
EVENT = StateMachine(
    "event",
    {
        "publish": ([E.DRAFT], E.OPEN),
        "finish": ([E.OPEN], E.FINISHED),
        "cancel": ([E.DRAFT, E.OPEN], E.CANCELLED),
        # keep the state:
        "edit": ([E.DRAFT, E.OPEN], None),
        "register": ([E.OPEN], None),
        "unregister": ([E.OPEN], None),
    },
    refusal=_l("活动当前状态下不能进行此操作。"),
)

#: Steps every kind shares, keeping the state.
ACTIVITY = StateMachine(
    "event_activity",
    {
        "feature": ([E.DRAFT, E.OPEN, E.SCHEDULED], None),  # feature listings
        "check_in": ([E.OPEN, E.SCHEDULED, E.FINISHED], None),  # attendance
        "outcome": ([E.OPEN, E.SCHEDULED, E.FINISHED], None),  # contacts, intentions, deals
        "summarise": ([E.OPEN, E.SCHEDULED, E.FINISHED], None),
    },
    refusal=_l("活动当前状态下不能进行此操作。"),
)


def machine_for(event: Event) -> StateMachine:
    """The life-cycle machine of the event's kind."""
    return BANK_EVENT if event.kind == EventKind.BANK_ENTERPRISE else EVENT
