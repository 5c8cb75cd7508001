"""Deals (技术合同): record, milestones with evidence and acceptance, 先使用后付费 trials.

The provider is the solver (challenge) or the result's owner (adoption); the client is the
challenge owner or the adopting enterprise. The client adds milestones and accepts (验收);
the provider submits evidence. When every milestone is accepted (and a trial, if any, ended
in payment) the deal completes and its challenge is accepted (已解决).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    AdoptionStatus,
    Application,
    ApplicationStatus,
    Deal,
    DealMode,
    DealStatus,
    Milestone,
    MilestoneEvidence,
    MilestoneStatus,
    NeedStatus,
    PaymentForm,
    TrialOutcome,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import (
    can_accept_deal,
    can_deliver_deal,
    can_manage_challenge,
    can_view_adoption,
    can_view_deal,
)
from matchmaker.services.challenges.challenge_states import (
    CHALLENGE,
    CHINA,
    DEAL,
    MILESTONE,
    TRIAL_LABELS,
    advance,
    members,
    require_reason,
)
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance.innovation_score import mark_stale
from matchmaker.services.market.attachments import (
    clean_name,
    discard_file,
    finalize_file,
    store_upload,
)
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify

TRIAL_REMIND_DAYS = 14
MAX_EVIDENCE = 10


@dataclass(frozen=True)
class DealTerms:
    """What the parties signed."""

    mode: str
    amount_wan: Decimal
    payment_form: str
    contract_number: str | None = None  # 技术合同登记号
    signed_on: date | None = None
    trial_start: date | None = None
    trial_end: date | None = None


def title_of(deal: Deal) -> str:
    """What a deal is about: the challenge's need or the adopted result."""
    if deal.application is not None:
        return deal.application.challenge.need.title
    assert deal.adoption_request is not None
    return deal.adoption_request.offer.result.title


def link(deal: Deal) -> str:
    """The path of a deal."""
    return f"/my/deals/{deal.id}"


def _notify_parties(deal: Deal, kind: str, **params: object) -> None:
    notify(
        users=members(deal.provider, deal.client),
        kind=kind,
        params={"title": title_of(deal), **params},
        link=link(deal),
    )


def _validate(terms: DealTerms) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if terms.mode not in set(DealMode):
        errors["mode"] = [_("请选择有效的选项。")]
    if terms.payment_form not in set(PaymentForm):
        errors["payment_form"] = [_("请选择有效的选项。")]
    if terms.amount_wan is None or terms.amount_wan < 0:
        errors["amount_wan"] = [_("合同金额不能为负数。")]
    if terms.payment_form == PaymentForm.USE_FIRST_PAY_LATER and (
        terms.trial_start is None or terms.trial_end is None or terms.trial_end <= terms.trial_start
    ):
        errors["trial_end"] = [_("先使用后付费需要填写试用期起止日期，结束日期晚于开始日期。")]
    number = (terms.contract_number or "").strip()
    if number and db.session.scalar(sa.select(Deal.id).where(Deal.contract_number == number)):
        errors["contract_number"] = [_("这个技术合同登记号已被使用。")]
    return errors


