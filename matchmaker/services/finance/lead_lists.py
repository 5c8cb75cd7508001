"""What each side sees of leads: a lead, the lists (a bank's, a firm's, the bureau's) and a
lead's history from the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Lead, Organisation, User
from matchmaker.permissions import Permission, can_view_lead, has_permission
from matchmaker.services.errors import NotFound, PermissionDenied


def get_lead(*, actor: User, lead_id: int) -> Lead:
    """A lead the actor may see (the bank, the firm, the bureau), or NotFound."""
    lead = db.session.get(Lead, lead_id)
    if lead is None or not can_view_lead(actor, lead):
        raise NotFound
    return lead


def _listing(stmt: sa.Select, status: str | None) -> list[Lead]:
    if status:
        stmt = stmt.where(Lead.status == status)
    stmt = stmt.options(
        selectinload(Lead.bank), selectinload(Lead.firm), selectinload(Lead.product)
    ).order_by(Lead.created_at.desc(), Lead.id.desc())
    return list(db.session.scalars(stmt))


def bank_leads(organisation_id: int, *, status: str | None = None) -> list[Lead]:
    """A bank's leads, newest first (optionally of one status)."""
    return _listing(sa.select(Lead).where(Lead.bank_org_id == organisation_id), status)


def firm_leads(organisation_id: int, *, status: str | None = None) -> list[Lead]:
    """The requests banks made to a firm, newest first."""
    return _listing(sa.select(Lead).where(Lead.firm_org_id == organisation_id), status)


def all_leads(*, status: str | None = None, limit: int = 500) -> list[Lead]:
    """Every lead (the bureau's view), newest first."""
    return _listing(sa.select(Lead), status)[:limit]


def leads_for(actor: User, *, status: str | None = None) -> list[Lead]:
    """The leads list of the actor's side: a bank's own, a firm's requests, or all for the
    bureau."""
    if has_permission(actor, Permission.LOAN_PRODUCT) and actor.organisation_id:
        return bank_leads(actor.organisation_id, status=status)
    if has_permission(actor, Permission.FIRM_PROFILE) and actor.organisation_id:
        return firm_leads(actor.organisation_id, status=status)
    if has_permission(actor, Permission.FINANCE_STATS):
        return all_leads(status=status)
    raise PermissionDenied


@dataclass(frozen=True)
class Step:
    """One step of a lead's history, from the audit log."""

    action: str  # request | accept | decline | withdraw | contact | approve | reject | disburse
    at: datetime
    organisation: Organisation | None
    reason: str | None


def history(lead: Lead) -> list[Step]:
    """The lead's steps, oldest first (who: the organisation, not the person)."""
    rows = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.object_type == "lead", AuditLog.object_id == str(lead.id))
        .options(selectinload(AuditLog.actor))
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    steps = []
    for row in rows:
        action = row.action.removeprefix("lead.")
        org = row.actor.organisation if row.actor is not None else None
        steps.append(Step(action=action, at=row.created_at, organisation=org, reason=row.reason))
    return steps
