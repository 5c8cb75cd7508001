"""The append-only audit log: record contents and the query filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from matchmaker.models import AuditLog
from matchmaker.models.audit import AppendOnlyError
from matchmaker.services.accounts import organisations, users
from matchmaker.services.platform.audit import (
    AuditFilter,
    audit_actions,
    audit_query,
    current_ip,
    record_audit,
)
from tests.factories import OrganisationFactory, make_user


def _query(db, **criteria: object) -> list[AuditLog]:
    return list(db.session.scalars(audit_query(AuditFilter(**criteria))))


def test_record_contents(db):
    actor = make_user("admin")
    token = current_ip.set("203.0.113.9")
    try:
        entry = record_audit(
            actor=actor,
            action="thing.change",
            object_type="thing",
            object_id=42,
            before={"status": "a"},
            after={"status": "b"},
            reason="因为",
        )
    finally:
        current_ip.reset(token)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AuditLog, entry.id)
    assert stored.actor_id == actor.id
    assert (stored.action, stored.object_type, stored.object_id) == ("thing.change", "thing", "42")
    assert (stored.before, stored.after, stored.reason) == (
        {"status": "a"},
        {"status": "b"},
        "因为",
    )
    assert stored.ip == "203.0.113.9"
    assert stored.created_at.tzinfo is not None
    assert abs((datetime.now(UTC) - stored.created_at).total_seconds()) < 60


def test_record_without_actor_or_request(db):
    token = current_ip.set(None)  # as in the CLI, where no request ever set it
    try:
        entry = record_audit(actor=None, action="cli.thing", object_type="system")
    finally:
        current_ip.reset(token)
    db.session.commit()
    assert (entry.actor_id, entry.ip, entry.object_id) == (None, None, None)


def test_append_only(db):
    entry = record_audit(actor=None, action="x.y", object_type="t")
    db.session.commit()
    entry.action = "x.z"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(AuditLog.action)) == "x.y"


def test_query_filters(db):
    alice = make_user("admin", email="alice@example.com")
    bob = make_user("enterprise", email="bob@example.com")
    for actor, action, obj, when in [
        (alice, "organisation.verify", "1", datetime(2026, 4, 1, 23, 30, tzinfo=UTC)),
        (bob, "organisation.register", "2", datetime(2026, 4, 2, 0, 30, tzinfo=UTC)),
        (alice, "user.deactivate", "3", datetime(2026, 5, 1, tzinfo=UTC)),
        (None, "user.create_admin", "4", datetime(2026, 5, 2, tzinfo=UTC)),
    ]:
        record_audit(actor=actor, action=action, object_type="x", object_id=obj).created_at = when
    db.session.commit()

    def ids(**criteria: object) -> list[str]:
        return [e.object_id for e in _query(db, **criteria)]

    assert ids() == ["4", "3", "2", "1"]  # newest first
    assert ids(action="organisation") == ["2", "1"]  # prefix match
    assert ids(action="%") == []  # wildcards are literal
    assert ids(actor_email=" ALICE@example.com ") == ["3", "1"]
    assert ids(object_id="2") == ["2"]
    assert ids(object_type="x", object_id="9") == []
    assert ids(since=date(2026, 4, 2)) == ["4", "3", "2"]
    assert ids(until=date(2026, 4, 1)) == ["1"]
    assert ids(since=date(2026, 4, 2), until=date(2026, 4, 30)) == ["2"]
    assert audit_actions() == sorted(
        ["organisation.verify", "organisation.register", "user.deactivate", "user.create_admin"]
    )


def test_state_changes_write_audit_records(db):
    admin = make_user("admin")
    org = OrganisationFactory(pending=True)
    member = make_user("enterprise", organisation=org)
    organisations.reject_organisation(actor=admin, organisation=org, reason="材料不全")
    organisations.verify_organisation(actor=admin, organisation=org)
    users.set_user_active(actor=admin, user=member, active=False, reason="离职")
    users.terminate_sessions(actor=admin, user=member)
    db.session.commit()
    rows = db.session.execute(
        sa.select(AuditLog.action, AuditLog.before, AuditLog.after, AuditLog.reason).order_by(
            AuditLog.id
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("organisation.reject", {"status": "pending"}, {"status": "rejected"}, "材料不全"),
        ("organisation.verify", {"status": "rejected"}, {"status": "verified"}, None),
        ("user.deactivate", {"is_active": True}, {"is_active": False}, "离职"),
        ("user.terminate_sessions", None, None, None),
    ]
