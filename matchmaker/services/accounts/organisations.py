"""Organisation verification by admins: evidence first, then a decision with a reason."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import Organisation, OrgKind, OrgStatus, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import can_verify_organisation
from matchmaker.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.mail import send_email
from matchmaker.services.platform.regions import REGIONS
from matchmaker.services.platform.states import StateMachine


def verification_blockers(organisation: Organisation) -> list[str]:
    """Why an admin cannot verify the organisation yet (empty: the evidence is complete).

    The 统一社会信用代码 and the licence / certificate scan must be on file, and its registering
    member (any member, for organisations created before addresses were checked) must have
    verified their e-mail address.
    """
    reasons: list[str] = []
    if not organisation.credit_code:
        reasons.append(_("还没有统一社会信用代码。"))
    if organisation.document is None:
        reasons.append(_("还没有上传营业执照或事业单位法人证书扫描件。"))
    members = [m for m in organisation.members if m.is_active]
    if members and not any(m.is_email_verified for m in members):
        reasons.append(_("注册人还没有验证邮箱。"))
    return reasons


ORGANISATION = StateMachine(
    "organisation",
    {
        "verify": (
            [OrgStatus.PENDING, OrgStatus.REJECTED],
            OrgStatus.VERIFIED,
        ),
        "reject": ([OrgStatus.PENDING, OrgStatus.VERIFIED], OrgStatus.REJECTED),
        # a rejected organisation that uploads new evidence is reviewed again
        "resubmit": ([OrgStatus.REJECTED], OrgStatus.PENDING),
    },
    refusal=_l("机构当前状态下不能进行此操作。"),
    guards={"verify": lambda org: not verification_blockers(org)},
)


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
    """Mark an organisation verified, so its members may publish (needs complete evidence)."""
    if not can_verify_organisation(actor, organisation):
        raise PermissionDenied
    if organisation.status == OrgStatus.VERIFIED:
        raise InvalidTransition(_("该机构已经通过认证。"))
    blockers = verification_blockers(organisation)
    if blockers:
        raise InvalidTransition(_("材料不全，暂不能认证：") + "".join(blockers))
    ORGANISATION.step(organisation, "verify", actor=actor)
    organisation.verified_by = actor
    organisation.verified_at = utcnow()
    organisation.review_reason = None
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
    ORGANISATION.step(organisation, "reject", actor=actor, reason=reason)
    organisation.verified_by = actor
    organisation.verified_at = None
    organisation.review_reason = reason
    _notify_members(
        organisation,
        subject=_("机构认证未通过"),
        body=_(
            "%(org)s 的认证未通过，原因：%(reason)s\n"
            "请在“我的机构”页面上传或更换营业执照 / 法人证书扫描件，平台会重新审核。",
            org=organisation.name,
            reason=reason,
        ),
    )


def resubmit_after_new_evidence(*, actor: User, organisation: Organisation) -> None:
    """A rejected organisation that uploaded new evidence goes back to the admins' queue."""
    if ORGANISATION.can(organisation, "resubmit"):
        ORGANISATION.step(organisation, "resubmit", actor=actor)


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
