"""Demo deals of challenges.json: recorded, then milestones, evidence, 验收 or rework, and end."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from matchmaker.models import AdoptionRequest, Application, Deal, MilestoneEvidence, User
from matchmaker.services.challenges import deals, trials

#: A tiny but well-formed PDF: milestone evidence is checked by content, like any upload.
EVIDENCE_PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
#: 技术合同登记号: registration region (长春市) + year + serial.
CONTRACT_REGION = "220101"


class DealPlayer:
    """Plays the deals of the demo challenges and adoption requests through the deals service."""

    def __init__(self, *, now: datetime, today: date) -> None:
        self.now = now
        self.today = today  # in China time
        self.evidence: list[MilestoneEvidence] = []
        self.count = 0

    def day(self, offset: int) -> date:
        """`offset` days from today."""
        return self.today + timedelta(days=offset)

    def terms(self, entry: dict[str, Any]) -> deals.DealTerms:
        """The terms of a deal entry (signed and trial dates relative to today)."""
        signed = self.day(-entry["signed_days_ago"])
        trial = "trial_start_days" in entry
        return deals.DealTerms(
            mode=entry["mode"],
            amount_wan=Decimal(str(entry["amount_wan"])),
            payment_form=entry["payment_form"],
            contract_number=f"{CONTRACT_REGION}{signed.year}{entry['contract_serial']}",
            signed_on=signed,
            trial_start=self.day(entry["trial_start_days"]) if trial else None,
            trial_end=self.day(entry["trial_end_days"]) if trial else None,
        )

    def play(
        self,
        client: User,
        entry: dict[str, Any],
        *,
        member: Callable[[str], User],
        application: Application | None = None,
        adoption: AdoptionRequest | None = None,
    ) -> Deal:
        """Record the deal, then its milestones, evidence, 验收 or rework, trial end and end."""
        deal = deals.record_deal(
            actor=client,
            terms=self.terms(entry),
            application=application,
            adoption=adoption,
        )
        self.count += 1
        provider = member(deal.provider.name)
        milestones = [
            deals.add_milestone(
                actor=client, deal=deal, title=m["title"], due_on=self.day(m["due_days"])
            )
            for m in entry["milestones"]
        ]
        for milestone, m in zip(milestones, entry["milestones"], strict=True):
            if m["state"] == "pending":
                continue
            self.evidence += deals.submit_milestone_evidence(
                actor=provider,
                milestone=milestone,
                files=[(io.BytesIO(EVIDENCE_PDF), name) for name in m["evidence"]],
                note=m["note"],
            )
            if m["state"] == "accepted":
                deals.accept_milestone(actor=client, milestone=milestone, now=self.now)
            elif m["state"] == "rework":
                deals.request_rework(actor=client, milestone=milestone, reason=m["rework_reason"])
        if "trial_outcome" in entry:
            trials.end_trial(actor=client, deal=deal, outcome=entry["trial_outcome"], now=self.now)
        if "terminate_reason" in entry:
            deals.terminate_deal(actor=client, deal=deal, reason=entry["terminate_reason"])
        return deal
