"""Leads (银企对接线索): a bank asks to contact a firm, the firm answers, the bank records
contact, credit (授信) or its refusal, and the disbursement (放款, 首贷).

A bank starts a lead only through the firm's live consent (the request is written to the
firm's view log) or from a 银企对接 meeting between the two. Every step goes through `_step`
(the LEAD machine of finance_states.py: one transition table, one audit record).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    LIVE_LEAD_STATES,
    CreditRejection,
    EventMeeting,
    FinancingNeed,
    FinancingStatus,
    Lead,
    LeadStatus,
    LoanProduct,
    MeetingStatus,
    Organisation,
    OrgKind,
    ProductStatus,
    User,
    ViewAction,
)
from matchmaker.models.base import utcnow
from matchmaker.models.credit import CREDIT_REJECTION_LABELS
from matchmaker.permissions import (
    Permission,
    can_answer_lead,
    can_publish,
    can_work_lead,
    has_permission,
)
from matchmaker.services.challenges.challenge_states import members
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from matchmaker.services.finance import consent
from matchmaker.services.finance.finance_states import LEAD
from matchmaker.services.finance.lead_lists import Step as Step
from matchmaker.services.finance.lead_lists import all_leads as all_leads
from matchmaker.services.finance.lead_lists import bank_leads as bank_leads
from matchmaker.services.finance.lead_lists import firm_leads as firm_leads
from matchmaker.services.finance.lead_lists import get_lead as get_lead
from matchmaker.services.finance.lead_lists import history as history
from matchmaker.services.finance.lead_lists import leads_for as leads_for
from matchmaker.services.platform.amounts import amount_error, format_money
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify

S = LeadStatus
#: Who takes each step: the firm answers, the bank does the rest.
FIRM_ACTIONS = frozenset({"accept", "decline"})
BANK_ACTIONS = frozenset(LEAD.transitions) - FIRM_ACTIONS
#: States after which nothing more happens.
CLOSED_STATES = frozenset({S.DECLINED, S.WITHDRAWN, S.REJECTED, S.DISBURSED})
MAX_TEXT = 2000
T = TypeVar("T")


def link(lead: Lead) -> str:
    """The lead's page (for notifications)."""
    return f"/finance/leads/{lead.id}"


def _step(
    lead: Lead,
    action: str,
    *,
    actor: User,
    reason: str | None = None,
    extra: dict[str, object] | None = None,
) -> str:
    """One step of the LEAD machine; `extra` goes into the audit record beside the status."""
    before = str(lead.status)
    target = LEAD.step(lead, action, actor=actor, reason=reason, audit=not extra)
    now = utcnow()
    if action in FIRM_ACTIONS:
        lead.answered_at = now
    if target in CLOSED_STATES:
        lead.closed_at = now
    if extra:
        record_audit(
            actor=actor,
            action=f"lead.{action}",
            object_type="lead",
            object_id=lead.id,
            before={"status": before},
            after={"status": target, **extra},
            reason=reason,
        )
    return target


