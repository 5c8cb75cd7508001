"""揭榜申请: drafts, submission, withdrawal and the owner's pipeline up to selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    ApplicationStatus,
    Challenge,
    DeclineReason,
    Result,
    ResultStatus,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import (
    can_apply_to_challenge,
    can_manage_application,
    can_manage_challenge,
    can_manage_listing,
    can_view_application,
)
from matchmaker.services.challenges.challenge_states import (
    APPLICATION,
    CHALLENGE,
    members,
)
from matchmaker.services.challenges.challenges import IN_RACE, link
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance.innovation_score import mark_stale
from matchmaker.services.platform.amounts import check_amount
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify


@dataclass(frozen=True)
class ApplicationData:
    """The standard one-page proposal (every field optional while it is a draft)."""

    approach: str = ""
    indicators: str = ""
    trl: int | None = None
    plan: tuple[dict[str, Any], ...] = ()  # [{"title": ..., "due": "YYYY-MM-DD"}]
    team: str = ""
    price_wan: Decimal | None = None  # None = 面议
    terms: str = ""
    source_result_id: int | None = None


def _validate(actor: User, data: ApplicationData) -> None:
    errors: dict[str, list[str]] = {}
    if data.trl is not None and not 1 <= data.trl <= 9:
        errors["trl"] = [_("技术成熟度应在 1 到 9 之间。")]
    if data.price_wan is not None and data.price_wan < 0:
        errors["price_wan"] = [_("报价不能为负数，面议请留空。")]
    else:
        check_amount(errors, "price_wan", data.price_wan)
    for step in data.plan:
        if not isinstance(step, dict) or not str(step.get("title", "")).strip():
            errors["plan"] = [_("每个里程碑都需要标题。")]
            break
    if data.source_result_id is not None:
        result = db.session.get(Result, data.source_result_id)
        if result is None or not can_manage_listing(actor, result):
            errors["source_result_id"] = [_("只能选择本机构的成果。")]
    if errors:
        raise ValidationFailed(errors)


def prefill_from_result(*, actor: User, result: Result) -> ApplicationData:
    """用我的成果揭榜: a proposal pre-filled from one of the actor's organisation's results."""
    if not can_manage_listing(actor, result):
        raise NotFound
    if result.status != ResultStatus.LISTED:
        raise InvalidTransition(_("只有已上架的成果可以用来揭榜。"))
    approach = "\n\n".join(p for p in (result.summary, result.description) if p)
    return ApplicationData(
        approach=approach,
        trl=result.trl,
        team=result.team,
        price_wan=result.price_wan,
        source_result_id=result.id,
    )


def _apply(application: Application, data: ApplicationData) -> None:
    application.approach = data.approach.strip()
    application.indicators = data.indicators.strip()
    application.trl = data.trl
    application.plan = [dict(step) for step in data.plan]
    application.team = data.team.strip()
    application.price_wan = data.price_wan
    application.terms = data.terms.strip()
    application.source_result_id = data.source_result_id


def save_application_draft(
    *, actor: User, challenge: Challenge, data: ApplicationData, now: datetime | None = None
) -> Application:
    """Create or autosave the organisation's draft (reopening a withdrawn one on its row)."""
    now = now or utcnow()
    if not can_apply_to_challenge(actor, challenge):
        raise PermissionDenied(_("你的机构不能揭榜这个榜单。"))
    if not challenge.is_accepting(now):
        raise InvalidTransition(_("榜单已截止，不能再揭榜。"))
    _validate(actor, data)
    application = _organisation_application(challenge, actor)
    if application is None:
        created = _create_draft(actor=actor, challenge=challenge, data=data)
        if created is not None:
            return created
        # A concurrent request (autosave while 提交 is clicked) created the draft first.
        application = _organisation_application(challenge, actor)
        assert application is not None
    if application.status == ApplicationStatus.WITHDRAWN:
        APPLICATION.step(application, "redraft", actor=actor)
    else:
        APPLICATION.check(
            application, "edit", _("你的机构已经揭榜这个榜单（每个机构只能有一份有效申请）。")
        )
    _apply(application, data)
    db.session.flush()
    return application


def _organisation_application(challenge: Challenge, actor: User) -> Application | None:
    return db.session.scalar(
        sa.select(Application).where(
            Application.challenge_id == challenge.id,
            Application.organisation_id == actor.organisation_id,
        )
    )


def _create_draft(
    *, actor: User, challenge: Challenge, data: ApplicationData
) -> Application | None:
    """A new draft, or None when the organisation's row was created meanwhile (unique key)."""
    # By id, not through challenge.applications: a refused row must not stay in that collection.
    application = Application(
        challenge_id=challenge.id, organisation_id=actor.organisation_id, created_by=actor
    )
    application.status = ApplicationStatus.DRAFT
    _apply(application, data)
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except sa.exc.IntegrityError:
        return None
    db.session.expire(challenge, ["applications"])
    record_audit(
        actor=actor,
        action="application.create",
        object_type="application",
        object_id=application.id,
        after={"status": "draft", "challenge_id": challenge.id},
    )
    return application


def _completeness(application: Application) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(application.approach) < 20:
        errors["approach"] = [_("提交前请填写至少 20 个字的技术方案。")]
    if not application.indicators:
        errors["indicators"] = [_("提交前请说明预期指标与成功标准的对应。")]
    if application.trl is None:
        errors["trl"] = [_("提交前请选择技术成熟度。")]
    if not application.plan:
        errors["plan"] = [_("提交前请至少填写一个里程碑。")]
    if not application.team:
        errors["team"] = [_("提交前请介绍团队。")]
    return errors


