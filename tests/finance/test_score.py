"""The 创新积分: the worked examples of docs/innovation-score.md, weights, versions, staleness."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import matchmaker.jobs  # noqa: F401 - registers the job handlers
from matchmaker.models import AuditLog, FirmProfile, Job, ScoreFormula, SpecialisedLevel
from matchmaker.models.base import utcnow
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.finance import innovation_score
from matchmaker.services.finance.firm_activity import PlatformActivity
from matchmaker.services.platform import jobs
from tests.factories import make_user
from tests.finance_factories import make_profile

TODAY = date(2025, 6, 30)
EXAMPLE_A = {
    "years": [(2023, 2000, 100), (2024, 2400, 112)],
    "patents_invention": 3,
    "patents_utility": 8,
    "patents_design": 1,
    "software_copyrights": 2,
    "high_tech": True,
    "high_tech_cert_no": "GR202422000123",
    "high_tech_expires_on": date(2026, 12, 31),
    "specialised": SpecialisedLevel.SME,
    "specialised_cert_no": "吉工信 2024-118",
    "specialised_expires_on": date(2027, 3, 31),
    "awards": "2023 年吉林省科学技术进步奖二等奖\n\n2024 年长春市专利金奖\n",
}
ACTIVITY_A = PlatformActivity(
    needs_posted=2,
    challenges_won=1,
    challenges_solved=0,
    results_adopted=1,
    deals=2,
    deal_amount_wan=Decimal(180),
    milestones_accepted=3,
    decisions=3,
    median_response_hours=60.0,
)
# (raw, normalised, weight, points) of every indicator in the doc's table for example A
TABLE_A = {
    "rd_intensity": (4.67, 46.70, 20, 9.34),
    "patents": (34, 77.04, 20, 15.41),
    "certifications": (80, 80.00, 15, 12.00),
    "awards": (2, 40.00, 5, 2.00),
    "rd_growth": (12, 40.00, 10, 4.00),
    "revenue_growth": (20, 66.67, 10, 6.67),
    "platform_activity": (27, 84.75, 15, 12.71),
    "responsiveness": (60, 75.00, 5, 3.75),
}
TABLE_B = {
    "rd_intensity": (6.92, 69.20, 20, 13.84),
    "patents": (34, 77.04, 20, 15.41),
    "certifications": (50, 50.00, 15, 7.50),
    "awards": (0, 0.00, 5, 0.00),
    "rd_growth": (50, 100.00, 10, 10.00),
    "revenue_growth": (30, 100.00, 10, 10.00),
    "platform_activity": (0, 0.00, 15, 0.00),
    "responsiveness": (None, 0.00, 5, 0.00),
}


def _rows(profile: FirmProfile) -> dict[str, tuple]:
    return {
        r["key"]: (r["raw"], r["normalised"], r["weight"], r["points"])
        for r in profile.score_breakdown["indicators"]
    }


def test_default_weights_sum_to_100_and_cover_every_indicator():
    assert sum(innovation_score.DEFAULT_WEIGHTS.values()) == 100
    assert set(innovation_score.DEFAULT_WEIGHTS) == set(innovation_score.KEYS)


def test_v1_is_stored_only_by_what_computes_or_edits_scores(db):
    assert innovation_score.current_formula().version == 1
    assert [f.version for f in innovation_score.formulas()] == [1]
    assert db.session.scalar(sa.select(sa.func.count(ScoreFormula.id))) == 0
    innovation_score.compute_score(make_profile(make_user("enterprise")))
    stored = db.session.scalar(sa.select(ScoreFormula))
    assert stored.version == 1 and stored.weights == innovation_score.DEFAULT_WEIGHTS


def test_worked_example_a_reproduces_the_doc(db):
    profile = make_profile(make_user("enterprise"), **EXAMPLE_A)
    score = innovation_score.compute_score(profile, activity=ACTIVITY_A, today=TODAY)
    assert score == Decimal("65.88")
    assert profile.score == Decimal("65.88")
    assert _rows(profile) == TABLE_A
    assert profile.score_version == 1 and profile.score_breakdown["version"] == 1
    assert profile.score_stale is False and profile.score_computed_at is not None
    assert profile.score_breakdown["total"] == 65.88


def test_expired_certificate_is_not_counted(db):
    expired = {**EXAMPLE_A, "high_tech_expires_on": TODAY - timedelta(days=1)}
    profile = make_profile(make_user("enterprise"), **expired)
    score = innovation_score.compute_score(profile, activity=ACTIVITY_A, today=TODAY)
    assert _rows(profile)["certifications"] == (30, 30.00, 15, 4.50)
    assert score == Decimal("58.38")
    # valid on the expiry day itself, not the day after
    on_the_day = {**EXAMPLE_A, "specialised_expires_on": TODAY, "high_tech": False}
    other = make_profile(make_user("enterprise"), **on_the_day)
    innovation_score.compute_score(other, activity=ACTIVITY_A, today=TODAY)
    assert _rows(other)["certifications"][0] == 30
    innovation_score.compute_score(other, activity=ACTIVITY_A, today=TODAY + timedelta(days=1))
    assert _rows(other)["certifications"][0] == 0


def test_worked_example_b_declared_only_through_the_database(db):
    profile = make_profile(
        make_user("enterprise"), high_tech_expires_on=date.today() + timedelta(days=365)
    )
    score = innovation_score.compute_score(profile)  # platform activity counted: none
    assert score == Decimal("56.75")
    assert _rows(profile) == TABLE_B


def test_transforms_at_their_bounds():
    n = innovation_score.normalise
    assert n("rd_intensity", Decimal(25)) == Decimal("100.00")  # capped
    assert n("rd_growth", Decimal(-15)) == Decimal("0.00")  # decline is 0, not negative
    assert n("patents", Decimal(0)) == Decimal("0.00")
    assert n("patents", Decimal(100)) == Decimal("100.00")
    assert n("patents", Decimal(5000)) == Decimal("100.00")
    assert n("certifications", Decimal(100)) == Decimal("100.00")
    assert n("awards", Decimal(9)) == Decimal("100.00")
    assert n("platform_activity", Decimal(50)) == Decimal("100.00")
    assert n("responsiveness", Decimal(2)) == Decimal("100.00")
    assert n("responsiveness", Decimal(168)) == Decimal("0.00")
    assert n("responsiveness", Decimal(500)) == Decimal("0.00")
    assert n("responsiveness", None) == Decimal("0.00")


def test_growth_needs_the_year_right_before_the_latest(db):
    profile = make_profile(make_user("enterprise"), years=[(2021, 1000, 50), (2024, 1300, 90)])
    innovation_score.compute_score(profile, activity=PlatformActivity(), today=TODAY)
    rows = _rows(profile)
    assert rows["rd_growth"][0] is None and rows["revenue_growth"][0] is None
    assert rows["rd_intensity"][0] == 6.92
    zero_revenue = make_profile(make_user("enterprise"), years=[(2024, 0, 40)])
    innovation_score.compute_score(zero_revenue, activity=PlatformActivity(), today=TODAY)
    assert _rows(zero_revenue)["rd_intensity"] == (None, 0.0, 20, 0.0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"awards": 6}, "weights"),  # sums to 101
        ({"awards": -1, "responsiveness": 11}, "awards"),
        ({"patents": 101, "rd_intensity": -81}, "patents"),
        ({"awards": "2.5"}, "awards"),
        ({"awards": "abc"}, "awards"),
        ({"awards": None}, "awards"),
        ({"unknown": 0}, "weights"),
    ],
)
def test_weights_must_be_whole_numbers_0_to_100_summing_to_100(db, change, field):
    admin = make_user("admin")
    before = innovation_score.current_formula().version
    with pytest.raises(ValidationFailed) as error:
        innovation_score.save_formula(
            actor=admin, weights={**innovation_score.DEFAULT_WEIGHTS, **change}, note="调整"
        )
    assert field in error.value.errors
    assert innovation_score.current_formula().version == before
    assert db.session.scalar(sa.select(sa.func.count(ScoreFormula.id))) == 0


def test_missing_weight_is_refused(db):
    weights = dict(innovation_score.DEFAULT_WEIGHTS)
    del weights["awards"]
    with pytest.raises(ValidationFailed) as error:
        innovation_score.save_formula(actor=make_user("admin"), weights=weights)
    assert "awards" in error.value.errors


def test_only_admins_edit_the_formula(db):
    with pytest.raises(PermissionDenied):
        innovation_score.save_formula(
            actor=make_user("enterprise"), weights=innovation_score.DEFAULT_WEIGHTS
        )


def test_a_new_version_marks_every_profile_stale_and_the_job_rescores(db):
    admin = make_user("admin")
    profile = make_profile(make_user("enterprise"), **EXAMPLE_A)
    innovation_score.compute_score(profile)
    first = profile.score
    db.session.commit()
    weights = {**innovation_score.DEFAULT_WEIGHTS, "platform_activity": 5, "rd_intensity": 30}
    formula = innovation_score.save_formula(actor=admin, weights=weights, note="提高研发强度权重")
    db.session.commit()
    assert formula.version == 2
    assert [f.version for f in innovation_score.formulas()] == [2, 1]
    db.session.refresh(profile)
    assert profile.score_stale is True and profile.score_version == 1
    job = db.session.scalar(sa.select(Job).where(Job.name == "finance.rescore"))
    assert job is not None and job.created_by_id == admin.id
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "score_formula.create"))
    assert audit.after["version"] == 2 and audit.reason == "提高研发强度权重"
    assert jobs.run_pending() == 1
    db.session.refresh(profile)
    assert profile.score_stale is False and profile.score_version == 2
    assert _rows(profile)["rd_intensity"][2] == 30
    assert profile.score != first
    # the first version is kept unchanged
    v1 = db.session.scalar(sa.select(ScoreFormula).where(ScoreFormula.version == 1))
    assert v1.weights == innovation_score.DEFAULT_WEIGHTS


def test_rescore_recomputes_only_what_needs_it(db):
    fresh = make_profile(make_user("enterprise"))
    stale = make_profile(make_user("enterprise"))
    never = make_profile(make_user("enterprise"))
    for p in (fresh, stale):
        innovation_score.compute_score(p)
    innovation_score.mark_stale(stale.organisation_id, None)
    db.session.flush()
    assert stale.score_stale is True and fresh.score_stale is False
    assert innovation_score.rescore() == 2
    assert never.score is not None and stale.score_stale is False
    assert innovation_score.rescore() == 0
    assert innovation_score.rescore(all_profiles=True) == 3


def test_a_certificate_expiring_after_scoring_makes_the_score_due(db):
    profile = make_profile(make_user("enterprise"), high_tech_expires_on=date.today())
    innovation_score.compute_score(profile)
    assert _rows(profile)["certifications"][0] == 50
    assert not innovation_score.needs_rescore(profile)
    tomorrow = date.today() + timedelta(days=1)
    assert innovation_score.needs_rescore(profile, tomorrow)
    assert innovation_score.rescore(today=tomorrow) == 1
    assert _rows(profile)["certifications"][0] == 0


def test_cli_rescore(db, runner):
    profile = make_profile(make_user("enterprise"))
    db.session.commit()
    result = runner.invoke(args=["finance", "rescore"])
    assert result.exit_code == 0, result.output
    assert "Rescored 1" in result.output
    db.session.refresh(profile)
    assert profile.score == Decimal("56.75")
    assert runner.invoke(args=["finance", "rescore"]).output.startswith("Rescored 0")
    assert "Rescored 1" in runner.invoke(args=["finance", "rescore", "--all"]).output


def test_a_platform_change_queues_one_rescore_job_that_the_worker_runs(db):
    first = make_profile(make_user("enterprise"))
    second = make_profile(make_user("enterprise"))
    for p in (first, second):
        innovation_score.compute_score(p)
    innovation_score.mark_stale(first.organisation_id)
    innovation_score.mark_stale(second.organisation_id)  # a burst: still one job
    innovation_score.mark_stale(None)
    (job,) = db.session.scalars(sa.select(Job).where(Job.name == "finance.rescore")).all()
    assert job.run_after > utcnow()  # waits a minute so a burst is scored once
    assert jobs.run_pending(now=job.run_after + timedelta(seconds=1)) == 1
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.score_stale is False and second.score_stale is False
    assert job.status == "done"
