"""Nothing is lost when the mail server is down; nothing is mailed for a change that rolled back.

A real SMTP server (aiosmtpd on 127.0.0.1) is stopped and started again; mail goes through the
job table (the outbox) and is delivered by the same job runner `matchmaker jobs work` uses.
"""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, Result
from matchmaker.models.base import utcnow
from matchmaker.services.market import listings
from matchmaker.services.platform import jobs, mail
from tests.conftest import log_in
from tests.factories import make_user, publish_result
from tests.smtp import SmtpServer, deliver_mail

TITLE = "高强度碳纤维复合材料成型工艺"


@pytest.fixture
def server(app):
    """A configured SMTP server that is NOT running yet (the outage); start() brings it back."""
    smtp = SmtpServer()
    smtp.configure(app)
    try:
        yield smtp
    finally:
        smtp.stop()
        smtp.unconfigure(app)


@pytest.fixture
def pending(app, db, fields):
    """A university's result waiting for review, the reviewing admin, and an empty outbox."""
    owner = make_user("university", email="tto@example.edu.cn")
    admin = make_user("admin", email="reviewer@example.com")
    db.session.commit()
    result = publish_result(
        owner, admin, fields, TITLE, "碳纤维预浸料热压成型，孔隙率低于1%。", approve=False
    )
    app.config["MAIL_SERVER"] = None  # the submission's mails to the admins go to the log
    deliver_mail()
    return owner, admin, result


def _mail_jobs(to: str) -> list[Job]:
    jobs_ = db.session.scalars(sa.select(Job).where(Job.name == mail.JOB_NAME).order_by(Job.id))
    return [job for job in jobs_ if to in (job.args or {}).get("to", [])]


def _subject(raw: bytes) -> str:
    return str(make_header(decode_header(message_from_bytes(raw)["Subject"])))


def test_an_approval_commits_while_smtp_is_down_and_the_mail_follows_when_it_is_back(
    app, client, pending, server
):
    owner, admin, result = pending
    log_in(client, admin)

    response = client.post(f"/admin/review/results/{result.id}/approve")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    db.session.expire_all()
    assert db.session.get(Result, result.id).status == "listed"

    # The worker tries: the server refuses the connection, the job waits for its next attempt.
    [job] = _mail_jobs(owner.email)
    assert deliver_mail() == 1
    db.session.refresh(job)
    assert job.status == JobStatus.QUEUED
    assert job.attempts == 1
    assert job.run_after > utcnow()
    assert "Connection" in (job.message or "") or "refused" in (job.message or "").lower()
    assert server.messages == []

    server.start()
    assert deliver_mail() == 0  # backing off: not due yet
    assert deliver_mail(now=utcnow() + timedelta(minutes=2)) == 1
    db.session.refresh(job)
    assert job.status == JobStatus.DONE
    assert "body" not in job.args  # the text (it may hold links) is not kept once sent
    [(recipients, raw)] = server.messages
    assert recipients == [owner.email]
    assert TITLE in _subject(raw)


def test_a_mail_that_never_goes_through_ends_failed_and_an_admin_can_retry_it(
    app, client, pending, server
):
    owner, admin, result = pending
    log_in(client, admin)
    assert client.post(f"/admin/review/results/{result.id}/approve").status_code == 302
    [job] = _mail_jobs(owner.email)
    later = utcnow()
    for _attempt in range(mail.MAX_ATTEMPTS):
        later += timedelta(hours=3)
        assert deliver_mail(now=later) == 1
    db.session.refresh(job)
    assert job.status == JobStatus.FAILED
    assert job.attempts == mail.MAX_ATTEMPTS
    assert deliver_mail(now=later + timedelta(days=1)) == 0  # given up: nothing runs it again

    server.start()
    jobs.retry(job_id=job.id)
    db.session.commit()
    assert deliver_mail() == 1
    db.session.refresh(job)
    assert job.status == JobStatus.DONE
    assert [r for r, _raw in server.messages] == [[owner.email]]


def test_an_approval_that_rolls_back_sends_nothing(app, client, pending, server, monkeypatch):
    owner, admin, result = pending
    server.start()
    real = listings.approve_listing

    def approve_then_fail(**kwargs):
        real(**kwargs)  # the notification and its mail are written ...
        raise RuntimeError("a later step of the same request failed")  # ... then this

    monkeypatch.setattr(listings, "approve_listing", approve_then_fail)
    log_in(client, admin)
    assert client.post(f"/admin/review/results/{result.id}/approve").status_code == 500
    db.session.expire_all()
    assert db.session.get(Result, result.id).status == "pending_review"
    assert _mail_jobs(owner.email) == []
    assert deliver_mail() == 0
    assert server.messages == []


def test_a_refused_step_sends_nothing(app, client, pending, server):
    owner, admin, result = pending
    server.start()
    log_in(client, admin)
    assert client.post(f"/admin/review/results/{result.id}/approve").status_code == 302
    assert deliver_mail() == 1
    response = client.post(f"/admin/review/results/{result.id}/approve")  # already listed
    assert response.status_code == 409
    assert "只有待审核的内容可以通过" in response.get_data(as_text=True)
    assert deliver_mail() == 0
    assert len(server.messages) == 1
