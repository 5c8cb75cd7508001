"""先使用后付费 trials of a deal: the client ends one (pay, return, extend), and the clock
reminds both parties before a trial ends and flags overdue ones."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Deal, DealStatus, PaymentForm, TrialOutcome, User
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.challenges.challenge_states import DEAL
from matchmaker.services.challenges.deals import (
    complete_if_done,
    notify_parties,
    require_active,
    require_client,
)
from matchmaker.services.errors import InvalidTransition, ValidationFailed
from matchmaker.services.platform.audit import record_audit

TRIAL_REMIND_DAYS = 14


def end_trial(
    *,
    actor: User,
    deal: Deal,
    outcome: str,
    new_end: date | None = None,
    now: datetime | None = None,
) -> None:
    """End a 先使用后付费 trial: pay (the deal goes on / completes), return, or extend."""
    require_client(actor, deal)
    require_active(deal)
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
    ends = deal.trial_end.isoformat() if deal.trial_end else None
    record_audit(
        actor=actor,
        action=f"deal.trial_{parsed}",
        object_type="deal",
        object_id=deal.id,
        before=before,
        after={"outcome": str(parsed), "trial_end": ends},
    )
    if parsed == TrialOutcome.RETURN:
        DEAL.step(deal, "return", actor=actor)
        deal.closed_at = now
    notify_parties(deal, "trial.ended", outcome_code=str(parsed), end=ends)  # label when shown
    if parsed == TrialOutcome.PAY:
        complete_if_done(actor, deal, now)


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
                notify_parties(deal, "trial.overdue", end=deal.trial_end.isoformat())
                counts["trial_overdue"] += 1
        elif deal.trial_reminded_at is None:
            deal.trial_reminded_at = now
            notify_parties(deal, "trial.ending", end=deal.trial_end.isoformat())
            counts["trial_reminded"] += 1
    db.session.flush()
    return counts
