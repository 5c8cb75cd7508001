"""State machines, declared once: a transition table per machine, one step function for all.

    LEAD = StateMachine(
        "lead",
        {"accept": (["requested"], "accepted"), "decline": (["requested"], "declined")},
        refusal=_l("线索当前状态下不能进行此操作。"),
    )
    LEAD.step(lead, "accept", actor=user)     # moves lead.status, writes the audit record
    LEAD.allowed(lead)                        # the actions a page may offer right now

A service changes a status only through `step`, which refuses anything the table does not
allow with InvalidTransition (409) and audits the change. Pages ask `allowed`/`can` (also the
template global `can_step(machine, obj, action)`), so a button is shown exactly when the step
is legal. Every machine registers itself in MACHINES by name.

An action whose target is None keeps the state (editing, confirming, inviting: allowed only in
some states, checked with `check`); `guards` add a rule on the object beyond its state
(`{"confirm": lambda listing: listing.has_public_version or ...}`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from matchmaker.models import User
from matchmaker.services.errors import InvalidTransition
from matchmaker.services.platform.audit import record_audit

Transition = tuple[frozenset[str], str | None]
MACHINES: dict[str, StateMachine] = {}


class StateMachine:
    """A named transition table: action -> (states it may start from, state it leads to)."""

    def __init__(
        self,
        name: str,
        transitions: Mapping[str, tuple[Iterable[Any], Any]],
        *,
        refusal: Any,
        attr: str = "status",
        guards: Mapping[str, Callable[[Any], bool]] | None = None,
    ) -> None:
        self.name = name
        self.attr = attr
        self.refusal = refusal  # a lazy string: the message of InvalidTransition
        self.transitions: dict[str, Transition] = {
            action: (frozenset(str(s) for s in sources), None if target is None else str(target))
            for action, (sources, target) in transitions.items()
        }
        self.guards = dict(guards or {})
        MACHINES[name] = self

    def __repr__(self) -> str:
        return f"<StateMachine {self.name}: {len(self.transitions)} actions>"

    def state_of(self, obj: Any) -> str:
        """The object's current state as a plain string."""
        return str(getattr(obj, self.attr))

    def can(self, obj: Any, action: str) -> bool:
        """Whether `action` is legal from the object's current state."""
        sources, _target = self.transitions[action]
        guard = self.guards.get(action)
        return self.state_of(obj) in sources and (guard is None or bool(guard(obj)))

    def allowed(self, obj: Any) -> list[str]:
        """Every action legal from the object's current state, in table order."""
        return [action for action in self.transitions if self.can(obj, action)]

    def target(self, action: str) -> str | None:
        """The state an action leads to (None: the action keeps the state)."""
        return self.transitions[action][1]

    def sources(self, action: str) -> frozenset[str]:
        """The states an action may start from."""
        return self.transitions[action][0]

    def check(self, obj: Any, action: str, message: Any = None) -> None:
        """Raise InvalidTransition unless `action` is legal now (for steps that keep the state)."""
        if not self.can(obj, action):
            raise InvalidTransition(str(message or self.refusal))

    def step(
        self,
        obj: Any,
        action: str,
        *,
        actor: User | None,
        reason: str | None = None,
        audit: bool = True,
        audit_id: Any = None,
        object_type: str | None = None,
        message: Any = None,
    ) -> str:
        """Move the object along `action`, or raise InvalidTransition; audit the change."""
        self.check(obj, action, message)
        before = self.state_of(obj)
        target = self.target(action) or before
        current = getattr(obj, self.attr)
        # keep the attribute's type: a StrEnum column gets its enum member, not a bare str
        setattr(obj, self.attr, type(current)(target) if isinstance(current, enum.Enum) else target)
        if audit:
            kind = object_type or self.name
            record_audit(
                actor=actor,
                action=f"{kind}.{action}",
                object_type=kind,
                object_id=audit_id if audit_id is not None else obj.id,
                before={self.attr: before},
                after={self.attr: target},
                reason=reason,
            )
        return target


def can_step(machine: str, obj: Any, action: str) -> bool:
    """Template helper: whether a page may offer `action` on `obj` (by machine name)."""
    return obj is not None and MACHINES[machine].can(obj, action)
