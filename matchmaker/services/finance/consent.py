"""Consent (授权): what banks may see of a firm, for how long, and the log of every look.

The one rule: a bank user reaches a firm's profile only through `open_firm()`, which refuses
(NotFound, so a 404) unless the firm has a live grant, and which writes a ProfileView row the
firm can read. Revoking takes effect on the next request: nothing is cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    ConsentGrant,
    ConsentScope,
    FirmProfile,
    Organisation,
    OrgKind,
    OrgStatus,
    ProfileView,
    User,
    ViewAction,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, can_manage_firm_profile, has_permission
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit

#: The durations a firm may choose (days); a year at most, then it must consent again.
DURATIONS = (30, 90, 180, 365)


@dataclass(frozen=True)
class FirmAccess:
    """A firm as one bank user may see it right now."""

    organisation: Organisation
    profile: FirmProfile | None
    scopes: ConsentScope
    grant: ConsentGrant

    def allows(self, scope: ConsentScope) -> bool:
        """Whether the firm consented to this scope."""
        return bool(self.scopes & scope)


def live_grant(organisation_id: int, now: datetime | None = None) -> ConsentGrant | None:
    """The firm's grant in force at `now`, if any."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(ConsentGrant)
        .where(
            ConsentGrant.organisation_id == organisation_id,
            ConsentGrant.revoked_at.is_(None),
            ConsentGrant.expires_at > now,
        )
        .order_by(ConsentGrant.granted_at.desc())
        .limit(1)
    )


def visible_scopes(organisation_id: int, now: datetime | None = None) -> ConsentScope:
    """The scopes banks may see of this firm now (0 when there is no live consent)."""
    grant = live_grant(organisation_id, now)
    return ConsentScope(grant.scopes) if grant else ConsentScope(0)


def consenting_firms(now: datetime | None = None) -> sa.Select:
    """SELECT (organisation_id, scopes, grant id) of every verified enterprise with live consent."""
    now = now or utcnow()
    return (
        sa.select(
            ConsentGrant.organisation_id,
            ConsentGrant.scopes,
            ConsentGrant.id.label("grant_id"),
        )
        .join(Organisation, Organisation.id == ConsentGrant.organisation_id)
        .where(
            ConsentGrant.revoked_at.is_(None),
            ConsentGrant.expires_at > now,
            Organisation.kind == OrgKind.ENTERPRISE,
            Organisation.status == OrgStatus.VERIFIED,
        )
    )


def history(organisation_id: int) -> list[ConsentGrant]:
    """Every grant the firm has given, newest first."""
    return list(
        db.session.scalars(
            sa.select(ConsentGrant)
            .where(ConsentGrant.organisation_id == organisation_id)
            .order_by(ConsentGrant.granted_at.desc(), ConsentGrant.id.desc())
        )
    )


