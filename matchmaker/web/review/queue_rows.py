"""The rows of the review queue: results, needs and challenges in one list, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import url_for

from matchmaker.models import Challenge, ExpertProfile, Listing

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class QueueRow:
    """One item waiting for review, as the queue shows it.

    `kind` is "result", "need" or "challenge"; `again` says the item was reviewed before (a
    listing's edit of published content, a challenge resubmitted after being sent back).
    """

    kind: str
    title: str
    organisation: str
    submitted_at: datetime | None
    url: str
    again: bool
    is_government: bool = False


def _listing_row(listing: Listing) -> QueueRow:
    return QueueRow(
        kind=listing.KIND,
        title=listing.title,
        organisation=listing.organisation.name,
        submitted_at=listing.submitted_at,
        url=url_for("review.show", kinds=listing.KIND + "s", listing_id=listing.id),
        again=listing.has_public_version,
    )


def _challenge_row(challenge: Challenge) -> QueueRow:
    return QueueRow(
        kind="challenge",
        title=challenge.need.title,
        organisation=challenge.need.organisation.name,
        submitted_at=challenge.submitted_at,
        url=url_for("review.show_challenge", challenge_id=challenge.id),
        again=challenge.review_reason_code is not None,
        is_government=challenge.is_government,
    )


def _expert_row(expert: ExpertProfile) -> QueueRow:
    return QueueRow(
        kind="expert",
        title=expert.name,
        organisation=expert.organisation.name,
        submitted_at=expert.submitted_at,
        url=url_for("talent.review_expert", expert_id=expert.id),
        again=expert.published_at is not None,
    )


def queue_rows(
    listings: list[Listing],
    challenges: list[Challenge],
    experts: list[ExpertProfile] | None = None,
) -> list[QueueRow]:
    """Listings, challenges and expert profiles waiting for review in one list, the oldest
    submission first."""
    rows = [_listing_row(x) for x in listings] + [_challenge_row(c) for c in challenges]
    rows += [_expert_row(e) for e in experts or []]
    return sorted(rows, key=lambda row: row.submitted_at or _EARLIEST)  # stable: kinds keep order
