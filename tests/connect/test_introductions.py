"""技术经纪人的引荐 (services): propose, the need owner's consent or refusal, what the broker
sees, and the deal that records the broker."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AssignmentSource,
    BrokerAssignment,
    Enquiry,
    EnquirySource,
    EnquiryStatus,
    FunnelEvent,
    FunnelStep,
)
from matchmaker.services import matching
from matchmaker.services.challenges import deals
from matchmaker.services.connect import conversations, enquiries, introductions
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.talent import broker_assignments
from tests.connect.helpers import DATA, count, kinds_for
from tests.connect.test_expert_enquiries import publish_expert
from tests.factories import make_broker, make_user, publish_need, publish_result

NOTE = "该成果的连续碳化工艺与贵司的原丝需求高度契合，建议先做小试。"


def follow(broker, need) -> None:
    db.session.add(BrokerAssignment(broker=broker, need=need, source=AssignmentSource.CLAIMED))
    db.session.commit()


@pytest.fixture
def world(fields):
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    third = make_user("enterprise")
    db.session.commit()
    result = publish_result(uni, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成")
    need = publish_need(firm, admin, fields, "高强度碳纤维原丝工艺", "需要提升原丝强度一致性" * 3)
    expert = publish_expert(uni, admin, fields)
    broker = make_broker()
    db.session.commit()
    follow(broker, need)
    return {
        "admin": admin,
        "uni": uni,
        "firm": firm,
        "third": third,
        "result": result,
        "need": need,
        "expert": expert,
        "broker": broker,
    }


def _data(kind="result", target_id=None, *, intent="license", note=NOTE):
    return introductions.IntroductionData(
        target_kind=kind, target_id=target_id, intent=intent, note=note
    )


def propose(w, kind="result", target=None, **kwargs) -> Enquiry:
    target = target or w[kind]
    enquiry = introductions.propose_introduction(
        actor=w["broker"].user, need=w["need"], data=_data(kind, target.id, **kwargs)
    )
    db.session.commit()
    return enquiry


def _kinds(user) -> list[str]:
    return kinds_for(user)  # the 对接 ones only


def test_a_proposal_waits_for_the_need_owner_and_is_hidden_from_the_other_side(world):
    w = world
    enquiry = propose(w)
    assert enquiry.status == EnquiryStatus.PROPOSED
    assert enquiry.source == EnquirySource.INTRODUCTION
    assert (enquiry.sender_org_id, enquiry.owner_org_id) == (
        w["firm"].organisation_id,
        w["uni"].organisation_id,
    )
    assert (enquiry.result_id, enquiry.for_need_id) == (w["result"].id, w["need"].id)
    assert enquiry.broker_id == w["broker"].id and enquiry.broker_note == NOTE
    assert _kinds(w["firm"]) == ["enquiry.introduced"]
    assert _kinds(w["uni"]) == []
    assert enquiries.waiting_count(w["firm"]) == 1
    assert [e.id for e in enquiries.inbox(actor=w["firm"], box="sent")] == [enquiry.id]
    # the other side and the broker never see it before consent
    assert enquiries.inbox(actor=w["uni"]) == []
    with pytest.raises(NotFound):
        enquiries.get_enquiry(actor=w["uni"], enquiry_id=enquiry.id)
    with pytest.raises(NotFound):
        enquiries.get_enquiry(actor=w["broker"].user, enquiry_id=enquiry.id)
    # not an enquiry of the funnel until consented
    assert not db.session.scalar(
        sa.select(FunnelEvent.id).where(FunnelEvent.step == FunnelStep.ENQUIRY)
    )


def test_consent_sends_it_as_an_ordinary_enquiry(world):
    w = world
    enquiry = propose(w)
    introductions.consent_introduction(actor=w["firm"], enquiry=enquiry)
    db.session.commit()
    assert enquiry.status == EnquiryStatus.OPEN
    assert enquiry.sender_user_id == w["firm"].id
    assert "enquiry.introduction_received" in _kinds(w["uni"])
    assert "enquiry.introduction_consented" in _kinds(w["broker"].user)
    assert enquiries.get_enquiry(actor=w["uni"], enquiry_id=enquiry.id) is enquiry
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FunnelEvent)
            .where(FunnelEvent.step == FunnelStep.ENQUIRY, FunnelEvent.listing_id == w["result"].id)
        )
        == 1
    )
    enquiries.accept_enquiry(actor=w["uni"], enquiry=enquiry)
    conversations.post_message(actor=w["uni"], enquiry=enquiry, body="机密报价：每吨三万元。")
    db.session.commit()
    rows = introductions.broker_introductions(actor=w["broker"].user)
    assert [(r.id, r.status) for r in rows] == [(enquiry.id, "accepted")]
    assert "机密报价" not in repr(rows)  # metadata only
    with pytest.raises(NotFound):  # the broker never reads the conversation
        enquiries.get_enquiry(actor=w["broker"].user, enquiry_id=enquiry.id)


def test_refusal_withdraws_it_with_a_reason_for_the_broker(world):
    w = world
    enquiry = propose(w, "expert")
    with pytest.raises(ValidationFailed):
        introductions.refuse_introduction(actor=w["firm"], enquiry=enquiry, reason="  ")
    introductions.refuse_introduction(actor=w["firm"], enquiry=enquiry, reason="已有合作方。")
    db.session.commit()
    assert enquiry.status == EnquiryStatus.WITHDRAWN
    assert "enquiry.introduction_refused" in _kinds(w["broker"].user)
    assert _kinds(w["uni"]) == []
    with pytest.raises(NotFound):  # the other side never received it
        enquiries.get_enquiry(actor=w["uni"], enquiry_id=enquiry.id)
    assert enquiries.inbox(actor=w["uni"]) == []
    row = introductions.broker_introductions(actor=w["broker"].user)[0]
    assert (row.status, row.refusal, row.target_kind) == ("withdrawn", "已有合作方。", "expert")
    with pytest.raises(InvalidTransition):
        introductions.consent_introduction(actor=w["firm"], enquiry=enquiry)


def test_consent_and_refusal_by_anyone_else_are_not_found(world):
    w = world
    enquiry = propose(w)
    for outsider in (w["uni"], w["third"], w["broker"].user, w["admin"]):
        with pytest.raises(NotFound):
            introductions.consent_introduction(actor=outsider, enquiry=enquiry)
        with pytest.raises(NotFound):
            introductions.refuse_introduction(actor=outsider, enquiry=enquiry, reason="不要")
    assert enquiry.status == EnquiryStatus.PROPOSED


def test_refusals_store_nothing(world, fields):
    w = world
    unverified = make_broker(verified=False)
    db.session.commit()
    follow(unverified, w["need"])
    cases = [
        (unverified.user, _data("result", w["result"].id), PermissionDenied, "核验"),
        (w["firm"], _data("result", w["result"].id), PermissionDenied, "技术经纪人"),
    ]
    for actor, data, error, text in cases:
        with pytest.raises(error, match=text):
            introductions.propose_introduction(actor=actor, need=w["need"], data=data)

    # not following
    other_need = publish_need(
        w["third"], w["admin"], fields, "风电叶片检测", "需要叶片无损检测" * 3
    )
    with pytest.raises(PermissionDenied, match="没有跟进"):
        introductions.propose_introduction(
            actor=w["broker"].user, need=other_need, data=_data("result", w["result"].id)
        )
    # bad target ids and kinds, empty note, bad intent
    for data, name in (
        (_data("result", 999_999), "target"),
        (_data("need", w["need"].id), "target"),
        (_data("result", None), "target"),
        (_data("result", w["result"].id, note=""), "note"),
        (_data("result", w["result"].id, note="长" * 2001), "note"),
        (_data("result", w["result"].id, intent="bribe"), "intent"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            introductions.propose_introduction(actor=w["broker"].user, need=w["need"], data=data)
        assert name in caught.value.errors
    # the same organisation on both sides
    own_result = publish_result(
        make_user("university", organisation=w["firm"].organisation),
        w["admin"],
        fields,
        "原丝纺丝设备",
        "自有纺丝设备改造",
    )
    with pytest.raises(InvalidTransition, match="同一机构"):
        introductions.propose_introduction(
            actor=w["broker"].user, need=w["need"], data=_data("result", own_result.id)
        )
    db.session.rollback()
    assert count(Enquiry) == 0


def test_a_broker_never_brokers_for_or_towards_its_own_organisation(world, fields):
    w = world
    for_firm = make_broker(broker_organisation=w["firm"].organisation)
    for_uni = make_broker(broker_organisation=w["uni"].organisation)
    db.session.commit()
    follow(for_firm, w["need"])
    follow(for_uni, w["need"])
    with pytest.raises(PermissionDenied, match="本机构的需求"):
        introductions.propose_introduction(
            actor=for_firm.user, need=w["need"], data=_data("result", w["result"].id)
        )
    with pytest.raises(PermissionDenied, match="本机构的成果或专家"):
        introductions.propose_introduction(
            actor=for_uni.user, need=w["need"], data=_data("expert", w["expert"].id)
        )
    assert not introductions.can_introduce(for_firm.user, w["need"])
    assert introductions.can_introduce(w["broker"].user, w["need"])
    db.session.rollback()
    assert count(Enquiry) == 0


def test_duplicates_are_refused_at_proposal_and_at_consent(world):
    w = world
    first = propose(w)
    with pytest.raises(InvalidTransition, match="等待需求方确认"):
        propose(w)
    db.session.rollback()
    # the need owner sends its own enquiry meanwhile: consent is refused, nothing changes
    own = enquiries.create_enquiry(
        actor=w["firm"], kind="result", listing_id=w["result"].id, data=DATA
    )
    db.session.commit()
    with pytest.raises(InvalidTransition, match="已就这条成果发起过对接"):
        introductions.consent_introduction(actor=w["firm"], enquiry=first)
    db.session.rollback()
    assert first.status == EnquiryStatus.PROPOSED
    with pytest.raises(InvalidTransition, match="无需再引荐"):
        propose(w, "result")
    db.session.rollback()
    assert count(Enquiry) == 2 and own.status == EnquiryStatus.OPEN


def test_the_deal_records_the_broker_and_its_fee(world):
    w = world
    enquiry = propose(w)
    introductions.consent_introduction(actor=w["firm"], enquiry=enquiry)
    enquiries.accept_enquiry(actor=w["uni"], enquiry=enquiry)
    db.session.commit()
    terms = deals.DealTerms(
        mode="transfer",
        amount_wan=Decimal(120),
        payment_form="lump_sum",
        signed_on=date(2026, 11, 20),
        broker_fee_wan=Decimal(-1),
    )
    with pytest.raises(ValidationFailed) as caught:
        deals.record_deal(actor=w["firm"], terms=terms, enquiry=enquiry)
    assert "broker_fee_wan" in caught.value.errors
    db.session.rollback()
    deal = deals.record_deal(
        actor=w["firm"],
        terms=deals.DealTerms(
            mode="transfer",
            amount_wan=Decimal(120),
            payment_form="lump_sum",
            broker_fee_wan=Decimal("3.5"),
        ),
        enquiry=enquiry,
    )
    db.session.commit()
    assert deal.broker_id == w["broker"].id
    assert deal.broker_fee_wan == Decimal("3.5")
    row = introductions.broker_introductions(actor=w["broker"].user)[0]
    assert row.deal_status == "active" and row.deal_fee_wan == Decimal("3.5")


def test_no_fee_on_a_deal_no_broker_introduced(world):
    w = world
    enquiry = enquiries.create_enquiry(
        actor=w["firm"], kind="result", listing_id=w["result"].id, data=DATA
    )
    enquiries.accept_enquiry(actor=w["uni"], enquiry=enquiry)
    db.session.commit()
    terms = deals.DealTerms(
        mode="transfer", amount_wan=Decimal(1), payment_form="lump_sum", broker_fee_wan=Decimal(1)
    )
    with pytest.raises(ValidationFailed, match="不是经纪人引荐"):
        deals.record_deal(actor=w["firm"], terms=terms, enquiry=enquiry)


def test_followed_needs_show_enquiry_metadata_only(world):
    w = world
    enquiries.create_enquiry(
        actor=w["uni"],
        kind="need",
        listing_id=w["need"].id,
        data=enquiries.EnquiryData(intent="transfer", message="我们的成果可以解决这个需求。"),
    )
    db.session.commit()
    followed = introductions.followed_needs(actor=w["broker"].user)
    assert [f.need_id for f in followed] == [w["need"].id]
    assert followed[0].counts == {"open": 1} and followed[0].total == 1
    assert followed[0].last_activity is not None
    assert "我们的成果" not in repr(followed)
    # an introduction made for the need counts too, exactly as on the broker's dashboard
    propose(w, "expert")
    followed = introductions.followed_needs(actor=w["broker"].user)
    assert followed[0].counts == {"open": 1, "proposed": 1}
    activity = broker_assignments.need_activity([w["need"].id])[w["need"].id]
    assert followed[0].counts == activity.by_status
    assert followed[0].last_activity == activity.last_activity
    with pytest.raises(PermissionDenied):
        introductions.followed_needs(actor=w["firm"])


def test_introductions_waiting_for_consent_are_the_need_owners_only(world):
    w = world
    assert introductions.awaiting_consent(actor=w["firm"]) == []
    enquiry = propose(w)
    assert introductions.awaiting_consent(actor=w["firm"]) == [enquiry]
    assert introductions.pending_for_need(actor=w["firm"], need=w["need"]) == [enquiry]
    for other in (w["uni"], w["third"], w["broker"].user, w["admin"]):
        assert introductions.awaiting_consent(actor=other) == []
    introductions.consent_introduction(actor=w["firm"], enquiry=enquiry)
    db.session.commit()
    assert introductions.awaiting_consent(actor=w["firm"]) == []


def test_need_brokers_lists_the_verified_brokers_following_now(world):
    w = world
    assert introductions.need_brokers(w["need"]) == [w["broker"]]
    unverified = make_broker(verified=False)
    db.session.commit()
    follow(unverified, w["need"])
    assert introductions.need_brokers(w["need"]) == [w["broker"]]
    broker_assignments.release_need(actor=w["broker"].user, need_id=w["need"].id)
    db.session.commit()
    assert introductions.need_brokers(w["need"]) == []


def test_candidates_are_the_engines_and_leave_out_what_is_already_going(world, fields):
    w = world
    broker, need = w["broker"], w["need"]
    fibre = publish_expert(
        w["uni"],
        w["admin"],
        fields,
        name="王强",
        directions="高强度碳纤维原丝工艺，提升原丝强度一致性",
        keywords="碳纤维，原丝",
    )
    matching.rebuild_index()
    experts = [r.profile.id for r in matching.recommend_experts_for(need, k=8)]
    results = [
        r.publication.listing_id
        for r in matching.recommend_for(need, k=8)
        if r.publication.kind == "result"
    ]
    assert fibre.id in experts and w["result"].id in results
    found = introductions.candidates(broker=broker, need=need)
    assert [c.id for c in found if c.kind == "expert"] == experts
    assert [c.id for c in found if c.kind == "result"] == results
    assert all(c.percent is not None for c in found)
    propose(w, "expert", fibre)  # introduced for this need: not offered again
    enquiries.create_enquiry(  # the need's organisation already enquires about the result
        actor=w["firm"], kind="result", listing_id=w["result"].id, data=DATA
    )
    db.session.commit()
    values = {c.value for c in introductions.candidates(broker=broker, need=need)}
    assert f"expert:{fibre.id}" not in values
    assert f"result:{w['result'].id}" not in values
