"""The demo 揭榜挂帅 data: every state of challenges, applications, offers, deals and milestones."""

from __future__ import annotations

import re
from decimal import Decimal

import sqlalchemy as sa

from matchmaker import seed
from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    AdoptionStatus,
    Application,
    ApplicationStatus,
    Challenge,
    ConversionOffer,
    Deal,
    DealStatus,
    Milestone,
    MilestoneEvidence,
    MilestoneStatus,
    OfferStatus,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.models.stored_file import StoredFile
from matchmaker.seed.challenges import CHALLENGE_STATES, challenges_data
from matchmaker.services.platform.files import storage_dir

STORED = re.compile(r"[0-9a-f]{32}(\.part)?")


def _seed(runner, *args: str) -> None:
    result = runner.invoke(args=["seed", "demo", "--verbose", *args])
    assert result.exit_code == 0, result.output
    assert "challenges: 14 (" in result.output


def _all_names(model) -> set[str]:  # noqa: ANN001
    return set(db.session.scalars(sa.select(model.stored_name)))


def _all(model):  # noqa: ANN001, ANN202
    return db.session.scalars(sa.select(model).order_by(model.id)).all()


def _by_state() -> dict[str, list[Challenge]]:
    states: dict[str, list[Challenge]] = {}
    for challenge in _all(Challenge):
        if challenge.kind != "challenge":  # the demo 场景: tests/services/test_scenarios.py
            continue
        states.setdefault(challenge.status, []).append(challenge)
    return states


def _files() -> tuple[set[str], set[str]]:
    """(stored evidence names in the database, file names on disk)."""
    stored = set(db.session.scalars(sa.select(MilestoneEvidence.stored_name)))
    return stored, {p.name for p in storage_dir().iterdir() if STORED.fullmatch(p.name)}


def _snapshot() -> list[tuple]:
    rows: list[tuple] = []
    for c in _all(Challenge):
        rows.append(("challenge", c.need.title, c.status, c.visibility, c.status_reason))
        for a in c.applications:
            rows.append(("application", c.need.title, a.organisation.name, a.status))
            rows.append(("decline", a.decline_reason_code, a.decline_reason))
        for m in c.panel_members:
            rows.append(("panel", c.need.title, m.user.email, m.is_expert))
            rows += [("score", s.application.organisation.name, s.feasibility) for s in m.scores]
    for o in _all(ConversionOffer):
        rows.append(("offer", o.result.title, o.status, o.modes, o.trial_months))
        rows += [("adoption", r.organisation.name, r.status) for r in o.adoption_requests]
    for d in _all(Deal):
        rows.append(("deal", d.contract_number, d.status, d.trial_outcome, str(d.amount_wan)))
        for m in d.milestones:
            rows.append(("milestone", m.title, m.status, m.rework_reason, len(m.evidence)))
    return rows


def test_the_json_holds_realistic_challenges_and_offers():
    data = challenges_data()
    assert 12 <= len(data["challenges"]) <= 16
    assert {e["state"] for e in data["challenges"]} == set(CHALLENGE_STATES)
    assert len({e["need"] for e in data["challenges"]}) == len(data["challenges"])
    assert len(data["offers"]) >= 6
    proposals = [a for e in data["challenges"] for a in e["applications"] if a["state"] != "draft"]
    assert all("成功标准" in a["indicators"] and a["plan"] and a["team"] for a in proposals)
    assert all(e["success_criteria"] and e["deliverables"] for e in data["challenges"])