def grant(*, actor: User, scopes: ConsentScope | int, days: int) -> ConsentGrant:
    """Consent for the actor's firm: the chosen scopes, for `days`; replaces any live grant."""
    org_id = actor.organisation_id
    if org_id is None or not can_manage_firm_profile(actor, org_id):
        raise PermissionDenied(_("只有企业成员可以授权银行查看企业画像。"))
    errors: dict[str, str] = {}
    scopes = int(scopes)
    if not 0 < scopes < 16:
        errors["scopes"] = _("请至少选择一项授权范围。")
    if days not in DURATIONS:
        errors["days"] = _("请选择授权期限。")
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    previous = live_grant(org_id, now)
    if previous is not None:
        previous.revoked_at = now
        previous.revoked_by_id = actor.id
    row = ConsentGrant(
        organisation_id=org_id,
        scopes=scopes,
        granted_at=now,
        expires_at=now + timedelta(days=days),
        granted_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    record_audit(
        actor=actor,
        action="consent.grant",
        object_type="organisation",
        object_id=org_id,
        before={"scopes": previous.scopes} if previous else None,
        after={"scopes": scopes, "expires_at": row.expires_at.isoformat(), "grant_id": row.id},
    )
    return row


def revoke(*, actor: User) -> ConsentGrant:
    """End the actor's firm's live consent now; banks lose access on their next request."""
    org_id = actor.organisation_id
    if org_id is None or not can_manage_firm_profile(actor, org_id):
        raise PermissionDenied(_("只有企业成员可以撤回授权。"))
    row = live_grant(org_id)
    if row is None:
        raise ValidationFailed({"scopes": _("当前没有生效的授权。")})
    row.revoked_at = utcnow()
    row.revoked_by_id = actor.id
    record_audit(
        actor=actor,
        action="consent.revoke",
        object_type="organisation",
        object_id=org_id,
        before={"scopes": row.scopes, "grant_id": row.id},
        after=None,
    )
    return row


def _is_bank_user(actor: User) -> bool:
    org = actor.organisation
    return bool(
        has_permission(actor, Permission.FIRM_BROWSE)
        and actor.is_active
        and org is not None
        and org.kind == OrgKind.BANK
        and org.is_verified
    )


def peek_firm(*, actor: User, firm_org_id: int) -> FirmAccess:
    """What a bank user may see of a firm now, without logging (for lists and checks).

    NotFound unless the actor is a member of a verified bank and the firm is a verified
    enterprise with live consent: a bank cannot tell "no consent" from "no such firm".
    """
    if not _is_bank_user(actor):
        raise NotFound
    org = db.session.get(Organisation, firm_org_id)
    if org is None or org.kind != OrgKind.ENTERPRISE or not org.is_verified:
        raise NotFound
    row = live_grant(org.id)
    if row is None:
        raise NotFound
    profile = db.session.scalar(sa.select(FirmProfile).where(FirmProfile.organisation_id == org.id))
    return FirmAccess(organisation=org, profile=profile, scopes=ConsentScope(row.scopes), grant=row)


def open_firm(*, actor: User, firm_org_id: int, action: ViewAction = ViewAction.VIEW) -> FirmAccess:
    """A bank user's look at a firm (peek_firm), written to the firm's view log."""
    access = peek_firm(actor=actor, firm_org_id=firm_org_id)
    log_view(actor=actor, access=access, action=action)
    return access


def log_view(*, actor: User, access: FirmAccess, action: ViewAction) -> ProfileView:
    """Write one row of the firm's "哪些银行查看了我的画像" log."""
    row = ProfileView(
        firm_org_id=access.organisation.id,
        bank_org_id=actor.organisation_id,
        user_id=actor.id,
        action=action,
        scopes=int(access.scopes),
        grant_id=access.grant.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def views_of(organisation_id: int, *, limit: int = 200) -> list[ProfileView]:
    """The firm's view log, newest first."""
    return list(
        db.session.scalars(
            sa.select(ProfileView)
            .where(ProfileView.firm_org_id == organisation_id)
            .order_by(ProfileView.created_at.desc(), ProfileView.id.desc())
            .limit(limit)
        )
    )


def view_count_since(organisation_id: int, since: datetime) -> int:
    """How many bank looks the firm's log holds since a time (the dashboard's count)."""
    count = db.session.scalar(
        sa.select(sa.func.count(ProfileView.id)).where(
            ProfileView.firm_org_id == organisation_id, ProfileView.created_at >= since
        )
    )
    return int(count or 0)


def view_counts_by_bank(organisation_id: int) -> list[tuple[Organisation, int, datetime]]:
    """(bank, number of looks, last look) for the firm's summary, most recent first."""
    rows = db.session.execute(
        sa.select(
            ProfileView.bank_org_id,
            sa.func.count(ProfileView.id),
            sa.func.max(ProfileView.created_at),
        )
        .where(ProfileView.firm_org_id == organisation_id)
        .group_by(ProfileView.bank_org_id)
        .order_by(sa.func.max(ProfileView.created_at).desc())
    ).all()
    banks = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_([r[0] for r in rows]))
        )
    }
    return [(banks[r[0]], r[1], r[2]) for r in rows]