def _text(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise ValidationFailed({field: _("不能超过 %(max)d 个字符。", max=MAX_TEXT)})
    return value


def _amount(value: Decimal | None, field: str, *, ceiling: Decimal | None = None) -> Decimal:
    if value is None:
        raise ValidationFailed({field: _("请填写金额（万元）。")})
    problem = amount_error(value, positive=True)
    if problem is not None:
        raise ValidationFailed({field: problem})
    if ceiling is not None and value > ceiling:
        raise ValidationFailed(
            {
                field: _(
                    "放款金额不能超过授信金额 %(amount)s。",
                    amount=format_money(ceiling, negotiable=False),
                )
            }
        )
    return value


def _collect(errors: dict[str, list[str]], check: Callable[[], T]) -> T | None:
    """Run one field's check; its refusal joins `errors` instead of ending the validation."""
    try:
        return check()
    except ValidationFailed as refused:
        for name, messages in refused.errors.items():
            errors.setdefault(name, []).extend(messages)
        return None


def _own_product(actor: User, product_id: int | None, field: str) -> LoanProduct | None:
    if not product_id:
        return None
    product = db.session.get(LoanProduct, product_id)
    if (
        product is None
        or product.bank_org_id != actor.organisation_id
        or product.status == ProductStatus.DRAFT
    ):
        raise ValidationFailed({field: _("请选择贵行已发布的贷款产品。")})
    return product


def _is_bank_user(actor: User) -> bool:
    org = actor.organisation
    return bool(
        has_permission(actor, Permission.LOAN_PRODUCT)
        and org is not None
        and org.kind == OrgKind.BANK
        and can_publish(actor)
    )


def get_meeting(*, actor: User, meeting_id: int, firm_org_id: int) -> EventMeeting:
    """A 银企对接 meeting between the actor's bank and the firm (not cancelled), or NotFound."""
    meeting = db.session.get(EventMeeting, meeting_id)
    if (
        meeting is None
        or meeting.bank_org_id != actor.organisation_id
        or meeting.firm_org_id != firm_org_id
        or meeting.status == MeetingStatus.CANCELLED
    ):
        raise NotFound
    return meeting


def reachable_firm(
    *, actor: User, firm_org_id: int, meeting_id: int | None = None
) -> tuple[Organisation, consent.FirmAccess | None]:
    """The firm a bank user may ask to contact: through live consent, or a meeting of the two.

    NotFound otherwise (a bank cannot tell "no consent" from "no such firm")."""
    if not _is_bank_user(actor):
        raise NotFound
    if meeting_id is not None:
        meeting = get_meeting(actor=actor, meeting_id=meeting_id, firm_org_id=firm_org_id)
        firm = meeting.firm
        if firm.kind != OrgKind.ENTERPRISE:
            raise NotFound
        return firm, None
    access = consent.peek_firm(actor=actor, firm_org_id=firm_org_id)
    return access.organisation, access


def live_lead(bank_org_id: int, firm_org_id: int) -> Lead | None:
    """The bank's lead with the firm that is still going, if any."""
    return db.session.scalar(
        sa.select(Lead)
        .where(
            Lead.bank_org_id == bank_org_id,
            Lead.firm_org_id == firm_org_id,
            Lead.status.in_([str(s) for s in LIVE_LEAD_STATES]),
        )
        .limit(1)
    )


def live_leads_by_firm(bank_org_id: int | None) -> dict[int, int]:
    """firm organisation id -> id of the bank's live lead with it."""
    if not bank_org_id:
        return {}
    rows = db.session.execute(
        sa.select(Lead.firm_org_id, Lead.id).where(
            Lead.bank_org_id == bank_org_id,
            Lead.status.in_([str(s) for s in LIVE_LEAD_STATES]),
        )
    )
    return {firm_id: lead_id for firm_id, lead_id in rows}


def request_contact(
    *,
    actor: User,
    firm_org_id: int,
    product_id: int | None = None,
    financing_need_id: int | None = None,
    message: str = "",
    meeting_id: int | None = None,
) -> Lead:
    """A bank user asks to contact a firm (one live lead per bank and firm)."""
    firm, access = reachable_firm(actor=actor, firm_org_id=firm_org_id, meeting_id=meeting_id)
    bank = actor.organisation
    assert bank is not None  # reachable_firm lets only a bank's users through
    product = _own_product(actor, product_id, "product_id")
    need = None
    if financing_need_id:
        need = db.session.get(FinancingNeed, financing_need_id)
        if need is None or need.organisation_id != firm.id or need.status != FinancingStatus.OPEN:
            raise ValidationFailed({"financing_need_id": _("请选择该企业仍在融资中的需求。")})
    text = _text(message, "message")
    if live_lead(bank.id, firm.id) is not None:
        raise InvalidTransition(_("贵行与该企业已有进行中的对接，请在对接线索中继续。"))
    lead = Lead(
        bank_org_id=bank.id,
        firm_org_id=firm.id,
        product_id=product.id if product else None,
        financing_need_id=need.id if need else None,
        meeting_id=meeting_id,
        status=LeadStatus.REQUESTED,
        message=text,
        requested_by_id=actor.id,
    )
    db.session.add(lead)
    db.session.flush()
    if access is not None:
        consent.log_view(actor=actor, access=access, action=ViewAction.LEAD)
    record_audit(
        actor=actor,
        action="lead.request",
        object_type="lead",
        object_id=lead.id,
        after={
            "status": str(lead.status),
            "firm_org_id": firm.id,
            "product_id": lead.product_id,
            "financing_need_id": lead.financing_need_id,
            "meeting_id": meeting_id,
        },
    )
    notify(
        users=members(firm),
        kind="lead.requested",
        params={
            "bank": bank.name,
            "firm": firm.name,
            "product": product.name if product else "—",
        },
        link=link(lead),
    )
    return lead


def _require_bank_side(actor: User, lead: Lead) -> None:
    if not can_work_lead(actor, lead):
        raise NotFound


def _require_firm_side(actor: User, lead: Lead) -> None:
    if not can_answer_lead(actor, lead):
        raise NotFound


def _params(lead: Lead, **extra: object) -> dict[str, object]:
    return {"bank": lead.bank.name, "firm": lead.firm.name, **extra}


def answer_lead(*, actor: User, lead: Lead, accept: bool, reply: str = "") -> Lead:
    """The firm accepts or declines the bank's request, with an optional reply."""
    _require_firm_side(actor, lead)
    text = _text(reply, "reply")
    action = "accept" if accept else "decline"
    _step(lead, action, actor=actor, reason=text or None)
    lead.firm_reply = text
    db.session.flush()
    notify(
        users=members(lead.bank),
        kind=f"lead.{'accepted' if accept else 'declined'}",
        params=_params(lead),
        link=link(lead),
    )
    return lead


def withdraw_lead(*, actor: User, lead: Lead) -> Lead:
    """The bank takes back a request the firm has not answered."""
    _require_bank_side(actor, lead)
    _step(lead, "withdraw", actor=actor)
    db.session.flush()
    notify(users=members(lead.firm), kind="lead.withdrawn", params=_params(lead), link=link(lead))
    return lead


def mark_in_contact(*, actor: User, lead: Lead) -> Lead:
    """The bank records that it is in touch with the firm."""
    _require_bank_side(actor, lead)
    _step(lead, "contact", actor=actor)
    db.session.flush()
    return lead


def approve_credit(
    *, actor: User, lead: Lead, amount_wan: Decimal | None, product_id: int | None
) -> Lead:
    """The bank records approved credit (授信): an amount and one of its own products."""
    _require_bank_side(actor, lead)
    LEAD.check(lead, "approve")
    errors: dict[str, list[str]] = {}  # every field's error at once, not the first only
    amount = _collect(errors, lambda: _amount(amount_wan, "amount_wan"))
    product = _collect(errors, lambda: _own_product(actor, product_id, "product_id"))
    if product is None and "product_id" not in errors:
        errors["product_id"] = [_("请选择授信所用的贷款产品。")]
    if errors or amount is None or product is None:
        raise ValidationFailed(errors)
    lead.approved_amount_wan = amount
    lead.approved_product_id = product.id
    lead.approved_at = utcnow()
    _step(
        lead,
        "approve",
        actor=actor,
        extra={"approved_amount_wan": str(amount), "approved_product_id": product.id},
    )
    db.session.flush()
    notify(
        users=members(lead.firm),
        kind="lead.approved",
        params=_params(lead, amount=f"{amount:g}", product=product.name),
        link=link(lead),
    )
    return lead


def reject_credit(*, actor: User, lead: Lead, reason: str | None, note: str = "") -> Lead:
    """The bank declines credit, with a reason code and an optional note the firm sees."""
    _require_bank_side(actor, lead)
    LEAD.check(lead, "reject")
    if reason not in {r.value for r in CreditRejection}:
        raise ValidationFailed({"reason": _("请选择未授信原因。")})
    code = CreditRejection(reason)
    text = _text(note, "note")
    if code == CreditRejection.OTHER and not text:
        raise ValidationFailed({"note": _("选择“其他原因”时请填写说明。")})
    lead.rejection_reason = code
    lead.rejection_note = text
    _step(lead, "reject", actor=actor, reason=text or None, extra={"reason": str(code)})
    db.session.flush()
    shown = str(CREDIT_REJECTION_LABELS[code]) + (f"（{text}）" if text else "")
    notify(
        users=members(lead.firm),
        kind="lead.rejected",
        params=_params(lead, reason=shown),
        link=link(lead),
    )
    return lead


def record_disbursement(
    *, actor: User, lead: Lead, amount_wan: Decimal | None, first_loan: bool = False
) -> Lead:
    """The bank records the loan paid out (放款), at most the approved amount; 首贷 if this
    is the firm's first bank loan (the bank knows, the platform does not)."""
    _require_bank_side(actor, lead)
    LEAD.check(lead, "disburse")
    amount = _amount(amount_wan, "amount_wan", ceiling=lead.approved_amount_wan)
    lead.disbursed_amount_wan = amount
    lead.first_loan = bool(first_loan)
    lead.disbursed_at = utcnow()
    _step(
        lead,
        "disburse",
        actor=actor,
        extra={"disbursed_amount_wan": str(amount), "first_loan": bool(first_loan)},
    )
    db.session.flush()
    notify(
        users=members(lead.firm),
        kind="lead.disbursed",
        params=_params(lead, amount=f"{amount:g}"),
        link=link(lead),
    )
    return lead