def test_demo_challenges_cover_every_state(runner):
    _seed(runner)
    states = _by_state()
    assert set(states) == set(CHALLENGE_STATES)
    challenges = [c for c in _all(Challenge) if c.kind == "challenge"]  # 场景: test_scenarios
    # Published on open demo needs of verified enterprises (or as a 政府榜 on one).
    assert all(c.need.organisation.kind == "enterprise" for c in challenges)
    assert all(c.need.organisation.is_verified for c in challenges)
    assert any(c.is_government for c in challenges)
    assert {c.bounty_wan > 0 for c in challenges} == {True, False}  # 万元 and 面议
    assert all(c.published_at < c.deadline_at for c in challenges)

    # Every application state; submissions came before the deadline.
    apps = _all(Application)
    assert {a.status for a in apps} == set(ApplicationStatus)
    submitted = [a for a in apps if a.submitted_at is not None]
    assert all(a.submitted_at < a.challenge.deadline_at for a in submitted)
    assert any(a.source_result_id for a in apps)  # 用我的成果揭榜

    # Open: a draft and submitted applications; invite-only with invitations.
    open_ = states["open"]
    assert {a.status for c in open_ for a in c.applications} >= {"draft", "submitted"}
    (invite_only,) = [c for c in open_ if c.visibility == "invite_only"]
    assert len(invite_only.invitations) == 3
    invited = {i.organisation_id for i in invite_only.invitations}
    assert {a.organisation_id for a in invite_only.applications} <= invited

    # Evaluating: shortlisted and finalists, a panel that scored the finalists, no conflicts.
    panel = next(c for c in states["evaluating"] if c.panel_members)
    assert {a.status for a in panel.applications} == {"shortlisted", "finalist"}
    finalists = [a for a in panel.applications if a.status == "finalist"]
    assert all(len(a.scores) == len(panel.panel_members) for a in finalists)
    applicants = {a.organisation_id for a in panel.applications}
    assert all(m.user.organisation_id not in applicants for m in panel.panel_members)

    # Awarded: one selected, the losers declined with a reason they can read.
    (awarded,) = states["awarded"]
    assert sorted(a.status for a in awarded.applications) == ["declined", "declined", "selected"]
    assert all(
        a.decline_reason_code and a.decline_reason
        for a in awarded.applications
        if a.status == "declined"
    )
    assert awarded.awarded_at is not None and awarded.awarded_at > awarded.deadline_at

    # Contracted: a deal with two pending milestones.
    def deal_of(challenge: Challenge) -> Deal:
        (winner,) = [a for a in challenge.applications if a.status == "selected"]
        return db.session.scalar(sa.select(Deal).where(Deal.application_id == winner.id))

    contracted = deal_of(states["contracted"][0])
    assert contracted.status == "active" and contracted.contract_number
    assert [m.status for m in contracted.milestones] == ["pending", "pending"]

    # In progress: evidence delivered, one milestone sent back for rework with the reason.
    progress = deal_of(states["in_progress"][0])
    assert {m.status for m in progress.milestones} == {"accepted", "rework", "submitted"}
    (rework,) = [m for m in progress.milestones if m.status == "rework"]
    assert rework.rework_reason and rework.evidence

    # Accepted (已解决): every milestone accepted, the deal completed.
    (solved,) = states["accepted"]
    assert solved.solved_at is not None
    done = deal_of(solved)
    assert done.status == "completed"
    assert {m.status for m in done.milestones} == {"accepted"}

    # Unawarded (by the clock and by the owner), withdrawn and terminated say why.
    for state in ("unawarded", "withdrawn", "terminated"):
        assert all(c.status_reason for c in states[state])
    assert len(states["unawarded"]) == 2
    (withdrawn,) = states["withdrawn"]
    assert withdrawn.need.publication is None
    assert deal_of(states["terminated"][0]).status == "terminated"


def test_demo_offers_adoptions_and_trials(runner):
    _seed(runner)
    offers = _all(ConversionOffer)
    assert {o.status for o in offers} == set(OfferStatus)
    assert any(o.trial_months and "试用" in o.trial_terms for o in offers)
    assert {r.status for r in _all(AdoptionRequest)} == set(AdoptionStatus)
    deals = _all(Deal)
    assert {d.status for d in deals} == set(DealStatus)
    assert {m.status for m in _all(Milestone)} == set(MilestoneStatus)
    trials = [d for d in deals if d.payment_form == "use_first_pay_later"]
    today = utcnow().astimezone(CHINA).date()
    in_trial = [d for d in trials if d.status == "active"]
    assert len(in_trial) == 1
    assert in_trial[0].trial_outcome is None and in_trial[0].trial_start < today
    assert in_trial[0].trial_end > today
    paid = [d for d in trials if d.status == "completed"]
    assert [d.trial_outcome for d in paid] == ["pay"]
    assert all(d.adoption_request.wants_trial for d in trials)
    assert all(d.amount_wan > Decimal(0) for d in deals)
    # Evidence went through the upload checks and was finalized after the commit.
    stored, on_disk = _files()
    assert len(stored) == 10
    assert stored <= on_disk
    assert not any(name.endswith(".part") for name in on_disk)


def test_demo_challenges_are_deterministic_and_leave_no_orphan_files(runner):
    _seed(runner)
    first = _snapshot()
    old, _ = _files()
    _seed(runner, "--reset")
    second = _snapshot()
    assert first == second
    assert len(first) > 100
    stored, on_disk = _files()
    assert not old & on_disk  # the previous demo's evidence went with its rows
    assert stored <= on_disk
    # every file on disk belongs to a row (evidence, organisation scans, ...): no orphans left
    every_row = {name for model in StoredFile.__subclasses__() for name in _all_names(model)}
    assert every_row == on_disk


def test_a_failed_load_leaves_no_pending_files(fields):
    seed.load_demo(echo=lambda *_: None)
    assert any(p.name.endswith(".part") for p in storage_dir().iterdir())
    db.session.rollback()
    assert not any(p.name.endswith(".part") for p in storage_dir().iterdir())
    assert not _all(Challenge)
