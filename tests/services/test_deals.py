"""Deals: from a selected application to an accepted challenge; 先使用后付费 adoption to payment."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Deal, MilestoneEvidence, Mode, Notification
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import applications, challenges, conversion, deals, trials
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.factories import make_user, publish_result
from tests.services.challenge_helpers import apply, challenge_world

PDF = b"%PDF-1.4 evidence"
TERMS = deals.DealTerms(
    mode="cooperation",
    amount_wan=Decimal(90),
    payment_form="instalments",
    contract_number="2201012026000123",
    signed_on=date(2026, 12, 1),
)


@pytest.fixture
def awarded(fields):
    w = challenge_world(fields)
    app = apply(w["uni_a"], w["challenge"])
    other = apply(w["uni_b"], w["challenge"])
    applications.shortlist_application(actor=w["owner"], application=app)
    challenges.tick(now=w["challenge"].deadline_at + timedelta(seconds=1))
    applications.select_application(
        actor=w["owner"], application=app, others_code="immature", others_reason="方案不够成熟"
    )
    db.session.commit()
    return {**w, "application": app, "other": other}


def _evidence(actor, milestone):
    return deals.submit_milestone_evidence(
        actor=actor, milestone=milestone, files=[(io.BytesIO(PDF), "验收报告.pdf")], note="已完成"
    )


def test_deal_with_two_milestones_solves_the_challenge(awarded):
    w = awarded
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    assert w["need"].status == "contracted"
    assert deal.provider_org_id == w["uni_a"].organisation_id
    first = deals.add_milestone(
        actor=w["owner"], deal=deal, title="中试线改造", due_on=date(2027, 3, 1)
    )
    second = deals.add_milestone(
        actor=w["owner"], deal=deal, title="批量验证", due_on=date(2027, 6, 1)
    )
    _evidence(w["uni_a"], first)
    db.session.commit()
    assert w["need"].status == "in_progress" and first.status == "submitted"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MilestoneEvidence)) == 1
    deals.request_rework(actor=w["owner"], milestone=first, reason="检测报告缺少第三方盖章")
    assert first.status == "rework" and first.rework_reason
    _evidence(w["uni_a"], first)
    deals.accept_milestone(actor=w["owner"], milestone=first)
    assert deal.status == "active"
    _evidence(w["uni_a"], second)
    deals.accept_milestone(actor=w["owner"], milestone=second)
    db.session.commit()
    assert deal.status == "completed"
    assert w["need"].status == "accepted" and w["challenge"].solved_at is not None
    kinds = set(
        db.session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == w["uni_a"].id)
        )
    )
    assert {"deal.recorded", "milestone.rework", "milestone.accepted", "deal.completed"} <= kinds


def test_evidence_must_be_a_pdf_or_image(awarded):
    w = awarded
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="交付", due_on=date(2027, 1, 1)
    )
    with pytest.raises(ValidationFailed):
        deals.submit_milestone_evidence(
            actor=w["uni_a"], milestone=milestone, files=[(io.BytesIO(b"MZ\x90"), "a.exe")]
        )


@pytest.mark.parametrize(
    "action",
    ["accept_pending", "rework_pending", "submit_accepted", "terminate_twice", "deal_twice"],
)
def test_illegal_deal_transitions_are_refused(awarded, action):
    w = awarded
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="交付", due_on=date(2027, 1, 1)
    )
    if action == "submit_accepted":
        _evidence(w["uni_a"], milestone)
        deals.accept_milestone(actor=w["owner"], milestone=milestone)
    if action == "terminate_twice":
        deals.terminate_deal(actor=w["owner"], deal=deal, reason="对方无法履约")
    calls = {
        "accept_pending": lambda: deals.accept_milestone(actor=w["owner"], milestone=milestone),
        "rework_pending": lambda: deals.request_rework(
            actor=w["owner"], milestone=milestone, reason="不合格"
        ),
        "submit_accepted": lambda: _evidence(w["uni_a"], milestone),
        "terminate_twice": lambda: deals.terminate_deal(
            actor=w["owner"], deal=deal, reason="再次终止"
        ),
        "deal_twice": lambda: deals.record_deal(
            actor=w["owner"], application=w["application"], terms=TERMS
        ),
    }
    with pytest.raises(InvalidTransition):
        calls[action]()


def test_terminating_a_deal_terminates_the_challenge(awarded):
    w = awarded
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    with pytest.raises(ValidationFailed):
        deals.terminate_deal(actor=w["owner"], deal=deal, reason="")
    deals.terminate_deal(actor=w["owner"], deal=deal, reason="对方无法履约")
    assert deal.status == "terminated" and w["need"].status == "terminated"


def test_only_the_selected_application_gets_a_deal(awarded):
    w = awarded
    with pytest.raises(InvalidTransition):
        deals.record_deal(actor=w["owner"], application=w["other"], terms=TERMS)


def test_roles_on_a_deal(awarded):
    w = awarded
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="交付", due_on=date(2027, 1, 1)
    )
    db.session.commit()
    with pytest.raises(PermissionDenied):
        _evidence(w["owner"], milestone)
    with pytest.raises(PermissionDenied):
        deals.add_milestone(actor=w["uni_a"], deal=deal, title="x", due_on=date(2027, 1, 1))
    for outsider in (w["uni_b"], make_user("enterprise")):
        with pytest.raises(NotFound):
            deals.get_deal(actor=outsider, deal_id=deal.id)
        with pytest.raises(NotFound):
            deals.accept_milestone(actor=outsider, milestone=milestone)
    assert deals.get_deal(actor=w["admin"], deal_id=deal.id) is deal


@pytest.fixture
def trial(fields):
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    result = publish_result(uni, admin, fields, "人参皂苷提取新工艺", "超临界萃取，收率提高三成")
    offer = conversion.publish_conversion_offer(
        actor=uni,
        result=result,
        terms=conversion.OfferTerms(
            modes=Mode.LICENSE_NON_EXCLUSIVE | Mode.USE_FIRST_PAY_LATER,
            price_wan=Decimal(30),
            trial_months=6,
            trial_terms="试用 6 个月，满意后付费。",
        ),
    )
    db.session.commit()
    return {"admin": admin, "uni": uni, "firm": firm, "result": result, "offer": offer}


def _trial_deal(t, start=date(2026, 12, 1), end=date(2027, 6, 1)):
    request = conversion.request_adoption(
        actor=t["firm"],
        offer=t["offer"],
        intended_use="保健品生产线",
        scale="年产 10 吨",
        wants_trial=True,
    )
    conversion.decide_adoption(actor=t["uni"], request=request, accept=True)
    return deals.record_deal(
        actor=t["firm"],
        adoption=request,
        terms=deals.DealTerms(
            mode="use_first_pay_later",
            amount_wan=Decimal(30),
            payment_form="use_first_pay_later",
            trial_start=start,
            trial_end=end,
        ),
    )


def test_use_first_pay_later_adoption_through_to_payment(trial):
    t = trial
    deal = _trial_deal(t)
    assert deal.client_org_id == t["firm"].organisation_id
    kinds = set(
        db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == t["uni"].id))
    )
    assert {"adoption.requested", "deal.recorded"} <= kinds
    trials.end_trial(actor=t["firm"], deal=deal, outcome="extend", new_end=date(2027, 9, 1))
    assert deal.trial_end == date(2027, 9, 1) and deal.status == "active"
    trials.end_trial(actor=t["firm"], deal=deal, outcome="pay")
    db.session.commit()
    assert deal.status == "completed" and deal.trial_outcome == "pay"
    with pytest.raises(InvalidTransition):
        trials.end_trial(actor=t["firm"], deal=deal, outcome="return")


def test_trial_return_and_extend_rules(trial):
    t = trial
    deal = _trial_deal(t)
    with pytest.raises(ValidationFailed):
        trials.end_trial(actor=t["firm"], deal=deal, outcome="extend", new_end=date(2027, 1, 1))
    with pytest.raises(PermissionDenied):
        trials.end_trial(actor=t["uni"], deal=deal, outcome="pay")
    trials.end_trial(actor=t["firm"], deal=deal, outcome="return")
    assert deal.status == "returned"


def test_adoption_rules(trial):
    t = trial
    with pytest.raises(PermissionDenied):
        conversion.request_adoption(actor=t["uni"], offer=t["offer"], intended_use="自用")
    request = conversion.request_adoption(actor=t["firm"], offer=t["offer"], intended_use="生产")
    with pytest.raises(InvalidTransition):
        conversion.request_adoption(actor=t["firm"], offer=t["offer"], intended_use="再申请")
    with pytest.raises(ValidationFailed):
        conversion.decide_adoption(actor=t["uni"], request=request, accept=False)
    with pytest.raises(NotFound):
        conversion.get_adoption(actor=make_user("enterprise"), request_id=request.id)
    conversion.decide_adoption(actor=t["uni"], request=request, accept=False, reason="产能不足")
    with pytest.raises(InvalidTransition):
        conversion.decide_adoption(actor=t["uni"], request=request, accept=True)
    with pytest.raises(InvalidTransition):
        deals.record_deal(actor=t["firm"], adoption=request, terms=TERMS)


def test_trial_tick_reminds_once_and_flags_overdue_once(trial):
    t = trial
    deal = _trial_deal(t, start=date(2026, 1, 1), end=date(2026, 12, 20))
    now = datetime(2026, 12, 10, 2, tzinfo=utcnow().tzinfo)
    assert challenges.tick(now=now)["trial_reminded"] == 1
    assert challenges.tick(now=now + timedelta(days=1))["trial_reminded"] == 0
    later = datetime(2026, 12, 22, 2, tzinfo=utcnow().tzinfo)
    assert challenges.tick(now=later)["trial_overdue"] == 1
    assert challenges.tick(now=later + timedelta(days=1))["trial_overdue"] == 0
    assert deal.trial_overdue_at is not None
    kinds = list(
        db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == t["firm"].id))
    )
    assert kinds.count("trial.ending") == 1 and kinds.count("trial.overdue") == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deal)) == 1
