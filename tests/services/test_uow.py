"""The unit of work outside requests: CLI scopes, jobs, and the after-commit / on-rollback hooks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Job, JobStatus
from matchmaker.services.platform import jobs, uow
from matchmaker.services.platform.audit import record_audit


def _write(tag: str) -> None:
    record_audit(actor=None, action=f"probe.{tag}", object_type="probe")
    db.session.flush()


def _stored() -> list[str]:
    db.session.rollback()  # look at what was committed, not at what is pending
    return sorted(
        db.session.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "probe"))
    )


@jobs.handler("test.write_then_fail")
def _write_then_fail(job: Job) -> None:
    _write("job-failed")
    jobs.set_progress(job, 0.5, "halfway")  # its own connection: must not commit the write
    raise RuntimeError("the handler failed after writing")


@jobs.handler("test.write")
def _write_job(job: Job) -> dict[str, bool]:
    _write("job-ok")
    uow.after_commit(lambda: EVENTS.append("job committed"))
    return {"ok": True}


EVENTS: list[str] = []


def test_a_scope_commits_at_its_end_and_runs_the_after_commit_work(db):
    EVENTS.clear()
    with uow.scope():
        _write("cli")
        uow.after_commit(lambda: EVENTS.append("committed"))
        uow.on_rollback(lambda: EVENTS.append("rolled back"))
        assert EVENTS == []
    assert EVENTS == ["committed"]
    assert _stored() == ["probe.cli"]


def test_a_scope_that_raises_stores_nothing_and_runs_the_undo(db):
    EVENTS.clear()

    def command() -> None:
        with uow.scope():
            _write("cli")
            uow.after_commit(lambda: EVENTS.append("committed"))
            uow.on_rollback(lambda: EVENTS.append("rolled back"))
            raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError):
        command()
    assert EVENTS == ["rolled back"]
    assert _stored() == []


def test_a_discarded_scope_rolls_back_even_without_an_exception(db):
    with uow.scope():
        _write("before")
        uow.discard()
        _write("after")
    assert _stored() == []
    with uow.scope():  # the next unit of work is not discarded
        _write("next")
    assert _stored() == ["probe.next"]


def test_hooks_of_a_rolled_back_transaction_do_not_leak_into_the_next(db):
    EVENTS.clear()
    _write("x")
    uow.after_commit(lambda: EVENTS.append("stale"))
    db.session.rollback()
    _write("y")
    db.session.commit()
    assert EVENTS == []


def test_a_failing_job_stores_nothing_of_its_work_and_is_retried(db):
    job = jobs.enqueue("test.write_then_fail")
    db.session.commit()
    assert jobs.run_pending() == 1
    assert _stored() == []
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.QUEUED and job.attempts == 1
    assert "failed after writing" in job.message


def test_a_job_commits_its_work_with_its_outcome(db):
    EVENTS.clear()
    job = jobs.enqueue("test.write")
    db.session.commit()
    assert jobs.run_pending() == 1
    assert _stored() == ["probe.job-ok"]
    assert db.session.get(Job, job.id).status == JobStatus.DONE
    assert EVENTS == ["job committed"]


def test_a_released_savepoint_is_not_the_commit(db):
    EVENTS.clear()
    with pytest.raises(RuntimeError), uow.scope():  # noqa: PT012 - the scope is the subject
        uow.after_commit(lambda: EVENTS.append("committed"))
        uow.on_rollback(lambda: EVENTS.append("rolled back"))
        with db.session.begin_nested():
            _write("inside a savepoint")
        assert EVENTS == []  # releasing the savepoint commits nothing yet
        raise RuntimeError("the outer unit of work fails")
    assert EVENTS == ["rolled back"]
    assert _stored() == []
