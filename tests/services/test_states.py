"""The state-machine helper (services/platform/states.py) and the machines declared with it."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog, LeadStatus
from matchmaker.services.errors import InvalidTransition
from matchmaker.services.platform.states import MACHINES, StateMachine, can_step
from tests.factories import make_user


class Light(enum.StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


@dataclass
class Lamp:
    id: int
    status: str = "off"
    has_bulb: bool = True


@pytest.fixture
def lamp_machine() -> Iterator[StateMachine]:
    machine = StateMachine(
        "test_lamp",
        {
            "switch_on": ([Light.OFF], Light.ON),
            "switch_off": ([Light.ON], Light.OFF),
            "break": ([Light.OFF, Light.ON], Light.BROKEN),
            "dust": ([Light.OFF, Light.ON], None),  # keeps the state
        },
        refusal="the lamp cannot do that now",
        guards={"switch_on": lambda lamp: lamp.has_bulb},
    )
    yield machine
    MACHINES.pop("test_lamp", None)


def _audits() -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)))


def test_step_moves_the_state_and_audits_it(db, lamp_machine):
    actor = make_user("admin")
    lamp = Lamp(id=7)

    target = lamp_machine.step(lamp, "switch_on", actor=actor, reason="dark")

    assert target == "on" and lamp.status == "on"
    (entry,) = _audits()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "test_lamp.switch_on",
        "test_lamp",
        "7",
    )
    assert entry.before == {"status": "off"} and entry.after == {"status": "on"}
    assert entry.actor_id == actor.id and entry.reason == "dark"


def test_step_names_the_audited_object_as_asked_and_can_leave_the_audit_to_the_caller(
    db, lamp_machine
):
    lamp = Lamp(id=3)
    lamp_machine.step(lamp, "switch_on", actor=None, object_type="fixture", audit_id=99)
    lamp_machine.step(lamp, "switch_off", actor=None, audit=False)

    (entry,) = _audits()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "fixture.switch_on",
        "fixture",
        "99",
    )
    assert lamp.status == "off"


def test_refused_step_raises_and_changes_nothing(db, lamp_machine):
    lamp = Lamp(id=1, status="broken")

    with pytest.raises(InvalidTransition, match="the lamp cannot do that now"):
        lamp_machine.step(lamp, "switch_on", actor=None)
    with pytest.raises(InvalidTransition, match="not while broken"):
        lamp_machine.step(lamp, "switch_off", actor=None, message="not while broken")

    assert lamp.status == "broken"
    assert _audits() == []


def test_a_guard_refuses_a_step_the_state_alone_would_allow(db, lamp_machine):
    lamp = Lamp(id=1, has_bulb=False)

    assert not lamp_machine.can(lamp, "switch_on")
    with pytest.raises(InvalidTransition):
        lamp_machine.step(lamp, "switch_on", actor=None)
    assert lamp.status == "off" and _audits() == []


def test_allowed_lists_the_legal_actions_in_table_order(lamp_machine):
    assert lamp_machine.allowed(Lamp(id=1)) == ["switch_on", "break", "dust"]
    assert lamp_machine.allowed(Lamp(id=1, status="on")) == ["switch_off", "break", "dust"]
    assert lamp_machine.allowed(Lamp(id=1, has_bulb=False)) == ["break", "dust"]
    assert lamp_machine.allowed(Lamp(id=1, status="broken")) == []


def test_an_action_without_target_keeps_the_state(db, lamp_machine):
    lamp = Lamp(id=1, status="on")

    assert lamp_machine.target("dust") is None
    assert lamp_machine.step(lamp, "dust", actor=None) == "on"
    assert lamp.status == "on"
    (entry,) = _audits()
    assert entry.before == entry.after == {"status": "on"}


def test_a_step_keeps_the_enum_type_of_the_attribute(db, lamp_machine):
    lamp = Lamp(id=1, status=Light.OFF)  # type: ignore[arg-type]

    lamp_machine.step(lamp, "switch_on", actor=None)

    assert lamp.status is Light.ON


def test_check_refuses_without_changing(lamp_machine):
    lamp = Lamp(id=1, status="broken")
    with pytest.raises(InvalidTransition):
        lamp_machine.check(lamp, "dust")
    lamp_machine.check(Lamp(id=1), "dust")  # legal: no error


def test_can_step_is_the_template_helper(lamp_machine):
    assert can_step("test_lamp", Lamp(id=1), "switch_on")
    assert not can_step("test_lamp", Lamp(id=1, status="on"), "switch_on")
    assert not can_step("test_lamp", None, "switch_on")


def test_every_machine_of_the_issue_is_declared_once_and_registered():
    # importing the services registers their machines
    from matchmaker.services.challenges import challenge_states
    from matchmaker.services.finance import finance_states
    from matchmaker.services.market import listing_states

    expected = {
        "result": listing_states.RESULT,
        "need": listing_states.NEED,
        "challenge": challenge_states.CHALLENGE,
        "application": challenge_states.APPLICATION,
        "offer": challenge_states.OFFER,
        "adoption": challenge_states.ADOPTION,
        "deal": challenge_states.DEAL,
        "milestone": challenge_states.MILESTONE,
        "lead": finance_states.LEAD,
        "product": finance_states.PRODUCT,
        "financing_need": finance_states.FINANCING_NEED,
        "finance_event": finance_states.EVENT,
        "event_meeting": finance_states.MEETING,
    }
    for name, machine in expected.items():
        assert MACHINES[name] is machine
        assert machine.name == name


def test_the_lead_machine_follows_the_documented_life_cycle():
    from matchmaker.services.finance.finance_states import LEAD

    @dataclass
    class FakeLead:
        status: str

    reachable = {str(state): LEAD.allowed(FakeLead(status=str(state))) for state in LeadStatus}
    assert reachable["requested"] == ["accept", "decline", "withdraw"]
    assert reachable["accepted"] == ["contact"]
    assert reachable["in_contact"] == ["approve", "reject"]
    assert reachable["approved"] == ["disburse"]
    for closed in ("declined", "withdrawn", "rejected", "disbursed"):
        assert reachable[closed] == []
