"""揭榜挂帅 services: publish, apply, pipeline, panel, deadlines, visibility, the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Notification
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import applications, challenges, panels
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform import notifications
from tests.factories import make_user
from tests.services.challenge_helpers import PROPOSAL, apply, challenge_world


@pytest.fixture
def world(fields):
    return challenge_world(fields)


def _kinds(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id))
    )


def _close(challenge):
    challenges.tick(now=challenge.deadline_at + timedelta(seconds=1))


def test_pipeline_to_selection_declines_the_other_with_a_visible_reason(world, outbox):
    w = world
    challenge = w["challenge"]
    prefilled = applications.prefill_from_result(actor=w["uni_a"], result=w["result"])
    assert prefilled.source_result_id == w["result"].id and prefilled.trl == 6
    data_a = applications.ApplicationData(
        **{
            **PROPOSAL.__dict__,
            "approach": prefilled.approach,
            "source_result_id": prefilled.source_result_id,
        }
    )
    app_a = apply(w["uni_a"], challenge, data_a)
    app_b = apply(w["uni_b"], challenge)
    assert app_a.source_result_id == w["result"].id
    assert "application.submitted" in _kinds(w["owner"])
    for app in (app_a, app_b):
        applications.shortlist_application(actor=w["owner"], application=app)
        applications.make_finalist(actor=w["owner"], application=app)
    expert = make_user("enterprise")
    colleague = make_user("enterprise", organisation=w["owner"].organisation)
    for reviewer in (expert, colleague):
        panels.add_panel_member(actor=w["owner"], challenge=challenge, user=reviewer)
    panels.score_application(
        actor=expert, application=app_a, feasibility=9, maturity=8, price=7, team=9
    )
    panels.score_application(
        actor=colleague, application=app_a, feasibility=7, maturity=8, price=7, team=7
    )
    panels.score_application(
        actor=expert, application=app_b, feasibility=5, maturity=4, price=8, team=5
    )
    rows = panels.combined_scores(actor=w["owner"], challenge=challenge)
    assert [r.application for r in rows] == [app_a, app_b]
    assert rows[0].averages["feasibility"] == 8 and len(rows[0].by_member) == 2
    assert rows[0].total == pytest.approx((30 * 8 + 25 * 8 + 20 * 7 + 25 * 8) / 100)
    _close(challenge)
    assert w["need"].status == "evaluating"
    declined = applications.select_application(
        actor=w["owner"],
        application=app_a,
        others_code="price_too_high",
        others_reason="报价高于预算",
    )
    db.session.commit()
    assert declined == [app_b]
    assert w["need"].status == "awarded" and app_a.status == "selected"
    seen = applications.get_application(actor=w["uni_b"], application_id=app_b.id)
    assert seen.decline_reason_code == "price_too_high" and seen.decline_reason == "报价高于预算"
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == w["uni_b"].id, Notification.kind == "application.declined"
        )
    )
    assert note.params["reason_code"] == "price_too_high" and "reason_label" not in note.params
    with force_locale("zh_Hans_CN"):
        assert "（报价过高）" in notifications.render(note.kind, note.params)[1]
    with force_locale("en"):
        assert "(Price too high)" in notifications.render(note.kind, note.params)[1]
    assert "application.selected" in _kinds(w["uni_a"])
    assert any("报价高于预算" in m.body for m in outbox)
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {
        "challenge.publish",
        "application.submit",
        "application.select",
        "challenge.award",
    } <= actions


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("draft", "shortlist"),
        ("submitted", "finalist"),
        ("submitted", "select"),
        ("shortlisted", "shortlist"),
        ("declined", "shortlist"),
        ("declined", "decline"),
        ("withdrawn", "submit"),
        ("withdrawn", "withdraw"),
        ("selected", "withdraw"),
        ("selected", "decline"),
    ],
)
def test_illegal_application_transitions_are_refused(world, setup, action):
    w = world
    app = applications.save_application_draft(
        actor=w["uni_a"], challenge=w["challenge"], data=PROPOSAL
    )
    if setup != "draft":
        applications.submit_application(actor=w["uni_a"], application=app)
    if setup in ("shortlisted", "selected"):
        applications.shortlist_application(actor=w["owner"], application=app)
    if setup == "declined":
        applications.decline_application(
            actor=w["owner"], application=app, code="unclear", reason="x"
        )
    if setup == "withdrawn":
        applications.withdraw_application(actor=w["uni_a"], application=app)
    if setup == "selected":
        _close(w["challenge"])
        applications.select_application(
            actor=w["owner"], application=app, others_code="other", others_reason="-"
        )
    calls = {
        "shortlist": lambda: applications.shortlist_application(actor=w["owner"], application=app),
        "finalist": lambda: applications.make_finalist(actor=w["owner"], application=app),
        "select": lambda: applications.select_application(
            actor=w["owner"], application=app, others_code="other", others_reason="-"
        ),
        "decline": lambda: applications.decline_application(
            actor=w["owner"], application=app, code="other", reason="-"
        ),
        "submit": lambda: applications.submit_application(actor=w["uni_a"], application=app),
        "withdraw": lambda: applications.withdraw_application(actor=w["uni_a"], application=app),
    }
    # A draft is invisible to the owner (NotFound); everything else is a 409.
    expected = NotFound if setup == "draft" else InvalidTransition
    with pytest.raises(expected):
        calls[action]()


@pytest.mark.parametrize("action", ["close", "withdraw", "unaward", "publish_again", "invite"])
def test_illegal_challenge_transitions_are_refused(world, action):
    w = world
    challenge = w["challenge"]
    challenges.withdraw_challenge(actor=w["owner"], challenge=challenge, reason="需求取消")
    assert w["need"].status == "withdrawn"
    calls = {
        "close": lambda: challenges.close_applications(actor=w["owner"], challenge=challenge),
        "withdraw": lambda: challenges.withdraw_challenge(
            actor=w["owner"], challenge=challenge, reason="再撤"
        ),
        "unaward": lambda: challenges.end_unawarded(
            actor=w["owner"], challenge=challenge, reason="无"
        ),
        "publish_again": lambda: challenges.publish_challenge(
            actor=w["owner"], need=w["need"], terms=_terms()
        ),
        "invite": lambda: challenges.invite_organisations(
            actor=w["owner"], challenge=challenge, organisations=[w["uni_a"].organisation]
        ),
    }
    with pytest.raises(InvalidTransition):
        calls[action]()


def _terms():
    from tests.services.challenge_helpers import terms

    return terms()


def test_selection_needs_the_window_closed(world):
    w = world
    app = apply(w["uni_a"], w["challenge"])
    applications.shortlist_application(actor=w["owner"], application=app)
    with pytest.raises(InvalidTransition):
        applications.select_application(
            actor=w["owner"], application=app, others_code="other", others_reason="-"
        )


def test_decline_needs_a_reason_code_and_text(world):
    w = world
    app = apply(w["uni_a"], w["challenge"])
    with pytest.raises(ValidationFailed):
        applications.decline_application(
            actor=w["owner"], application=app, code="bogus", reason="x"
        )
    with pytest.raises(ValidationFailed):
        applications.decline_application(
            actor=w["owner"], application=app, code="other", reason=" "
        )


def test_deadline_is_enforced_on_the_server(world):
    w = world
    challenge = w["challenge"]
    app = applications.save_application_draft(actor=w["uni_a"], challenge=challenge, data=PROPOSAL)
    late = challenge.deadline_at + timedelta(minutes=1)
    with pytest.raises(InvalidTransition):
        applications.submit_application(actor=w["uni_a"], application=app, now=late)
    with pytest.raises(InvalidTransition):
        applications.save_application_draft(
            actor=w["uni_b"], challenge=challenge, data=PROPOSAL, now=late
        )
    assert app.status == "draft"


def test_deadline_must_be_in_the_future_and_within_the_need(fields):
    with pytest.raises(ValidationFailed) as info:
        challenge_world(fields, deadline_at=utcnow() - timedelta(days=1))
    assert "deadline_at" in info.value.errors


def test_invite_only_challenges_take_invited_organisations_only(fields):
    w = challenge_world(fields, visibility="invite_only")
    with pytest.raises(PermissionDenied):
        applications.save_application_draft(
            actor=w["uni_b"], challenge=w["challenge"], data=PROPOSAL
        )
    created = challenges.invite_organisations(
        actor=w["owner"], challenge=w["challenge"], organisations=[w["uni_b"].organisation]
    )
    assert len(created) == 1 and "challenge.invited" in _kinds(w["uni_b"])
    assert apply(w["uni_b"], w["challenge"]).status == "submitted"
    with pytest.raises(PermissionDenied):
        applications.save_application_draft(
            actor=w["uni_a"], challenge=w["challenge"], data=PROPOSAL
        )


def test_one_live_application_per_organisation(world):
    w = world
    first = apply(w["uni_a"], w["challenge"])
    colleague = make_user("university", organisation=w["uni_a"].organisation)
    with pytest.raises(InvalidTransition):
        applications.save_application_draft(
            actor=colleague, challenge=w["challenge"], data=PROPOSAL
        )
    applications.withdraw_application(actor=colleague, application=first)
    again = applications.save_application_draft(
        actor=colleague, challenge=w["challenge"], data=PROPOSAL
    )
    assert again is first and again.status == "draft"


def test_incomplete_drafts_autosave_but_do_not_submit(world):
    w = world
    draft = applications.save_application_draft(
        actor=w["uni_a"],
        challenge=w["challenge"],
        data=applications.ApplicationData(approach="草稿"),
    )
    with pytest.raises(ValidationFailed) as info:
        applications.submit_application(actor=w["uni_a"], application=draft)
    assert {"approach", "trl", "plan"} <= set(info.value.errors)


def test_owner_cannot_apply_and_unverified_cannot_publish(fields, world):
    w = world
    with pytest.raises(PermissionDenied):
        applications.save_application_draft(
            actor=w["owner"], challenge=w["challenge"], data=PROPOSAL
        )
    stranger = make_user("enterprise")
    with pytest.raises(NotFound):
        challenges.publish_challenge(actor=stranger, need=w["need"], terms=_terms())


def test_conflict_of_interest_is_refused(world):
    w = world
    app = apply(w["uni_a"], w["challenge"])
    colleague = make_user("university", organisation=w["uni_a"].organisation)
    with pytest.raises(PermissionDenied):
        panels.add_panel_member(actor=w["owner"], challenge=w["challenge"], user=colleague)
    # A reviewer added before the colleague's organisation applied may still not score it.
    reviewer = make_user("university")
    panels.add_panel_member(actor=w["owner"], challenge=w["challenge"], user=reviewer)
    late_app = apply(reviewer.organisation.members[0], w["challenge"])
    for a in (app, late_app):
        applications.shortlist_application(actor=w["owner"], application=a)
        applications.make_finalist(actor=w["owner"], application=a)
    with pytest.raises(PermissionDenied):
        panels.score_application(
            actor=reviewer, application=late_app, feasibility=9, maturity=9, price=9, team=9
        )
    panels.score_application(
        actor=reviewer, application=app, feasibility=6, maturity=6, price=6, team=6
    )


def test_scores_only_finalists_by_panel_members(world):
    w = world
    app = apply(w["uni_a"], w["challenge"])
    expert = make_user("enterprise")
    panels.add_panel_member(actor=w["owner"], challenge=w["challenge"], user=expert)
    with pytest.raises(InvalidTransition):
        panels.score_application(
            actor=expert, application=app, feasibility=5, maturity=5, price=5, team=5
        )
    outsider = make_user("enterprise")
    with pytest.raises(NotFound):
        panels.score_application(
            actor=outsider, application=app, feasibility=5, maturity=5, price=5, team=5
        )
    applications.shortlist_application(actor=w["owner"], application=app)
    applications.make_finalist(actor=w["owner"], application=app)
    with pytest.raises(ValidationFailed):
        panels.score_application(
            actor=expert, application=app, feasibility=11, maturity=5, price=5, team=5
        )


def test_applications_are_invisible_to_non_parties(world):
    w = world
    app = apply(w["uni_a"], w["challenge"])
    db.session.commit()
    for outsider in (w["uni_b"], make_user("enterprise"), make_user("bank")):
        with pytest.raises(NotFound):
            applications.get_application(actor=outsider, application_id=app.id)
    for insider in (w["uni_a"], w["owner"], w["admin"]):
        assert applications.get_application(actor=insider, application_id=app.id) is app
    with pytest.raises(NotFound):
        applications.withdraw_application(actor=w["uni_b"], application=app)
    with pytest.raises(NotFound):
        applications.shortlist_application(actor=w["uni_b"], application=app)


def test_tick_closes_windows_once_and_unawards_empty_challenges(fields):
    w = challenge_world(fields)
    empty = challenge_world(fields)
    apply(w["uni_a"], w["challenge"])
    later = max(w["challenge"].deadline_at, empty["challenge"].deadline_at) + timedelta(seconds=1)
    assert challenges.tick(now=later)["closed"] == 2
    assert w["need"].status == "evaluating"
    assert empty["need"].status == "unawarded" and empty["challenge"].status_reason
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    assert challenges.tick(now=later + timedelta(hours=1))["closed"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audits


def test_tick_before_the_deadline_changes_nothing(world):
    assert challenges.tick(now=utcnow())["closed"] == 0
    assert world["need"].status == "open"


def test_recommended_invitees_are_other_organisations(world):
    ranked = challenges.recommended_invitees(actor=world["owner"], challenge=world["challenge"])
    orgs = [m.organisation for m in ranked]
    assert world["uni_a"].organisation in orgs
    assert world["owner"].organisation not in orgs
    assert world["uni_b"].organisation not in orgs  # no listed result: nothing to rank it by
    assert any("碳纤维" in term for term in ranked[0].match.terms)


def test_cli_tick_runs(runner, fields):
    result = runner.invoke(args=["challenges", "tick"])
    assert result.exit_code == 0, result.output
    assert "Closed 0 challenges" in result.output


def test_a_need_published_as_a_challenge_changes_only_through_the_challenge(fields):
    """Terms are fixed up front: the listings service refuses to edit or withdraw the need."""
    from matchmaker.services.errors import InvalidTransition
    from matchmaker.services.market import listings

    world = challenge_world(fields)
    need, owner = world["need"], world["owner"]
    data = listings.NeedData(
        title="改过的标题",
        field_id=need.field_id,
        keywords=(),
        region=need.region,
        description=need.description,
    )
    with pytest.raises(InvalidTransition):
        listings.update_listing(actor=owner, listing=need, data=data)
    with pytest.raises(InvalidTransition):
        listings.withdraw_listing(actor=owner, listing=need)
    assert need.title != "改过的标题" and need.status == "open"