def record_deal(
    *,
    actor: User,
    terms: DealTerms,
    application: Application | None = None,
    adoption: AdoptionRequest | None = None,
) -> Deal:
    """Record the contract of a selected application or of an accepted adoption request."""
    if (application is None) == (adoption is None):
        raise ValueError("exactly one of application and adoption")
    if application is not None:
        challenge = application.challenge
        if not can_manage_challenge(actor, challenge):
            raise NotFound
        if application.status != ApplicationStatus.SELECTED:
            raise InvalidTransition(_("只有选定的揭榜方可以签订合同。"))
        provider_id, client_id = application.organisation_id, challenge.organisation_id
    else:
        assert adoption is not None
        if not can_view_adoption(actor, adoption) or actor.organisation_id not in (
            adoption.organisation_id,
            adoption.offer.organisation_id,
        ):
            raise NotFound
        if adoption.status != AdoptionStatus.ACCEPTED:
            raise InvalidTransition(_("只有已同意的承接申请可以签订合同。"))
        provider_id, client_id = adoption.offer.organisation_id, adoption.organisation_id
    source = Deal.application_id if application else Deal.adoption_request_id
    if db.session.scalar(sa.select(Deal.id).where(source == (application or adoption).id)):
        raise InvalidTransition(_("这项合作已经登记过合同。"))
    errors = _validate(terms)
    if errors:
        raise ValidationFailed(errors)
    trial = terms.payment_form == PaymentForm.USE_FIRST_PAY_LATER
    deal = Deal(
        provider_org_id=provider_id,
        client_org_id=client_id,
        application=application,
        adoption_request=adoption,
        created_by=actor,
        status=DealStatus.ACTIVE,
        mode=terms.mode,
        amount_wan=terms.amount_wan,
        payment_form=terms.payment_form,
        contract_number=(terms.contract_number or "").strip() or None,
        signed_on=terms.signed_on,
        trial_start=terms.trial_start if trial else None,
        trial_end=terms.trial_end if trial else None,
    )
    db.session.add(deal)
    db.session.flush()
    if application is not None:
        advance(
            application.challenge.need,
            CHALLENGE,
            "contract",
            actor=actor,
            object_type="challenge",
            audit_id=application.challenge_id,
        )
    record_audit(
        actor=actor,
        action="deal.record",
        object_type="deal",
        object_id=deal.id,
        after={
            "status": "active",
            "amount_wan": str(deal.amount_wan),
            "payment_form": str(deal.payment_form),
            "application_id": deal.application_id,
            "adoption_request_id": deal.adoption_request_id,
        },
    )
    _notify_parties(deal, "deal.recorded")
    mark_stale(provider_id, client_id)  # 创新积分 platform activity changed
    return deal


def _client(actor: User, deal: Deal) -> None:
    if not can_view_deal(actor, deal):
        raise NotFound
    if not can_accept_deal(actor, deal):
        raise PermissionDenied


def _active(deal: Deal) -> None:
    if deal.status != DealStatus.ACTIVE:
        raise InvalidTransition(_("技术合同当前状态下不能进行此操作。"))


def add_milestone(*, actor: User, deal: Deal, title: str, due_on: date) -> Milestone:
    """The client adds a delivery milestone to an active deal."""
    _client(actor, deal)
    _active(deal)
    if not title.strip():
        raise ValidationFailed({"title": _("请填写里程碑名称。")})
    milestone = Milestone(
        deal=deal,
        position=len(deal.milestones) + 1,
        title=title.strip()[:200],
        due_on=due_on,
        status=MilestoneStatus.PENDING,
    )
    db.session.add(milestone)
    db.session.flush()
    record_audit(
        actor=actor,
        action="deal.milestone_add",
        object_type="deal",
        object_id=deal.id,
        after={"milestone_id": milestone.id, "title": milestone.title},
    )
    return milestone


def submit_milestone_evidence(
    *,
    actor: User,
    milestone: Milestone,
    files: list[tuple[BinaryIO, str]],
    note: str = "",
) -> list[MilestoneEvidence]:
    """The provider delivers: evidence files (PDF/images, checked by content) for acceptance.

    Files are written as pending; after the commit call finalize_evidence(), after a failed
    one discard_evidence().
    """
    deal = milestone.deal
    if not can_view_deal(actor, deal):
        raise NotFound
    if not can_deliver_deal(actor, deal):
        raise PermissionDenied
    _active(deal)
    if not files:
        raise ValidationFailed({"file": _("请上传交付证明材料。")})
    if len(milestone.evidence) + len(files) > MAX_EVIDENCE:
        raise ValidationFailed({"file": _("每个里程碑最多 %(n)d 个文件。", n=MAX_EVIDENCE)})
    advance(milestone, MILESTONE, "submit", actor=actor, object_type="milestone")
    milestone.note = note.strip()
    milestone.rework_reason = None
    milestone.submitted_at = utcnow()
    stored: list[MilestoneEvidence] = []
    try:
        for stream, filename in files:
            upload = store_upload(stream)
            stored.append(
                MilestoneEvidence(
                    milestone=milestone,
                    original_name=clean_name(filename),
                    stored_name=upload.stored_name,
                    content_type=upload.content_type,
                    size=upload.size,
                    sha256=upload.sha256,
                    uploaded_by_id=actor.id,
                )
            )
    except BaseException:
        discard_evidence(stored)
        raise
    db.session.add_all(stored)
    db.session.flush()
    need = deal.application.challenge.need if deal.application else None
    if need is not None and need.status == NeedStatus.CONTRACTED:
        advance(
            need,
            CHALLENGE,
            "start",
            actor=actor,
            object_type="challenge",
            audit_id=deal.application.challenge_id,
        )
    notify(
        users=members(deal.client),
        kind="milestone.submitted",
        params={"title": title_of(deal), "milestone": milestone.title},
        link=link(deal),
    )
    return stored


