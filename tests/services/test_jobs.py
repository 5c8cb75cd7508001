"""The job queue: durable, claimed once, retried with back-off, progress visible, CLI worker."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from matchmaker.models import Job, JobStatus, RecommenderState
from matchmaker.models.base import utcnow
from matchmaker.services.platform import jobs
from tests.conftest import log_in
from tests.factories import make_user

CALLS: list[tuple[int, dict]] = []


@jobs.handler("test.record")
def _record(job, **args):
    jobs.set_progress(job, 0.5, "halfway")
    CALLS.append((job.id, args))
    return {"echo": args}


@jobs.handler("test.flaky")
def _flaky(job, **args):
    if job.attempts < 2:
        raise RuntimeError("transient")
    return {"ok": True}


@jobs.handler("test.broken")
def _broken(job, **args):
    raise ValueError("always")


def test_a_job_runs_once_and_records_its_result(db):
    CALLS.clear()
    job = jobs.enqueue("test.record", colour="red")
    db.session.commit()
    assert jobs.run_pending() == 1
    assert jobs.run_pending() == 0
    db.session.refresh(job)
    assert job.status == JobStatus.DONE and job.progress == 1.0
    assert job.result == {"echo": {"colour": "red"}}
    assert [(job.id, {"colour": "red"})] == CALLS


def test_an_uncommitted_job_is_not_run(db):
    jobs.enqueue("test.record")
    db.session.rollback()
    assert jobs.run_pending() == 0


def test_failures_are_retried_with_back_off_then_given_up(db):
    flaky = jobs.enqueue("test.flaky")
    broken = jobs.enqueue("test.broken", max_attempts=2)
    db.session.commit()
    jobs.run_pending()
    db.session.refresh(flaky)
    assert flaky.status == JobStatus.QUEUED and flaky.run_after > utcnow()
    later = utcnow() + timedelta(minutes=5)
    jobs.run_pending(now=later)
    db.session.expire_all()
    assert db.session.get(Job, flaky.id).status == JobStatus.DONE
    broken = db.session.get(Job, broken.id)
    assert broken.status == JobStatus.FAILED and "always" in broken.message
    assert broken.attempts == 2


def test_a_job_is_claimed_by_one_worker_only(db):
    job = jobs.enqueue("test.record")
    db.session.commit()
    first = jobs.claim_next(worker="a")
    second = jobs.claim_next(worker="b")
    assert first is not None and first.id == job.id and first.worker == "a"
    assert second is None


def test_a_job_whose_worker_died_is_queued_again(db):
    job = jobs.enqueue("test.record")
    db.session.commit()
    jobs.claim_next(worker="dead")
    assert jobs.claim_next(worker="alive") is None
    rescued = jobs.claim_next(worker="alive", now=utcnow() + timedelta(hours=1))
    assert rescued is not None and rescued.id == job.id and rescued.attempts == 2


def test_admin_queues_a_rebuild_and_a_worker_runs_it(app, client, db, fields):
    import matchmaker.jobs  # noqa: F401 - registers the handlers

    admin = make_user("admin")
    db.session.commit()
    log_in(client, admin)
    assert client.post("/admin/recommender/rebuild").status_code == 302
    assert client.post("/admin/recommender/rebuild").status_code == 302  # not queued twice
    queued = db.session.scalars(sa.select(Job).where(Job.name == "recommender.rebuild")).all()
    assert len(queued) == 1
    status = client.get(f"/admin/jobs/{queued[0].id}.json").get_json()
    assert status["status"] == "queued"
    assert jobs.run_pending() == 1
    assert client.get(f"/admin/jobs/{queued[0].id}.json").get_json()["status"] == "done"
    assert db.session.get(RecommenderState, 1).generation == 1
    assert f"#{queued[0].id}" in client.get("/admin/recommender").get_data(as_text=True)


def test_cli_worker_runs_the_queue_once(runner, db):
    CALLS.clear()
    jobs.enqueue("test.record", n=1)
    db.session.commit()
    result = runner.invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "Ran 1 job(s)." in result.output
    assert len(CALLS) == 1
    listing = runner.invoke(args=["jobs", "list"])
    assert "test.record" in listing.output and "done" in listing.output
