"""Expert profiles kept by universities and institutes: create, edit, submit, withdraw.

Only members of the profile's organisation (a verified university or institute) keep it; anyone
else gets NotFound. Validation reports every problem at once; the same person (organisation,
name and unit, or the same researcher's account) is listed once, and a linked account must be a
member of the profile's organisation. What the public sees (the approved version kept while an
edit waits for review, the staged contact) is in expert_public.py, re-exported here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    ExpertProfile,
    ExpertStatus,
    OrgKind,
    Result,
    TechField,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, can_publish, has_permission, publish_refusal
from matchmaker.services import matching
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.market.listings import keyword_errors, normalise_keywords
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.talent import expert_states
from matchmaker.services.talent.expert_public import (
    PublicExpert,
    can_see_expert_contact,
    is_public,
    public_view,
    take_snapshot,
    visible_contact,
)

__all__ = [
    "PublicExpert",
    "can_see_expert_contact",
    "is_public",
    "public_view",
    "visible_contact",
]

#: Organisations whose researchers may be listed.
EXPERT_ORG_KINDS = frozenset({OrgKind.UNIVERSITY, OrgKind.INSTITUTE})
MAX_PATENTS = 50
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+\-() ]{5,32}$")
#: Changing these keeps a published profile public (everything else is reviewed again).
SUBSTANCE_EXCLUDED = frozenset(
    {"contact_phone", "contact_email", "contact_public", "availability", "user_id"}
)


@dataclass
class ExpertData:
    """What a profile's form sends (the service checks the rules)."""

    name: str = ""
    title: str = ""
    unit: str = ""
    field_id: int | None = None
    directions: str = ""
    keywords: str = ""
    biography: str = ""
    patents: list[str] = field(default_factory=list)
    offers: int = 0
    availability: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    #: True: any signed-in user sees the contact; False: members of verified organisations.
    contact_public: bool = False
    result_ids: list[int] = field(default_factory=list)
    #: The researcher's own account (the actor, when the profile is their own).
    user_id: int | None = None


def can_manage_expert(user: Any, expert: ExpertProfile) -> bool:
    """Members of the profile's organisation whose role creates results."""
    return bool(
        has_permission(user, Permission.RESULT_CREATE)
        and user.is_active
        and user.organisation_id == expert.organisation_id
    )


def require_keeper(actor: User) -> None:
    """Refuse anyone but a member of a university or institute who creates results."""
    org = actor.organisation
    if not has_permission(actor, Permission.RESULT_CREATE) or org is None:
        raise PermissionDenied(_("只有高校和科研院所的成员可以维护专家档案。"))
    if org.kind not in EXPERT_ORG_KINDS:
        raise PermissionDenied(_("只有高校和科研院所的成员可以维护专家档案。"))


def get_owned(*, actor: User, expert_id: int) -> ExpertProfile:
    """A profile of the actor's organisation (anyone else's is NotFound)."""
    expert = db.session.get(ExpertProfile, expert_id)
    if expert is None or not can_manage_expert(actor, expert):
        raise NotFound
    return expert


def get_public(expert_id: int) -> ExpertProfile:
    """A profile on the public pages (anything else is NotFound); show it via public_view."""
    expert = db.session.get(ExpertProfile, expert_id)
    if expert is None or not is_public(expert):
        raise NotFound
    return expert


def organisation_experts(*, organisation_id: int) -> list[ExpertProfile]:
    """The profiles an organisation keeps, newest first."""
    return list(
        db.session.scalars(
            sa.select(ExpertProfile)
            .where(ExpertProfile.organisation_id == organisation_id)
            .order_by(ExpertProfile.created_at.desc(), ExpertProfile.id.desc())
        )
    )


def own_results(organisation_id: int) -> list[Result]:
    """The results an organisation's profiles may link (its own, not withdrawn drafts too)."""
    return list(
        db.session.scalars(
            sa.select(Result).where(Result.organisation_id == organisation_id).order_by(Result.id)
        )
    )