def finalize_evidence(evidence: list[MilestoneEvidence]) -> None:
    """After the commit: make the evidence files permanent."""
    for item in evidence:
        finalize_file(item.stored_name)


def discard_evidence(evidence: list[MilestoneEvidence]) -> None:
    """After a failed commit: remove the pending evidence files."""
    for item in evidence:
        discard_file(item.stored_name)


def accept_milestone(*, actor: User, milestone: Milestone, now: datetime | None = None) -> None:
    """验收 passed; the last accepted milestone completes the deal (and solves the challenge)."""
    deal = milestone.deal
    _client(actor, deal)
    _active(deal)
    advance(milestone, MILESTONE, "accept", actor=actor, object_type="milestone")
    milestone.accepted_at = now or utcnow()
    mark_stale(*deal.party_org_ids)  # 创新积分 platform activity changed
    notify(
        users=members(deal.provider),
        kind="milestone.accepted",
        params={"title": title_of(deal), "milestone": milestone.title},
        link=link(deal),
    )
    _complete_if_done(actor, deal, now or utcnow())


def request_rework(*, actor: User, milestone: Milestone, reason: str) -> None:
    """验收 not passed: the provider reworks and submits again; the reason is shown."""
    deal = milestone.deal
    _client(actor, deal)
    _active(deal)
    reason = require_reason(reason)
    advance(milestone, MILESTONE, "rework", actor=actor, object_type="milestone", reason=reason)
    milestone.rework_reason = reason
    notify(
        users=members(deal.provider),
        kind="milestone.rework",
        params={"title": title_of(deal), "milestone": milestone.title, "reason": reason},
        link=link(deal),
    )


def terminate_deal(*, actor: User, deal: Deal, reason: str) -> None:
    """The client ends the contract early with a reason; its challenge is terminated."""
    _client(actor, deal)
    reason = require_reason(reason)
    advance(deal, DEAL, "terminate", actor=actor, object_type="deal", reason=reason)
    deal.termination_reason = reason
    deal.closed_at = utcnow()
    if deal.application is not None:
        advance(
            deal.application.challenge.need,
            CHALLENGE,
            "terminate",
            actor=actor,
            object_type="challenge",
            audit_id=deal.application.challenge_id,
            reason=reason,
        )
        deal.application.challenge.status_reason = reason
    _notify_parties(deal, "deal.terminated", reason=reason)


def _complete_if_done(actor: User | None, deal: Deal, now: datetime) -> bool:
    if any(m.status != MilestoneStatus.ACCEPTED for m in deal.milestones):
        return False
    if deal.has_trial and deal.trial_outcome != TrialOutcome.PAY:
        return False
    advance(deal, DEAL, "complete", actor=actor, object_type="deal")
    deal.closed_at = now
    if deal.application is not None:
        challenge = deal.application.challenge
        advance(
            challenge.need,
            CHALLENGE,
            "accept",
            actor=actor,
            object_type="challenge",
            audit_id=challenge.id,
        )
        challenge.solved_at = now
    _notify_parties(deal, "deal.completed")
    mark_stale(*deal.party_org_ids)  # 创新积分 platform activity changed
    return True