def submit_application(
    *, actor: User, application: Application, now: datetime | None = None
) -> None:
    """Submit a draft before the deadline (checked here, on the server)."""
    if not can_manage_application(actor, application):
        raise NotFound
    now = now or utcnow()
    challenge = application.challenge
    if not can_apply_to_challenge(actor, challenge):
        raise PermissionDenied(_("你的机构不能揭榜这个榜单。"))
    if not challenge.is_accepting(now):
        raise InvalidTransition(_("榜单已截止，不能再揭榜。"))
    if application.status == ApplicationStatus.DRAFT:
        errors = _completeness(application)
        if errors:
            raise ValidationFailed(errors)
    APPLICATION.step(application, "submit", actor=actor)
    application.submitted_at = now
    notify(
        users=members(challenge.need.organisation),
        kind="application.submitted",
        params={"title": challenge.need.title, "org": application.organisation.name},
        link=link(challenge),
    )


def withdraw_application(*, actor: User, application: Application, reason: str = "") -> None:
    """The applicant withdraws (it may reapply on the same row while the window is open)."""
    if not can_manage_application(actor, application):
        raise NotFound
    was_submitted = application.status != ApplicationStatus.DRAFT
    APPLICATION.step(application, "withdraw", actor=actor, reason=reason.strip() or None)
    if was_submitted:
        challenge = application.challenge
        notify(
            users=members(challenge.need.organisation),
            kind="application.withdrawn",
            params={"title": challenge.need.title, "org": application.organisation.name},
            link=link(challenge),
        )


def _check_owner(actor: User, application: Application) -> Challenge:
    challenge = application.challenge
    if not can_manage_challenge(actor, challenge) or application.status == "draft":
        raise NotFound
    return challenge


def _tell_applicant(application: Application, kind: str, **params: Any) -> None:
    notify(
        users=members(application.organisation),
        kind=kind,
        params={"title": application.challenge.need.title, **params},
        link="/my/applications",
    )


def _pipeline_step(actor: User, application: Application, action: str, kind: str) -> None:
    challenge = _check_owner(actor, application)
    CHALLENGE.check(challenge.need, "review", _("榜单当前状态下不能评审。"))
    APPLICATION.step(application, action, actor=actor)
    _tell_applicant(application, kind)


def shortlist_application(*, actor: User, application: Application) -> None:
    """Screen: the owner keeps a submitted application for assessment."""
    _pipeline_step(actor, application, "shortlist", "application.shortlisted")


def make_finalist(*, actor: User, application: Application) -> None:
    """Assess: the owner sends a shortlisted application to the final round (panel scoring)."""
    _pipeline_step(actor, application, "finalist", "application.finalist")


def _decline(
    actor: User | None, application: Application, code: DeclineReason, reason: str
) -> None:
    APPLICATION.step(application, "decline", actor=actor, reason=f"{code}: {reason}")
    application.decline_reason_code = code
    application.decline_reason = reason
    application.decided_at = utcnow()
    _tell_applicant(application, "application.declined", reason_code=str(code), reason=reason)


def _reason(code: str, reason: str) -> tuple[DeclineReason, str]:
    try:
        parsed = DeclineReason(code)
    except ValueError:
        raise ValidationFailed({"code": _("请选择未入选原因。")}) from None
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": _("请填写具体说明，申请方会看到。")})
    return parsed, reason


def decline_application(*, actor: User, application: Application, code: str, reason: str) -> None:
    """Decline with a reason code and text the applicant sees."""
    challenge = _check_owner(actor, application)
    CHALLENGE.check(challenge.need, "review", _("榜单当前状态下不能评审。"))
    parsed, text = _reason(code, reason)
    _decline(actor, application, parsed, text)


def select_application(
    *,
    actor: User,
    application: Application,
    others_code: str,
    others_reason: str,
    now: datetime | None = None,
) -> list[Application]:
    """Choose the solver: the challenge is awarded, every other live application is declined.

    Returns the applications declined on the way (each applicant is told the reason).
    """
    challenge = _check_owner(actor, application)
    parsed, text = _reason(others_code, others_reason)
    CHALLENGE.check(challenge.need, "award", _("揭榜截止后才能选定揭榜方。"))
    APPLICATION.step(application, "select", actor=actor)
    CHALLENGE.step(challenge.need, "award", actor=actor, audit_id=challenge.id)
    now = now or utcnow()
    application.decided_at = now
    challenge.awarded_at = now
    _tell_applicant(application, "application.selected")
    mark_stale(application.organisation_id, challenge.organisation_id)  # 创新积分 inputs
    others = [a for a in challenge.applications if a is not application and a.status in IN_RACE]
    for other in others:
        _decline(actor, other, parsed, text)
    return others


def get_application(*, actor: User, application_id: int) -> Application:
    """An application the actor may see (applicant, owner, panel, admin), or NotFound."""
    application = db.session.get(Application, application_id)
    if application is None or not can_view_application(actor, application):
        raise NotFound
    return application


def challenge_applications(*, actor: User, challenge: Challenge) -> list[Application]:
    """The submitted applications of a challenge, for its owner and panel."""
    return [
        a
        for a in challenge.applications
        if a.status != ApplicationStatus.DRAFT and can_view_application(actor, a)
    ]
