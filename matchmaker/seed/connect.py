"""Demo 对接 data (connect.json): enquiries and conversations in every state, and the funnel.

Each enquiry is played through the services in the order people would act: the sender writes
to the listing's owner, the owner asks for more information, declines or accepts, the two
sides exchange messages, record the contract ("登记合同") and close the conversation; or the
sender withdraws. Times are back-dated with the services' `now=`. The funnel gets listing
views (and, for enquiries that came from a recommendation, impressions and clicks) from a
fixed set of demo visitors, so a reload gives the same counts.
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
from matchmaker.models import Enquiry, FunnelStep, Listing, Need, Organisation, Result, User
from matchmaker.models.base import CHINA, utcnow
from matchmaker.models.enquiry import EnquiryStatus
from matchmaker.seed.deals import CONTRACT_REGION
from matchmaker.services.challenges import deals
from matchmaker.services.connect import conversations, enquiries, funnel

#: Every state a demo enquiry may end in (each one appears in connect.json); `proposed` is a
#: broker's introduction waiting for consent, seeded with the brokers (seed/brokers.py).
ENQUIRY_STATES = tuple(str(s) for s in EnquiryStatus if s != EnquiryStatus.PROPOSED)


def connect_data() -> dict[str, Any]:
    """The checked-in demo enquiries and conversations."""
    text = resources.files("matchmaker.seed").joinpath("connect.json").read_text("utf-8")
    return json.loads(text)


def load_connect(
    *, admin: User | None, echo: Any = print, now: datetime | None = None
) -> dict[str, int]:
    """Play the demo enquiries through the services; returns counts."""
    if admin is None:
        echo("  对接 skipped: the demo has no administrator")
        return {"enquiries": 0, "messages": 0, "enquiry_deals": 0, "funnel_events": 0}
    player = _Player(now=now or utcnow())
    data = connect_data()
    played = [player.enquiry(entry) for entry in data["enquiries"]]
    events = player.funnel(played, [entry["days_ago"] for entry in data["enquiries"]])
    states = Counter(str(e.status) for e in played)
    by_state = ", ".join(f"{s} {states[s]}" for s in ENQUIRY_STATES)
    echo(
        f"  对接: {len(played)} enquiries ({by_state}), {player.messages} messages, "
        f"{player.deals} deals; {events} funnel events"
    )
    return {
        "enquiries": len(played),
        "messages": player.messages,
        "enquiry_deals": player.deals,
        "funnel_events": events,
    }


class _Player:
    """Looks people and listings up once, then plays each enquiry's history."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.members: dict[int, User] = {}
        self.messages = 0
        self.deals = 0

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

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

    def organisation(self, name: str) -> Organisation:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
        if org is None:
            raise LookupError(f"unknown organisation {name!r} in connect.json")
        return org

    @staticmethod
    def listing(kind: str, title: str) -> Listing:
        listing: Listing | None = (
            db.session.scalar(sa.select(Result).where(Result.title == title))
            if kind == "result"
            else db.session.scalar(sa.select(Need).where(Need.title == title))
        )
        if listing is None:
            raise LookupError(f"unknown {kind} {title!r} in connect.json")
        return listing

    def enquiry(self, entry: dict[str, Any]) -> Enquiry:
        """Send the enquiry, then play what the two sides did, in order."""
        sender = self.member(self.organisation(entry["sender"]))
        listing = self.listing(entry["kind"], entry["listing"])
        owner = self.member(listing.organisation)
        side = {"sender": sender, "owner": owner}
        enquiry = enquiries.create_enquiry(
            actor=sender,
            kind=entry["kind"],
            listing_id=listing.id,
            data=enquiries.EnquiryData(
                intent=entry["intent"],
                message=entry["message"],
                nda_requested=entry["nda"],
                source=entry["source"],
            ),
            now=self.ago(entry["days_ago"]),
        )
        if "question" in entry:
            enquiries.ask_for_information(
                actor=owner,
                enquiry=enquiry,
                question=entry["question"],
                now=self.ago(entry["ask_days_ago"]),
            )
        if "answer" in entry:
            enquiries.provide_information(
                actor=sender,
                enquiry=enquiry,
                text=entry["answer"],
                now=self.ago(entry["answer_days_ago"]),
            )
            self.messages += 1
        if "decline_code" in entry:
            enquiries.decline_enquiry(
                actor=owner,
                enquiry=enquiry,
                code=entry["decline_code"],
                reason=entry["decline_reason"],
                now=self.ago(entry["decline_days_ago"]),
            )
        if "withdraw_days_ago" in entry:
            enquiries.withdraw_enquiry(actor=sender, enquiry=enquiry)
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
            self.messages += 1
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
            raise ValueError(f"{entry['listing']!r} ended {enquiry.status}, not {entry['state']}")
        return enquiry

    def deal(self, actor: User, enquiry: Enquiry, entry: dict[str, Any]) -> None:
        """登记合同 from the conversation."""
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
            ),
        )
        self.deals += 1

    def funnel(self, played: list[Enquiry], days_ago: list[int]) -> int:
        """Views of each enquired listing by a fixed set of visitors, from the day the enquiry
        was sent until today; impressions and clicks where it came from a recommendation."""
        recorded = 0
        for number, (enquiry, sent) in enumerate(zip(played, days_ago, strict=True)):
            listing = enquiry.listing
            steps = [(FunnelStep.VIEW, 6 + (number * 5) % 11)]
            if enquiry.source == "recommendation":
                steps += [(FunnelStep.IMPRESSION, 14 + number % 5), (FunnelStep.CLICK, 3)]
            for step, visitors in steps:
                for visitor in range(visitors):
                    recorded += funnel.record(
                        step,
                        listing,
                        key=funnel.visitor_key(f"demo-visitor-{visitor}"),
                        now=self.ago(visitor % (sent + 1)),
                    )
        return recorded