def end_trial(
    *,
    actor: User,
    deal: Deal,
    outcome: str,
    new_end: date | None = None,
    now: datetime | None = None,
) -> None:
    """End a 先使用后付费 trial: pay (the deal goes on / completes), return, or extend."""
    _client(actor, deal)
    _active(deal)
    if not deal.has_trial or deal.trial_outcome == TrialOutcome.PAY:
        raise InvalidTransition(_("这份合同没有进行中的试用期。"))
    try:
        parsed = TrialOutcome(outcome)
    except ValueError:
        raise ValidationFailed({"outcome": _("请选择有效的选项。")}) from None
    now = now or utcnow()
    before = {"trial_end": deal.trial_end.isoformat() if deal.trial_end else None}
    if parsed == TrialOutcome.EXTEND:
        if new_end is None or deal.trial_end is None or new_end <= deal.trial_end:
            raise ValidationFailed({"new_end": _("延长试用需要晚于当前结束日期的新日期。")})
        deal.trial_end = new_end
        deal.trial_reminded_at = None
        deal.trial_overdue_at = None
    deal.trial_outcome = parsed
    record_audit(
        actor=actor,
        action=f"deal.trial_{parsed}",
        object_type="deal",
        object_id=deal.id,
        before=before,
        after={"outcome": str(parsed), "trial_end": deal.trial_end.isoformat()},
    )
    if parsed == TrialOutcome.RETURN:
        advance(deal, DEAL, "return", actor=actor, object_type="deal")
        deal.closed_at = now
    _notify_parties(
        deal, "trial.ended", outcome=str(TRIAL_LABELS[parsed]), end=deal.trial_end.isoformat()
    )
    if parsed == TrialOutcome.PAY:
        _complete_if_done(actor, deal, now)


def process_trials(*, now: datetime | None = None) -> dict[str, int]:
    """Remind both parties before a trial ends and flag overdue ones; safe to run repeatedly."""
    now = now or utcnow()
    today = now.astimezone(CHINA).date()
    counts = {"trial_reminded": 0, "trial_overdue": 0}
    open_trials = db.session.scalars(
        sa.select(Deal)
        .where(
            Deal.status == DealStatus.ACTIVE,
            Deal.payment_form == PaymentForm.USE_FIRST_PAY_LATER,
            sa.or_(Deal.trial_outcome.is_(None), Deal.trial_outcome == TrialOutcome.EXTEND),
            Deal.trial_end <= today + timedelta(days=TRIAL_REMIND_DAYS),
        )
        .order_by(Deal.id)
    ).all()
    for deal in open_trials:
        assert deal.trial_end is not None
        if deal.trial_end < today:
            if deal.trial_overdue_at is None:
                deal.trial_overdue_at = now
                record_audit(
                    actor=None,
                    action="deal.trial_overdue",
                    object_type="deal",
                    object_id=deal.id,
                    after={"trial_end": deal.trial_end.isoformat()},
                )
                _notify_parties(deal, "trial.overdue", end=deal.trial_end.isoformat())
                counts["trial_overdue"] += 1
        elif deal.trial_reminded_at is None:
            deal.trial_reminded_at = now
            _notify_parties(deal, "trial.ending", end=deal.trial_end.isoformat())
            counts["trial_reminded"] += 1
    db.session.flush()
    return counts


def get_deal(*, actor: User, deal_id: int) -> Deal:
    """A deal the actor is party to (or an admin), else NotFound."""
    deal = db.session.get(Deal, deal_id)
    if deal is None or not can_view_deal(actor, deal):
        raise NotFound
    return deal


def organisation_deals(*, organisation_id: int) -> list[Deal]:
    """Every deal an organisation is party to, newest first."""
    return list(
        db.session.scalars(
            sa.select(Deal)
            .where(
                sa.or_(
                    Deal.provider_org_id == organisation_id, Deal.client_org_id == organisation_id
                )
            )
            .order_by(Deal.created_at.desc(), Deal.id.desc())
        )
    )