def _clean(data: ExpertData) -> ExpertData:
    data.name = data.name.strip()
    data.title = data.title.strip()
    data.unit = data.unit.strip()
    data.directions = data.directions.strip()
    data.biography = data.biography.strip()
    data.availability = data.availability.strip()
    data.contact_phone = data.contact_phone.strip()
    data.contact_email = data.contact_email.strip()
    data.patents = [p.strip() for p in data.patents if p and p.strip()]
    data.keywords = ",".join(normalise_keywords(data.keywords))
    data.field_id = data.field_id or None
    data.result_ids = sorted(set(data.result_ids))
    return data


def _errors(
    data: ExpertData, *, organisation_id: int, exclude_id: int | None
) -> dict[str, list[str]]:
    """Every problem with the data, at once (field name -> messages)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not data.name:
        add("name", _("请填写姓名。"))
    elif len(data.name) > 100:
        add("name", _("姓名不能超过 %(max)d 个字。", max=100))
    if not data.unit:
        add("unit", _("请填写所在院系或部门。"))
    elif len(data.unit) > 200:
        add("unit", _("院系不能超过 %(max)d 个字。", max=200))
    if len(data.title) > 100:
        add("title", _("职称不能超过 %(max)d 个字。", max=100))
    for problem in keyword_errors(normalise_keywords(data.keywords)):
        add("keywords", problem)
    if len(data.patents) > MAX_PATENTS:
        add("patents", _("专利最多 %(max)d 项。", max=MAX_PATENTS))
    if any(len(p) > 200 for p in data.patents):
        add("patents", _("每项专利不能超过 %(max)d 个字。", max=200))
    if not 0 <= data.offers < 16:
        add("offers", _("请选择提供的服务。"))
    if data.contact_email and not _EMAIL.match(data.contact_email):
        add("contact_email", _("请填写有效的邮箱地址。"))
    if data.contact_phone and not _PHONE.match(data.contact_phone):
        add("contact_phone", _("请填写有效的电话号码。"))
    if data.field_id is not None and db.session.get(TechField, data.field_id) is None:
        add("field_id", _("请选择技术领域。"))
    if data.result_ids:
        owned = set(
            db.session.scalars(
                sa.select(Result.id).where(
                    Result.id.in_(data.result_ids), Result.organisation_id == organisation_id
                )
            )
        )
        if owned != set(data.result_ids):
            add("result_ids", _("只能关联本机构的成果。"))
    if data.name and data.unit:
        duplicate = db.session.scalar(
            sa.select(ExpertProfile.id).where(
                ExpertProfile.organisation_id == organisation_id,
                ExpertProfile.name == data.name,
                ExpertProfile.unit == data.unit,
                ExpertProfile.id != (exclude_id or 0),
            )
        )
        if duplicate is not None:
            add("name", _("本机构同一院系已有这位专家的档案，请修改已有的档案。"))
    if data.user_id is not None:
        member = db.session.get(User, data.user_id)
        if member is None or member.organisation_id != organisation_id:
            add("user_id", _("该研究人员不是本机构成员。"))
        elif db.session.scalar(
            sa.select(ExpertProfile.id).where(
                ExpertProfile.user_id == data.user_id, ExpertProfile.id != (exclude_id or 0)
            )
        ):
            add("user_id", _("这位研究人员已有专家档案，请修改已有的档案。"))
    return errors


def check_expert(
    data: ExpertData, *, organisation_id: int, exclude_id: int | None = None
) -> dict[str, list[str]]:
    """Clean `data` in place and return every problem with it (the bulk import's row check)."""
    return _errors(_clean(data), organisation_id=organisation_id, exclude_id=exclude_id)


def _submit_errors(expert: ExpertProfile) -> dict[str, list[str]]:
    """What a profile lacks before it can be reviewed."""
    errors: dict[str, list[str]] = {}
    if expert.field_id is None:
        errors["field_id"] = [_("提交前请选择技术领域。")]
    if not expert.directions.strip():
        errors["directions"] = [_("提交前请填写研究方向。")]
    if not expert.offers:
        errors["offers"] = [_("提交前请至少选择一项可提供的服务。")]
    if not (expert.contact_phone or expert.contact_email):
        errors["contact_phone"] = [_("提交前请填写电话或邮箱。")]
    return errors


def _apply(expert: ExpertProfile, data: ExpertData) -> dict[str, Any]:
    """Copy the data onto the profile; the fields that changed (name -> old value)."""
    changed: dict[str, Any] = {}
    for name in (
        "name",
        "title",
        "unit",
        "field_id",
        "directions",
        "keywords",
        "biography",
        "patents",
        "offers",
        "availability",
        "contact_phone",
        "contact_email",
        "contact_public",
        "user_id",
    ):
        value = getattr(data, name)
        if getattr(expert, name) != value:
            changed[name] = getattr(expert, name)
            setattr(expert, name, value)
    linked = sorted(r.id for r in expert.results)
    if linked != data.result_ids:
        changed["result_ids"] = linked
        expert.results = (
            list(db.session.scalars(sa.select(Result).where(Result.id.in_(data.result_ids))))
            if data.result_ids
            else []
        )
    return changed


def create_expert(*, actor: User, data: ExpertData) -> ExpertProfile:
    """Create a draft profile for a researcher of the actor's organisation."""
    require_keeper(actor)
    assert actor.organisation_id is not None  # noqa: S101  (a keeper belongs to one)
    data = _clean(data)
    errors = _errors(data, organisation_id=actor.organisation_id, exclude_id=None)
    if errors:
        raise ValidationFailed(errors)
    expert = ExpertProfile(
        organisation_id=actor.organisation_id,
        created_by_id=actor.id,
        status=ExpertStatus.DRAFT,
        patents=[],
        offers=0,
    )
    db.session.add(expert)
    _apply(expert, data)
    db.session.flush()
    record_audit(
        actor=actor,
        action="expert.create",
        object_type="expert",
        object_id=expert.id,
        before={},
        after={"status": str(expert.status)},
    )
    return expert


def update_expert(*, actor: User, expert: ExpertProfile, data: ExpertData) -> ExpertProfile:
    """Edit a profile; an edit of substance to a published one sends it to review again."""
    if not can_manage_expert(actor, expert):
        raise NotFound
    expert_states.check(expert, "edit")
    data = _clean(data)
    errors = _errors(data, organisation_id=expert.organisation_id, exclude_id=expert.id)
    if errors:
        raise ValidationFailed(errors)
    approved = take_snapshot(expert) if expert.status == ExpertStatus.PUBLISHED else None
    changed = _apply(expert, data)
    if not changed:
        return expert
    before = {k: v for k, v in changed.items() if k not in ("patents", "result_ids")}
    record_audit(
        actor=actor,
        action="expert.update",
        object_type="expert",
        object_id=expert.id,
        before={"fields": sorted(changed), **{k: str(v) for k, v in before.items()}},
        after={"status": str(expert.status)},
    )
    if approved is not None and set(changed) - SUBSTANCE_EXCLUDED:
        _require_publisher(actor)
        # like a listing's Publication: the approved version stays public during the review
        expert.public_snapshot = approved
        expert_states.step(expert, "revise", actor=actor)
        expert.submitted_at = utcnow()
    matching.record_expert_change(expert)
    db.session.flush()
    return expert


def _require_publisher(actor: User) -> None:
    refusal = publish_refusal(actor, _("你的机构通过平台认证后才能提交专家档案。"))
    if refusal is not None or not can_publish(actor):
        raise PermissionDenied(refusal or _("你的机构通过平台认证后才能提交专家档案。"))


def submit_expert(*, actor: User, expert: ExpertProfile) -> None:
    """Send a profile to the platform's review (everything it lacks is reported at once)."""
    if not can_manage_expert(actor, expert):
        raise NotFound
    expert_states.check(expert, "submit")
    _require_publisher(actor)
    errors = _submit_errors(expert)
    if errors:
        raise ValidationFailed(errors)
    expert_states.step(expert, "submit", actor=actor)
    expert.submitted_at = utcnow()
    db.session.flush()


def retract_expert(*, actor: User, expert: ExpertProfile) -> None:
    """Take a profile back from review to draft."""
    if not can_manage_expert(actor, expert):
        raise NotFound
    expert_states.step(expert, "retract", actor=actor)


def withdraw_expert(*, actor: User, expert: ExpertProfile) -> None:
    """Take a profile off the public page, its kept approved version too (it can be submitted
    again)."""
    if not can_manage_expert(actor, expert):
        raise NotFound
    expert_states.step(expert, "withdraw", actor=actor)
    expert.public_snapshot = None
    matching.record_expert_change(expert)
    db.session.flush()
