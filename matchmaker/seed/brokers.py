"""Demo 技术经纪人 (brokers.json): two brokers, the needs they follow, their introductions in
every state, and enterprises' enquiries to experts.

Played through the services in the order people would act: a broker registers and the admin
verifies its licence; the admin assigns needs to one broker, the other claims them; the broker
proposes an introduction, the need's owner consents or refuses, the result's or expert's owner
asks, declines or accepts, the two sides talk, record the contract (with the broker's fee) and
close the conversation. Times are back-dated with the services' `now=`; the moments the
services stamp themselves (registration, verification, following since) are back-dated on the
rows afterwards, so the broker pages read in a plausible order.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    BrokerProfile,
    Enquiry,
    EnquiryStatus,
    ExpertProfile,
    Need,
    Organisation,
    Result,
    User,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.seed.deals import CONTRACT_REGION
from matchmaker.services.accounts import email_verification
from matchmaker.services.accounts.accounts import PersonData
from matchmaker.services.challenges import deals
from matchmaker.services.connect import conversations, enquiries, introductions
from matchmaker.services.talent import broker_assignments, brokers

#: Every state a demo introduction may end in (each one appears in brokers.json).
INTRODUCTION_STATES = tuple(str(s) for s in EnquiryStatus)


def brokers_data() -> dict[str, Any]:
    """The checked-in demo brokers, introductions and enquiries to experts."""
    text = resources.files("matchmaker.seed").joinpath("brokers.json").read_text("utf-8")
    return json.loads(text)


def load_brokers(
    *, admin: User | None, password: str, echo: Any = print, now: datetime | None = None
) -> dict[str, int]:
    """Register and verify the demo brokers and play their work through the services."""
    if admin is None:
        echo("  brokers skipped: the demo has no administrator")
        return {
            "brokers": 0,
            "broker_assignments": 0,
            "introductions": 0,
            "expert_enquiries": 0,
            "broker_deals": 0,
        }
    player = _Player(admin=admin, now=now or utcnow())
    data = brokers_data()
    profiles = {entry["key"]: player.broker(entry, password) for entry in data["brokers"]}
    followed = sum(player.follow(profiles[e["key"]], e["follows"]) for e in data["brokers"])
    played = [player.introduction(profiles[e["broker"]], e) for e in data["introductions"]]
    asked = [player.expert_enquiry(entry) for entry in data["expert_enquiries"]]
    states = Counter(str(e.status) for e in played)
    by_state = ", ".join(f"{s} {states[s]}" for s in INTRODUCTION_STATES if states[s])
    echo(
        f"  brokers: {len(profiles)} verified, following {followed} needs; "
        f"{len(played)} introductions ({by_state}), {player.deals} deal; "
        f"{len(asked)} enquiries to experts"
    )
    return {
        "brokers": len(profiles),
        "broker_assignments": followed,
        "introductions": len(played),
        "expert_enquiries": len(asked),
        "broker_deals": player.deals,
    }


class _Player:
    """Looks people, needs and targets up, then plays each broker's and enquiry's history."""

    def __init__(self, *, admin: User, now: datetime) -> None:
        self.admin = admin
        self.now = now
        self.members: dict[int, User] = {}
        self.deals = 0

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    # --- lookups ------------------------------------------------------------------------------
    def member(self, org: Organisation) -> User:
        """The organisation's first member (the one who registered it)."""
        if org.id not in self.members:
            user = db.session.scalar(
                sa.select(User).where(User.organisation_id == org.id).order_by(User.id).limit(1)
            )
            if user is None:
                raise LookupError(f"demo organisation {org.name!r} has no members")
            self.members[org.id] = user
        return self.members[org.id]

    @staticmethod
    def organisation(name: str) -> Organisation:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
        if org is None:
            raise LookupError(f"unknown organisation {name!r} in brokers.json")
        return org

    @staticmethod
    def need(title: str) -> Need:
        need = db.session.scalar(sa.select(Need).where(Need.title == title))
        if need is None:
            raise LookupError(f"unknown need {title!r} in brokers.json")
        return need

    def expert(self, name: str, org_name: str) -> ExpertProfile:
        org = self.organisation(org_name)
        expert = db.session.scalar(
            sa.select(ExpertProfile)
            .where(ExpertProfile.name == name, ExpertProfile.organisation_id == org.id)
            .order_by(ExpertProfile.id)
            .limit(1)
        )
        if expert is None:
            raise LookupError(f"unknown expert {name!r} of {org_name!r} in brokers.json")
        return expert

    def target_id(self, entry: dict[str, Any]) -> int:
        if entry["target_kind"] == "expert":
            return self.expert(entry["target"], entry["target_org"]).id
        result_id = db.session.scalar(sa.select(Result.id).where(Result.title == entry["target"]))
        if result_id is None:
            raise LookupError(f"unknown result {entry['target']!r} in brokers.json")
        return result_id

    # --- brokers ------------------------------------------------------------------------------
    def broker(self, entry: dict[str, Any], password: str) -> BrokerProfile:
        """Register the broker, confirm its address, and have the admin verify its licence."""
        user = brokers.register_broker(
            person=PersonData(
                name=entry["name"], email=entry["email"], password=password, phone=entry["phone"]
            ),
            broker=brokers.BrokerData(
                licence_number=entry["licence_number"],
                issuing_body=entry["issuing_body"],
                organisation=entry["organisation"],
                fields_text=entry["fields_text"],
                biography=entry["biography"],
            ),
        )
        email_verification.mark_email_verified(user)  # demo addresses receive no mail
        profile = brokers.broker_of(user)
        assert profile is not None  # register_broker always creates it
        brokers.verify_broker(actor=self.admin, broker=profile)
        profile.created_at = self.ago(entry["registered_days_ago"])
        profile.verified_at = self.ago(entry["verified_days_ago"])
        return profile

    def follow(self, broker: BrokerProfile, follows: list[dict[str, Any]]) -> int:
        """The admin assigns the needs, or the broker claims them."""
        for entry in follows:
            need = self.need(entry["need"])
            if entry["how"] == "assigned":
                assignment = broker_assignments.assign_need(
                    actor=self.admin, broker=broker, need_id=need.id
                )
            else:
                assignment = broker_assignments.claim_need(actor=broker.user, need_id=need.id)
            assignment.created_at = self.ago(entry["days_ago"])
        return len(follows)

    # --- introductions ------------------------------------------------------------------------
    def introduction(self, broker: BrokerProfile, entry: dict[str, Any]) -> Enquiry:
        """Propose, then play what the need owner and the target's owner did, in order."""
        need = self.need(entry["need"])
        enquiry = introductions.propose_introduction(
            actor=broker.user,
            need=need,
            data=introductions.IntroductionData(
                target_kind=entry["target_kind"],
                target_id=self.target_id(entry),
                intent=entry["intent"],
                note=entry["note"],
            ),
            now=self.ago(entry["days_ago"]),
        )
        sender = self.member(need.organisation)
        if "refuse_reason" in entry:
            introductions.refuse_introduction(
                actor=sender, enquiry=enquiry, reason=entry["refuse_reason"]
            )
        if "consent_days_ago" in entry:
            introductions.consent_introduction(
                actor=sender, enquiry=enquiry, now=self.ago(entry["consent_days_ago"])
            )
        return self.answers(enquiry, sender, entry)

    def expert_enquiry(self, entry: dict[str, Any]) -> Enquiry:
        """An enterprise writes to an expert; the expert's organisation answers."""
        sender = self.member(self.organisation(entry["sender"]))
        expert = self.expert(entry["expert"], entry["expert_org"])
        enquiry = enquiries.create_enquiry(
            actor=sender,
            kind="expert",
            listing_id=expert.id,
            data=enquiries.EnquiryData(
                intent=entry["intent"], message=entry["message"], nda_requested=entry["nda"]
            ),
            now=self.ago(entry["days_ago"]),
        )
        return self.answers(enquiry, sender, entry)

    def answers(self, enquiry: Enquiry, sender: User, entry: dict[str, Any]) -> Enquiry:
        """The target owner's answer, the conversation, the deal and the close."""
        owner = self.member(enquiry.owner_org)
        side = {"sender": sender, "owner": owner}
        if "question" in entry:
            enquiries.ask_for_information(
                actor=owner,
                enquiry=enquiry,
                question=entry["question"],
                now=self.ago(entry["ask_days_ago"]),
            )
        if "decline_code" in entry:
            enquiries.decline_enquiry(
                actor=owner,
                enquiry=enquiry,
                code=entry["decline_code"],
                reason=entry["decline_reason"],
                now=self.ago(entry["decline_days_ago"]),
            )
        if "accept_days_ago" in entry:
            enquiries.accept_enquiry(
                actor=owner, enquiry=enquiry, now=self.ago(entry["accept_days_ago"])
            )
        for message in entry.get("messages", []):
            conversations.post_message(
                actor=side[message["from"]],
                enquiry=enquiry,
                body=message["body"],
                now=self.ago(message["days_ago"]),
            )
        if "deal" in entry:
            self.deal(side[entry["deal"]["by"]], enquiry, entry["deal"])
        if "outcome" in entry:
            conversations.close_conversation(
                actor=side[entry["close_by"]],
                enquiry=enquiry,
                outcome=entry["outcome"],
                reason=entry["outcome_reason"],
                now=self.ago(entry["close_days_ago"]),
            )
        if str(enquiry.status) != entry["state"]:
            target = entry.get("target") or entry.get("expert")
            raise ValueError(f"{target!r} ended {enquiry.status}, not {entry['state']}")
        return enquiry

    def deal(self, actor: User, enquiry: Enquiry, entry: dict[str, Any]) -> None:
        """登记合同 from the conversation, with the broker's fee."""
        signed = self.ago(entry["signed_days_ago"]).astimezone(CHINA).date()
        deals.record_deal(
            actor=actor,
            enquiry=enquiry,
            terms=deals.DealTerms(
                mode=entry["mode"],
                amount_wan=Decimal(str(entry["amount_wan"])),
                payment_form=entry["payment_form"],
                contract_number=f"{CONTRACT_REGION}{signed.year}{entry['contract_serial']}",
                signed_on=signed,
                broker_fee_wan=Decimal(str(entry["broker_fee_wan"])),
            ),
        )
        self.deals += 1
