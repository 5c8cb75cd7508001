"""Admin area: verifying organisations, account management, the audit log, background jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from markupsafe import escape

from matchmaker.extensions import db as _db
from matchmaker.models import AuditLog, Job, JobStatus, Organisation, OrgStatus, User
from matchmaker.models.audit import AppendOnlyError
from matchmaker.services.platform import jobs, mail
from matchmaker.services.platform.audit import record_audit
from tests.conftest import log_in
from tests.factories import OrganisationFactory, make_user
from tests.smtp import SmtpServer, deliver_mail


def audit_rows(action: str | None = None) -> list[AuditLog]:
    stmt = sa.select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return list(_db.session.scalars(stmt))


@pytest.fixture
def pending_org(db):
    """A pending enterprise with two members (one of them deactivated)."""
    member = make_user("enterprise", verified=False, email="member@example.com")
    make_user(
        "enterprise", organisation=member.organisation, email="gone@example.com", is_active=False
    )
    db.session.commit()
    return member.organisation


def test_admin_verifies_a_pending_organisation(client, login_as, db, outbox, pending_org):
    admin = login_as("admin")
    response = client.post(f"/admin/organisations/{pending_org.id}/verify")
    assert response.status_code == 302
    db.session.refresh(pending_org)
    assert pending_org.status == OrgStatus.VERIFIED
    assert pending_org.verified_by_id == admin.id
    assert pending_org.verified_at is not None
    (entry,) = audit_rows("organisation.verify")
    assert entry.actor_id == admin.id
    assert entry.object_id == str(pending_org.id)
    assert entry.before == {"status": "pending"}
    assert entry.after == {"status": "verified"}
    assert entry.created_at.tzinfo is not None
    assert [m.recipients for m in outbox] == [["member@example.com"]]
    assert pending_org.name in outbox[0].body


def test_verifying_an_already_verified_org_flashes_and_records_nothing(
    client, login_as, db, pending_org
):
    login_as("admin")
    client.post(f"/admin/organisations/{pending_org.id}/verify")
    response = client.post(f"/admin/organisations/{pending_org.id}/verify")
    assert response.status_code == 409  # the organisation's page, with the reason
    page = response.get_data(as_text=True)
    assert "该机构已经通过认证。" in page and pending_org.name in page
    assert len(audit_rows("organisation.verify")) == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_requires_a_reason(client, login_as, db, outbox, pending_org, reason):
    login_as("admin")
    response = client.post(f"/admin/organisations/{pending_org.id}/reject", data={"reason": reason})
    assert response.status_code == 400
    assert "请填写不通过的原因。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organisation, pending_org.id).status == OrgStatus.PENDING
    assert audit_rows("organisation.reject") == []
    assert outbox == []


def test_reject_with_a_reason(client, login_as, db, outbox, pending_org):
    admin = login_as("admin")
    response = client.post(
        f"/admin/organisations/{pending_org.id}/reject", data={"reason": "营业执照与名称不符"}
    )
    assert response.status_code == 302
    db.session.refresh(pending_org)
    assert pending_org.status == OrgStatus.REJECTED
    assert pending_org.review_reason == "营业执照与名称不符"
    (entry,) = audit_rows("organisation.reject")
    assert (entry.actor_id, entry.reason) == (admin.id, "营业执照与名称不符")
    assert entry.before == {"status": "pending"}
    assert "营业执照与名称不符" in outbox[0].body


@pytest.mark.parametrize("role", ["enterprise", "university", "bank"])
def test_members_cannot_verify_or_reject(client, login_as, db, pending_org, role):
    login_as(role)
    assert client.post(f"/admin/organisations/{pending_org.id}/verify").status_code == 403
    response = client.post(f"/admin/organisations/{pending_org.id}/reject", data={"reason": "x"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Organisation, pending_org.id).status == OrgStatus.PENDING
    assert audit_rows() == []


def test_unknown_organisation_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/organisations/999999").status_code == 404
    assert client.post("/admin/organisations/999999/verify").status_code == 404


def test_admin_cannot_verify_their_own_organisation(client, db):
    gov = OrganisationFactory(government=True)
    admin = make_user("admin", organisation=gov)
    db.session.commit()
    log_in(client, admin)
    assert (
        client.post(f"/admin/organisations/{gov.id}/reject", data={"reason": "x"}).status_code
        == 403
    )


def test_deactivated_user_is_rejected_on_the_next_request(app, client, login_as, db):
    """SECURITY.md row 10 (v5.0.0-7.4.2)."""
    admin = login_as("admin")
    victim = make_user("bank")
    db.session.commit()
    victim_client = app.test_client()
    log_in(victim_client, victim)
    assert victim_client.get("/dashboard").status_code == 200
    response = client.post(f"/admin/users/{victim.id}/deactivate", data={"reason": "离职"})
    assert response.status_code == 302
    response = victim_client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    (entry,) = audit_rows("user.deactivate")
    assert (entry.actor_id, entry.reason, entry.after) == (admin.id, "离职", {"is_active": False})
    # Re-activation lets them log in again, but the old cookie stays dead.
    client.post(f"/admin/users/{victim.id}/activate")
    db.session.refresh(victim)
    assert victim.is_active
    assert victim_client.get("/dashboard").status_code == 302


def test_terminate_sessions(app, client, login_as, db):
    """SECURITY.md row 12 (v5.0.0-7.4.5)."""
    login_as("admin")
    victim = make_user("university")
    db.session.commit()
    victim_client = app.test_client()
    log_in(victim_client, victim)
    assert victim_client.get("/dashboard").status_code == 200
    assert client.post(f"/admin/users/{victim.id}/terminate-sessions").status_code == 302
    assert victim_client.get("/dashboard").status_code == 302
    db.session.refresh(victim)
    assert victim.is_active
    assert len(audit_rows("user.terminate_sessions")) == 1


@pytest.mark.parametrize("action", ["deactivate", "terminate-sessions"])
def test_admin_cannot_lock_themselves_out(client, login_as, db, action):
    admin = login_as("admin")
    assert client.post(f"/admin/users/{admin.id}/{action}").status_code == 403
    db.session.refresh(admin)
    assert admin.is_active
    assert client.get("/dashboard").status_code == 200
    assert audit_rows() == []


def test_deactivating_an_inactive_user_flashes(client, login_as, db):
    login_as("admin")
    victim = make_user("bank", is_active=False)
    db.session.commit()
    response = client.post(f"/admin/users/{victim.id}/deactivate", follow_redirects=True)
    assert "账号已经是这个状态。" in response.get_data(as_text=True)
    assert audit_rows() == []


def test_user_list_filters(client, login_as, db):
    login_as("admin")
    make_user("bank", email="banker@example.com")
    make_user("university", email="prof@example.com", is_active=False)
    db.session.commit()
    html = client.get("/admin/users", query_string={"role": "bank"}).get_data(as_text=True)
    assert "banker@example.com" in html
    assert "prof@example.com" not in html
    html = client.get("/admin/users", query_string={"active": "0"}).get_data(as_text=True)
    assert "prof@example.com" in html
    assert "banker@example.com" not in html


def _entry(actor: User | None, action: str, when: datetime) -> None:
    entry = record_audit(actor=actor, action=action, object_type="organisation", object_id=1)
    entry.created_at = when


def test_audit_log_filters(client, login_as, db):
    admin = login_as("admin", email="boss@example.com")
    other = make_user("enterprise", email="clerk@example.com")
    _entry(admin, "organisation.verify", datetime(2026, 1, 5, 3, tzinfo=UTC))
    _entry(other, "organisation.register", datetime(2026, 2, 10, 3, tzinfo=UTC))
    _entry(admin, "user.deactivate", datetime(2026, 3, 20, 3, tzinfo=UTC))
    db.session.commit()

    def shown(**query: str) -> set[str]:
        response = client.get("/admin/audit", query_string=query)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        rows = html.split("<tbody>")[1].split("</tbody>")[0]
        return {
            a
            for a in ("organisation.verify", "organisation.register", "user.deactivate")
            if f'data-action="{a}"' in rows
        }

    assert shown() == {"organisation.verify", "organisation.register", "user.deactivate"}
    assert shown(action="organisation.verify") == {"organisation.verify"}
    assert shown(actor_email="CLERK@example.com") == {"organisation.register"}
    assert shown(actor_email="boss@example.com") == {"organisation.verify", "user.deactivate"}
    assert shown(since="2026-02-01", until="2026-02-28") == {"organisation.register"}
    assert shown(until="2026-01-05") == {"organisation.verify"}
    assert shown(since="2026-03-20") == {"user.deactivate"}
    assert shown(actor_email="boss@example.com", since="2026-02-01") == {"user.deactivate"}
    # An unknown action or a malformed date is reported next to the filter, never a 500.
    for query in ({"action": "nothing.like.this"}, {"since": "yesterday"}):
        response = client.get("/admin/audit", query_string=query)
        assert response.status_code == 200
        assert 'class="text-danger small"' in response.get_data(as_text=True)


def test_audit_records_cannot_be_updated_or_deleted(db):
    entry = record_audit(actor=None, action="test.append_only", object_type="test")
    db.session.commit()
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditLog, entry.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.expire_all()
    kept = db.session.get(AuditLog, entry.id)
    assert kept is not None
    assert kept.reason is None


def test_admin_pages_render(client, login_as, db, pending_org):
    login_as("admin")
    for url in (
        "/admin/organisations",
        "/admin/organisations?status=pending&kind=enterprise&q=测试",
        f"/admin/organisations/{pending_org.id}",
        "/admin/users?q=member",
        "/admin/audit",
        "/admin/users?page=99999",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    html = client.get("/admin/organisations?status=pending").get_data(as_text=True)
    assert pending_org.name in html


# --- background jobs ---------------------------------------------------------------------------
@pytest.fixture
def failed_mail(app, db):
    """A mail.send job that failed its last attempt: nothing listens on the SMTP port."""
    server = SmtpServer()  # configured, never started: the mail server is down
    server.configure(app)
    try:
        job = jobs.enqueue(
            mail.JOB_NAME,
            max_attempts=1,
            to=["member@example.com"],
            subject="认证结果",
            body="你好",
        )
        db.session.commit()
        assert deliver_mail() == 1
    finally:
        SmtpServer.unconfigure(app)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.FAILED and job.message
    return job


def test_failed_mail_job_is_listed_first_with_its_error(client, login_as, db, failed_mail):
    later = jobs.enqueue("recommender.rebuild")  # newer, but not failed
    db.session.commit()
    login_as("admin")
    response = client.get("/admin/jobs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert mail.JOB_NAME in page and str(escape(failed_mail.message)) in page
    assert "1/1" in page  # attempts / max_attempts
    assert page.index(f"<td>{failed_mail.id}</td>") < page.index(f"<td>{later.id}</td>")
    queued = client.get("/admin/jobs", query_string={"status": "queued"}).get_data(as_text=True)
    assert f"<td>{later.id}</td>" in queued and f"<td>{failed_mail.id}</td>" not in queued
    assert "后台任务" in client.get("/dashboard").get_data(as_text=True)  # the admin menu


def test_retry_queues_a_failed_job_again(client, login_as, db, failed_mail):
    login_as("admin")
    response = client.post(f"/admin/jobs/{failed_mail.id}/retry", query_string={"status": "failed"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/jobs?status=failed"
    db.session.expire_all()
    job = db.session.get(Job, failed_mail.id)
    assert (job.status, job.attempts, job.finished_at) == (JobStatus.QUEUED, 0, None)
    assert "已重新排队" in client.get("/admin/jobs").get_data(as_text=True)


@pytest.mark.parametrize("role", ["enterprise", "university", "bank"])
def test_only_admins_see_and_retry_jobs(client, login_as, db, failed_mail, role):
    login_as(role)
    assert client.get("/admin/jobs").status_code == 403
    assert client.post(f"/admin/jobs/{failed_mail.id}/retry").status_code == 403
    db.session.expire_all()
    assert db.session.get(Job, failed_mail.id).status == JobStatus.FAILED
    assert "/admin/jobs" not in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("state", [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE])
def test_retrying_a_job_that_has_not_failed_is_a_conflict(client, login_as, db, state):
    job = jobs.enqueue("recommender.rebuild")
    job.status, job.attempts = state, 1
    db.session.commit()
    login_as("admin")
    response = client.post(f"/admin/jobs/{job.id}/retry")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "只有失败的任务可以重试。" in page and "后台任务" in page  # the jobs page, with why
    db.session.expire_all()
    assert (db.session.get(Job, job.id).status, db.session.get(Job, job.id).attempts) == (state, 1)
    assert client.post("/admin/jobs/999999/retry").status_code == 404
