"""The demo 技术经纪人: two verified brokers, the needs they follow, introductions in every
state, a deal naming the broker with a fee, and enterprises' enquiries to experts."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AssignmentSource,
    BrokerAssignment,
    BrokerProfile,
    BrokerStatus,
    Deal,
    Enquiry,
    EnquirySource,
    User,
)
from matchmaker.seed import demo_data
from matchmaker.seed.brokers import brokers_data
from matchmaker.services.accounts.accounts import authenticate
from matchmaker.services.connect.enquiry_states import is_party
from matchmaker.services.talent.brokers import acting_broker


def _seed(runner, *args: str) -> str:
    result = runner.invoke(args=["seed", "demo", "--verbose", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _all(model, *where):  # noqa: ANN001, ANN202
    return db.session.scalars(sa.select(model).where(*where).order_by(model.id)).all()


def _introductions() -> list[Enquiry]:
    return _all(Enquiry, Enquiry.source == EnquirySource.INTRODUCTION)


def _snapshot() -> list[tuple]:
    rows: list[tuple] = []
    for broker in _all(BrokerProfile):
        rows.append(
            (
                broker.user.email,
                broker.licence_number,
                broker.organisation.name if broker.organisation else None,
                str(broker.status),
            )
        )
        rows += sorted((a.need.title, str(a.source)) for a in broker.assignments)
    for e in _all(Enquiry, sa.or_(Enquiry.broker_id.is_not(None), Enquiry.expert_id.is_not(None))):
        rows.append(
            (
                e.broker.user.email if e.broker else None,
                e.for_need.title if e.for_need else None,
                e.sender_org.name,
                e.owner_org.name,
                str(e.status),
                e.decline_reason,
                str(e.outcome) if e.outcome else None,
                [m.body for m in e.messages],
            )
        )
    return rows


def test_demo_brokers_are_verified_and_follow_needs(runner):
    output = _seed(runner)
    data = brokers_data()
    brokers = _all(BrokerProfile)
    assert len(brokers) == len(data["brokers"]) == 2
    assert all(b.status == BrokerStatus.VERIFIED and b.verified_by is not None for b in brokers)
    assert all(b.user.organisation_id is None and b.user.email_verified_at for b in brokers)
    # one works for a demo organisation (it never follows that organisation's needs), one not
    attached = [b for b in brokers if b.organisation_id is not None]
    assert [b.organisation.name for b in attached] == ["吉林大学"]
    assert any(b.organisation_id is None for b in brokers)
    for broker in brokers:
        assert acting_broker(broker.user) is broker
        assert authenticate(email=broker.user.email, password=demo_data()["password"])
        assert broker.assignments and all(
            a.need.organisation_id != broker.organisation_id and a.ended_at is None
            for a in broker.assignments
        )
    sources = {str(a.source) for a in _all(BrokerAssignment)}
    assert sources == {str(AssignmentSource.ASSIGNED), str(AssignmentSource.CLAIMED)}
    assigned = _all(BrokerAssignment, BrokerAssignment.source == AssignmentSource.ASSIGNED)
    assert all(a.assigned_by is not None and a.assigned_by.role == "admin" for a in assigned)
    assert "brokers: 2 verified, following 8 needs; 8 introductions" in output


def test_demo_introductions_cover_every_state(runner):
    _seed(runner)
    data = brokers_data()["introductions"]
    played = _introductions()
    assert len(played) == len(data)
    assert Counter(str(e.status) for e in played) == Counter(entry["state"] for entry in data)
    assert {str(e.status) for e in played} == {
        "proposed",
        "withdrawn",
        "open",
        "info_requested",
        "accepted",
        "declined",
        "closed",
    }
    assert {str(e.outcome) for e in played if e.status == "closed"} == {"contract", "no_deal"}
    assert all(e.broker_id and e.for_need_id and e.broker_note for e in played)
    # the introduced side: results and experts, never of the broker's own organisation
    assert {e.listing_kind for e in played} == {"result", "expert"}
    assert all(e.owner_org_id != e.broker.organisation_id for e in played)
    # each introduction is for a need its broker follows, sent on the need owner's behalf
    assert all(e.sender_org_id == e.for_need.organisation_id for e in played)
    # refused by the need owner: withdrawn with the reason, never seen by the other side
    [refused] = [e for e in played if e.status == "withdrawn"]
    assert refused.decline_reason
    owner = db.session.scalar(sa.select(User).where(User.organisation_id == refused.owner_org_id))
    assert owner is not None and not is_party(owner, refused)
    talking = [e for e in played if e.status in ("accepted", "closed")]
    assert talking and all(len(e.messages) >= 2 for e in talking)
    [asked] = [e for e in played if e.status == "info_requested"]
    assert asked.info_request and asked.answered_at is not None
    # an expert's introduction goes to the expert's organisation
    experts = [e for e in played if e.listing_kind == "expert"]
    assert len(experts) >= 1 and all(e.expert.organisation_id == e.owner_org_id for e in experts)


def test_demo_brokered_deal_names_the_broker_and_its_fee(runner):
    _seed(runner)
    [deal] = _all(Deal, Deal.broker_id.is_not(None))
    assert deal.broker_fee_wan is not None and 0 < deal.broker_fee_wan < deal.amount_wan
    source = db.session.get(Enquiry, deal.enquiry_id)
    assert source is not None and source.outcome == "contract"
    assert source.broker_id == deal.broker_id
    assert (deal.provider_org_id, deal.client_org_id) == (source.owner_org_id, source.sender_org_id)
    # deals not from an introduction carry no broker and no fee
    others = _all(Deal, Deal.broker_id.is_(None))
    assert others and all(d.broker_fee_wan is None for d in others)


def test_demo_enquiries_to_experts(runner):
    _seed(runner)
    direct = _all(
        Enquiry, Enquiry.expert_id.is_not(None), Enquiry.source != EnquirySource.INTRODUCTION
    )
    assert sorted(str(e.status) for e in direct) == ["accepted", "open"]
    assert all(e.broker_id is None and e.sender_org.kind == "enterprise" for e in direct)
    assert all(e.owner_org_id == e.expert.organisation_id for e in direct)
    [talking] = [e for e in direct if e.status == "accepted"]
    assert len(talking.messages) == 2


def test_demo_brokers_are_deterministic_and_not_loaded_twice(runner):
    _seed(runner)
    first = _snapshot()
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code != 0 and "--reset" in again.output
    assert len(_all(BrokerProfile)) == 2
    _seed(runner, "--reset")
    assert _snapshot() == first
    assert len(first) == 2 + 8 + 8 + 2  # brokers, needs followed, introductions, to experts
