"""Organisation verification by admins."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Organisation, OrgKind, OrgStatus, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import can_verify_organisation
from matchmaker.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.mail import send_email
from matchmaker.services.platform.regions import REGIONS


def create_government_organisation(*, name: str, region: str) -> Organisation:
    """A science bureau or other government body (created by operators, never self-registered)."""
    if region not in REGIONS:
        raise ValidationFailed({"region": _("请选择所在地区。")})
    org = Organisation(
        kind=OrgKind.GOVERNMENT,
        name=name.strip(),
        region=region,
        status=OrgStatus.VERIFIED,
        verified_at=utcnow(),
    )
    db.session.add(org)
    db.session.flush()
    record_audit(
        actor=None,
        action="organisation.create",
        object_type="organisation",
        object_id=org.id,
        after={"name": org.name, "kind": str(org.kind)},
    )
    return org


def _notify_members(org: Organisation, *, subject: str, body: str) -> None:
    send_email(to=[m.email for m in org.members if m.is_active], subject=subject, body=body)


def verify_organisation(*, actor: User, organisation: Organisation) -> None:
    """Mark an organisation verified, so its members may publish."""
    if not can_verify_organisation(actor, organisation):
        raise PermissionDenied
    if organisation.status == OrgStatus.VERIFIED:
        raise InvalidTransition(_("该机构已经通过认证。"))
    before = organisation.status
    organisation.status = OrgStatus.VERIFIED
    organisation.verified_by = actor
    organisation.verified_at = utcnow()
    organisation.review_reason = None
    record_audit(
        actor=actor,
        action="organisation.verify",
        object_type="organisation",
        object_id=organisation.id,
        before={"status": str(before)},
        after={"status": str(organisation.status)},
    )
    _notify_members(
        organisation,
        subject=_("机构认证已通过"),
        body=_("%(org)s 已通过平台认证，现在可以发布需求和成果了。", org=organisation.name),
    )


def reject_organisation(*, actor: User, organisation: Organisation, reason: str) -> None:
    """Refuse (or withdraw) verification, with a reason the members see."""
    if not can_verify_organisation(actor, organisation):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": _("请填写不通过的原因。")})
    if organisation.status == OrgStatus.REJECTED:
        raise InvalidTransition(_("该机构已被驳回。"))
    before = organisation.status
    organisation.status = OrgStatus.REJECTED
    organisation.verified_by = actor
    organisation.verified_at = None
    organisation.review_reason = reason
    record_audit(
        actor=actor,
        action="organisation.reject",
        object_type="organisation",
        object_id=organisation.id,
        before={"status": str(before)},
        after={"status": str(organisation.status)},
        reason=reason,
    )
    _notify_members(
        organisation,
        subject=_("机构认证未通过"),
        body=_(
            "%(org)s 的认证未通过，原因：%(reason)s\n请修改机构信息后联系平台重新审核。",
            org=organisation.name,
            reason=reason,
        ),
    )


def organisations_query(
    *, status: str | None = None, kind: str | None = None, q: str | None = None
) -> sa.Select:
    """Organisations for the admin list, pending first, then newest."""
    stmt = sa.select(Organisation)
    if status in set(OrgStatus):
        stmt = stmt.where(Organisation.status == status)
    if kind in {k.value for k in OrgKind}:
        stmt = stmt.where(Organisation.kind == kind)
    if q:
        like = f"%{q.strip()[:100]}%"
        stmt = stmt.where(
            sa.or_(Organisation.name.ilike(like), Organisation.credit_code.ilike(like))
        )
    pending_first = sa.case((Organisation.status == OrgStatus.PENDING, 0), else_=1)
    return stmt.order_by(pending_first, Organisation.created_at.desc(), Organisation.id.desc())
