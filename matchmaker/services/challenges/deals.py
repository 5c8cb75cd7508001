"""Deals (技术合同): record, milestones with evidence and acceptance (trials: trials.py).

The provider is the solver (challenge), the result's owner (adoption) or the side offering the
technology in a conversation (enquiry); the client is the challenge owner, the adopting
enterprise or the other side of the conversation. The client adds milestones and accepts (验收);
the provider submits evidence. When every milestone is accepted (and a trial, if any, ended
in payment) the deal completes and its challenge is accepted (已解决).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    Application,
    Deal,
    DealMode,
    DealStatus,
    Enquiry,
    ExpertProfile,
    Milestone,
    MilestoneEvidence,
    MilestoneStatus,
    Organisation,
    PaymentForm,
    TrialOutcome,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.enquiry import FunnelStep
from matchmaker.models.listing import Listing
from matchmaker.permissions import (
    can_accept_deal,
    can_deliver_deal,
    can_manage_challenge,
    can_view_adoption,
    can_view_deal,
)
from matchmaker.services.challenges.challenge_states import (
    ADOPTION,
    APPLICATION,
    CHALLENGE,
    DEAL,
    MILESTONE,
    members,
    require_reason,
)
from matchmaker.services.connect import funnel
from matchmaker.services.connect.enquiry_states import ENQUIRY, REFUSALS, require_party
from matchmaker.services.connect.targets import subject_title
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance.innovation_score import mark_stale
from matchmaker.services.platform import files as stored_files
from matchmaker.services.platform.amounts import check_amount
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify

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
    #: 经纪服务费 (万元): only for a deal from a broker's introduction; None when not given.
    broker_fee_wan: Decimal | None = None


def title_of(deal: Deal) -> str:
    """What a deal is about: the challenge's need, the adopted result or the enquiry's listing."""
    if deal.application is not None:
        return deal.application.challenge.need.title
    if deal.enquiry is not None:
        return subject_title(deal.enquiry)
    assert deal.adoption_request is not None
    return deal.adoption_request.offer.result.title


def listing_of(deal: Deal) -> Listing | ExpertProfile:
    """The listing a deal came from: the challenge's need, the adopted result or the enquiry's
    (an expert profile for a deal from an enquiry to an expert)."""
    if deal.application is not None:
        return deal.application.challenge.need
    if deal.enquiry is not None:
        return deal.enquiry.listing
    assert deal.adoption_request is not None
    return deal.adoption_request.offer.result


def link(deal: Deal) -> str:
    """The path of a deal."""
    return f"/my/deals/{deal.id}"


def notify_parties(deal: Deal, kind: str, **params: object) -> None:
    """Tell both parties of a deal (the provider's and the client's members)."""
    notify(
        users=members(deal.provider, deal.client),
        kind=kind,
        params={"title": title_of(deal), **params},
        link=link(deal),
    )


def _validate(terms: DealTerms, *, brokered: bool = False) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if terms.broker_fee_wan is not None:
        if brokered:
            check_amount(errors, "broker_fee_wan", terms.broker_fee_wan)
        else:
            errors["broker_fee_wan"] = [_("这项合作不是经纪人引荐的，不能填写经纪服务费。")]
    if terms.mode not in set(DealMode):
        errors["mode"] = [_("请选择有效的选项。")]
    if terms.payment_form not in set(PaymentForm):
        errors["payment_form"] = [_("请选择有效的选项。")]
    if terms.amount_wan is None:
        errors["amount_wan"] = [_("请填写合同金额。")]
    check_amount(errors, "amount_wan", terms.amount_wan)
    if terms.payment_form == PaymentForm.USE_FIRST_PAY_LATER and (
        terms.trial_start is None or terms.trial_end is None or terms.trial_end <= terms.trial_start
    ):
        errors["trial_end"] = [_("先使用后付费需要填写试用期起止日期，结束日期晚于开始日期。")]
    number = (terms.contract_number or "").strip()
    if number and db.session.scalar(sa.select(Deal.id).where(Deal.contract_number == number)):
        errors["contract_number"] = [_("这个技术合同登记号已被使用。")]
    return errors


def enquiry_parties(enquiry: Enquiry) -> tuple[Organisation, Organisation]:
    """(provider, client) of a deal from a conversation.

    The provider is whoever offers the technology: the result's or the expert's owner, or for
    a need the sender (who answered the need with its solution); the client is the other side.
    """
    if enquiry.need_id is None:
        return enquiry.owner_org, enquiry.sender_org
    return enquiry.sender_org, enquiry.owner_org


def _enquiry_parties(actor: User, enquiry: Enquiry) -> tuple[int, int]:
    """Provider and client ids of an accepted enquiry; NotFound unless the actor is a party."""
    require_party(actor, enquiry)
    ENQUIRY.check(enquiry, "record_deal", REFUSALS["record_deal"])
    provider, client = enquiry_parties(enquiry)
    return provider.id, client.id


def record_deal(
    *,
    actor: User,
    terms: DealTerms,
    application: Application | None = None,
    adoption: AdoptionRequest | None = None,
    enquiry: Enquiry | None = None,
) -> Deal:
    """Record the contract of a selected application, an accepted adoption request or an
    accepted enquiry (a conversation: "登记合同")."""
    if sum(source is not None for source in (application, adoption, enquiry)) != 1:
        raise ValueError("exactly one of application, adoption and enquiry")
    if enquiry is not None:
        provider_id, client_id = _enquiry_parties(actor, enquiry)
        recorded = sa.select(Deal.id).where(Deal.enquiry_id == enquiry.id)
    elif application is not None:
        challenge = application.challenge
        if not can_manage_challenge(actor, challenge):
            raise NotFound
        APPLICATION.check(application, "contract", _("只有选定的揭榜方可以签订合同。"))
        provider_id, client_id = application.organisation_id, challenge.organisation_id
        recorded = sa.select(Deal.id).where(Deal.application_id == application.id)
    else:
        assert adoption is not None
        if not can_view_adoption(actor, adoption) or actor.organisation_id not in (
            adoption.organisation_id,
            adoption.offer.organisation_id,
        ):
            raise NotFound
        ADOPTION.check(adoption, "contract", _("只有已同意的承接申请可以签订合同。"))
        provider_id, client_id = adoption.offer.organisation_id, adoption.organisation_id
        recorded = sa.select(Deal.id).where(Deal.adoption_request_id == adoption.id)
    if db.session.scalar(recorded):
        raise InvalidTransition(_("这项合作已经登记过合同。"))
    broker_id = enquiry.broker_id if enquiry is not None else None
    errors = _validate(terms, brokered=broker_id is not None)
    if errors:
        raise ValidationFailed(errors)
    trial = terms.payment_form == PaymentForm.USE_FIRST_PAY_LATER
    deal = Deal(
        provider_org_id=provider_id,
        client_org_id=client_id,
        application=application,
        adoption_request=adoption,
        enquiry=enquiry,
        created_by=actor,
        status=DealStatus.ACTIVE,
        mode=terms.mode,
        amount_wan=terms.amount_wan,
        payment_form=terms.payment_form,
        contract_number=(terms.contract_number or "").strip() or None,
        signed_on=terms.signed_on,
        trial_start=terms.trial_start if trial else None,
        trial_end=terms.trial_end if trial else None,
        broker_id=broker_id,  # 经纪服务: the broker whose introduction led to the deal
        broker_fee_wan=terms.broker_fee_wan if broker_id is not None else None,
    )
    db.session.add(deal)
    db.session.flush()
    if application is not None:
        CHALLENGE.step(
            application.challenge.need, "contract", actor=actor, audit_id=application.challenge_id
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
            "enquiry_id": deal.enquiry_id,
            "broker_id": deal.broker_id,
            "broker_fee_wan": None if deal.broker_fee_wan is None else str(deal.broker_fee_wan),
        },
    )
    funnel.record(
        FunnelStep.DEAL, listing_of(deal), key=f"deal:{deal.id}", actor_org_id=actor.organisation_id
    )
    notify_parties(deal, "deal.recorded")
    mark_stale(provider_id, client_id)  # 创新积分 platform activity changed
    return deal


def deal_of_enquiry(enquiry: Enquiry) -> Deal | None:
    """The deal recorded from a conversation, if any."""
    return db.session.scalar(sa.select(Deal).where(Deal.enquiry_id == enquiry.id))


def require_client(actor: User, deal: Deal) -> None:
    """NotFound unless the actor sees the deal; PermissionDenied unless it is the client."""
    if not can_view_deal(actor, deal):
        raise NotFound
    if not can_accept_deal(actor, deal):
        raise PermissionDenied


def require_active(deal: Deal) -> None:
    """InvalidTransition unless the deal is still active (milestones, evidence, the trial)."""
    DEAL.check(deal, "progress")


def add_milestone(*, actor: User, deal: Deal, title: str, due_on: date) -> Milestone:
    """The client adds a delivery milestone to an active deal."""
    require_client(actor, deal)
    require_active(deal)
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

    The files become permanent when the unit of work commits (services/platform/files.py).
    """
    deal = milestone.deal
    if not can_view_deal(actor, deal):
        raise NotFound
    if not can_deliver_deal(actor, deal):
        raise PermissionDenied
    require_active(deal)
    if not files:
        raise ValidationFailed({"file": _("请上传交付证明材料。")})
    if len(milestone.evidence) + len(files) > MAX_EVIDENCE:
        raise ValidationFailed({"file": _("每个里程碑最多 %(n)d 个文件。", n=MAX_EVIDENCE)})
    MILESTONE.step(milestone, "submit", actor=actor)
    milestone.note = note.strip()
    milestone.rework_reason = None
    milestone.submitted_at = utcnow()
    stored = [
        MilestoneEvidence(
            milestone=milestone,
            **stored_files.store(stream).columns(filename=filename, uploaded_by_id=actor.id),
        )
        for stream, filename in files
    ]
    db.session.add_all(stored)
    db.session.flush()
    won = deal.application  # the first delivery starts the work on the challenge
    if won is not None and CHALLENGE.can(won.challenge.need, "start"):
        CHALLENGE.step(won.challenge.need, "start", actor=actor, audit_id=won.challenge_id)
    notify(
        users=members(deal.client),
        kind="milestone.submitted",
        params={"title": title_of(deal), "milestone": milestone.title},
        link=link(deal),
    )
    return stored


