"""科技金融 state machines, declared once: leads, loan products, financing needs, events, meetings.

Each machine maps an action to (states it may start from, state it leads to; None keeps the
state). Services change a status only through `MACHINE.step(...)` (services/platform/states.py),
which refuses anything else with InvalidTransition and writes the audit record; pages offer a
button only when `can_step(machine, obj, action)` says the step is legal.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from matchmaker.models import (
    EventStatus,
    FinancingStatus,
    LeadStatus,
    MeetingStatus,
    ProductStatus,
)
from matchmaker.services.platform.states import StateMachine

L = LeadStatus
#: A bank asks, the firm answers (accept/decline), the bank does the rest.
LEAD = StateMachine(
    "lead",
    {
        "accept": ([L.REQUESTED], L.ACCEPTED),
        "decline": ([L.REQUESTED], L.DECLINED),
        "withdraw": ([L.REQUESTED], L.WITHDRAWN),
        "contact": ([L.ACCEPTED], L.IN_CONTACT),
        "approve": ([L.IN_CONTACT], L.APPROVED),
        "reject": ([L.IN_CONTACT], L.REJECTED),
        "disburse": ([L.APPROVED], L.DISBURSED),
    },
    refusal=_l("对接线索当前状态下不能进行此操作。"),
)

P = ProductStatus
#: draft → published ⇄ withdrawn. A published product is withdrawn before it is edited, so a
#: firm never sees terms change under it.
PRODUCT = StateMachine(
    "product",
    {
        "publish": ([P.DRAFT], P.PUBLISHED),
        "withdraw": ([P.PUBLISHED], P.WITHDRAWN),
        "republish": ([P.WITHDRAWN], P.PUBLISHED),
        # keep the state:
        "edit": ([P.DRAFT, P.WITHDRAWN], None),
    },
    refusal=_l("贷款产品当前状态下不能进行此操作。"),
)

FINANCING_NEED = StateMachine(
    "financing_need",
    {
        "satisfy": ([FinancingStatus.OPEN], FinancingStatus.SATISFIED),
        "close": ([FinancingStatus.OPEN], FinancingStatus.CLOSED),
        # keep the state:
        "edit": ([FinancingStatus.OPEN], None),
    },
    refusal=_l("融资需求已关闭，不能再修改。"),
)

E = EventStatus
#: draft → open (registration) → scheduled (meetings proposed) → finished; or cancelled.
EVENT = StateMachine(
    "finance_event",
    {
        "publish": ([E.DRAFT], E.OPEN),
        "schedule": ([E.OPEN], E.SCHEDULED),
        "finish": ([E.SCHEDULED], E.FINISHED),
        "cancel": ([E.DRAFT, E.OPEN, E.SCHEDULED], E.CANCELLED),
        # keep the state:
        "edit": ([E.DRAFT, E.OPEN], None),
        "arrange": ([E.SCHEDULED], None),  # re-generate, confirm or cancel meetings
        "record": ([E.SCHEDULED, E.FINISHED], None),  # record meeting outcomes
        "register": ([E.OPEN, E.SCHEDULED], None),
        "unregister": ([E.OPEN], None),  # until meetings are proposed
    },
    refusal=_l("对接会当前状态下不能进行此操作。"),
)

M = MeetingStatus
#: An event's one-on-one meeting: proposed → confirmed → held; or cancelled.
MEETING = StateMachine(
    "event_meeting",
    {
        "confirm": ([M.PROPOSED], M.CONFIRMED),
        "cancel": ([M.PROPOSED, M.CONFIRMED], M.CANCELLED),
        "hold": ([M.PROPOSED, M.CONFIRMED], M.HELD),
    },
    refusal=_l("洽谈当前状态下不能进行此操作。"),
)
