"""Writing the append-only audit log."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import AuditLog, User

#: The client address of the current request; the web layer sets it, the CLI leaves it empty.
current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def record_audit(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditLog:
    """Append one audit record to the session (the caller commits with the change itself)."""
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
        reason=reason,
        ip=current_ip.get(),
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """Criteria for reading the audit log."""

    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    actor_email: str | None = None
    since: date | None = None
    until: date | None = None


def audit_query(criteria: AuditFilter) -> sa.Select:
    """Audit records matching the criteria, newest first."""
    stmt = sa.select(AuditLog).options(selectinload(AuditLog.actor))
    if criteria.action:
        stmt = stmt.where(AuditLog.action.startswith(criteria.action.strip()[:64], autoescape=True))
    if criteria.object_type:
        stmt = stmt.where(AuditLog.object_type == criteria.object_type.strip()[:32])
    if criteria.object_id:
        stmt = stmt.where(AuditLog.object_id == criteria.object_id.strip()[:64])
    if criteria.actor_email:
        stmt = stmt.join(User, AuditLog.actor_id == User.id).where(
            User.email == criteria.actor_email.strip().lower()
        )
    if criteria.since:
        stmt = stmt.where(AuditLog.created_at >= datetime.combine(criteria.since, time.min, UTC))
    if criteria.until:
        end = datetime.combine(criteria.until, time.min, UTC) + timedelta(days=1)
        stmt = stmt.where(AuditLog.created_at < end)
    return stmt.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())


def audit_actions() -> list[str]:
    """Every action name recorded so far (for the filter's dropdown)."""
    return list(db.session.scalars(sa.select(AuditLog.action).distinct().order_by(AuditLog.action)))