def accept_milestone(*, actor: User, milestone: Milestone, now: datetime | None = None) -> None:
    """验收 passed; the last accepted milestone completes the deal (and solves the challenge)."""
    deal = milestone.deal
    require_client(actor, deal)
    require_active(deal)
    MILESTONE.step(milestone, "accept", actor=actor)
    milestone.accepted_at = now or utcnow()
    mark_stale(*deal.party_org_ids)  # 创新积分 platform activity changed
    notify(
        users=members(deal.provider),
        kind="milestone.accepted",
        params={"title": title_of(deal), "milestone": milestone.title},
        link=link(deal),
    )
    complete_if_done(actor, deal, now or utcnow())


def request_rework(*, actor: User, milestone: Milestone, reason: str) -> None:
    """验收 not passed: the provider reworks and submits again; the reason is shown."""
    deal = milestone.deal
    require_client(actor, deal)
    require_active(deal)
    reason = require_reason(reason)
    MILESTONE.step(milestone, "rework", actor=actor, reason=reason)
    milestone.rework_reason = reason
    notify(
        users=members(deal.provider),
        kind="milestone.rework",
        params={"title": title_of(deal), "milestone": milestone.title, "reason": reason},
        link=link(deal),
    )


def terminate_deal(*, actor: User, deal: Deal, reason: str) -> None:
    """The client ends the contract early with a reason; its challenge is terminated."""
    require_client(actor, deal)
    reason = require_reason(reason)
    DEAL.step(deal, "terminate", actor=actor, reason=reason)
    deal.termination_reason = reason
    deal.closed_at = utcnow()
    if deal.application is not None:
        CHALLENGE.step(
            deal.application.challenge.need,
            "terminate",
            actor=actor,
            audit_id=deal.application.challenge_id,
            reason=reason,
        )
        deal.application.challenge.status_reason = reason
    notify_parties(deal, "deal.terminated", reason=reason)


def complete_if_done(actor: User | None, deal: Deal, now: datetime) -> bool:
    """Complete the deal (and solve its challenge) once every milestone and the trial allow."""
    if any(m.status != MilestoneStatus.ACCEPTED for m in deal.milestones):
        return False
    if deal.has_trial and deal.trial_outcome != TrialOutcome.PAY:
        return False
    DEAL.step(deal, "complete", actor=actor)
    deal.closed_at = now
    funnel.record(
        FunnelStep.DEAL_ACCEPTED,
        listing_of(deal),
        key=f"deal:{deal.id}",
        actor_org_id=deal.client_org_id,
        now=now,
    )
    if deal.application is not None:
        challenge = deal.application.challenge
        CHALLENGE.step(challenge.need, "accept", actor=actor, audit_id=challenge.id)
        challenge.solved_at = now
    notify_parties(deal, "deal.completed")
    mark_stale(*deal.party_org_ids)  # 创新积分 platform activity changed
    return True


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
