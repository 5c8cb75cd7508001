"""Users' judgments of recommendations: stored, counted, exported as evaluation judgments."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Listing, RecommendationFeedback, User, listing_model
from matchmaker.models.base import utcnow
from matchmaker.permissions import can_view_listing
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.market.publication import public_publication
from matchmaker.services.matching import OTHER_SIDE


def record_feedback(
    *,
    actor: User,
    source: Listing,
    target_kind: str,
    target_id: int,
    useful: bool,
    reason: str | None = None,
) -> RecommendationFeedback:
    """Store (or change) a user's judgment of one recommendation."""
    if target_kind != OTHER_SIDE[source.KIND]:
        raise ValidationFailed({"target": "invalid target"})
    target = cast(Listing | None, db.session.get(listing_model(target_kind), target_id))
    # Only listings the actor may see: a foreign draft's id answers as a missing one (404).
    if target is None or not _visible(actor, target) or not _visible(actor, source):
        raise NotFound
    row = db.session.scalar(
        sa.select(RecommendationFeedback).where(
            RecommendationFeedback.user_id == actor.id,
            RecommendationFeedback.source_kind == source.KIND,
            RecommendationFeedback.source_id == source.id,
            RecommendationFeedback.target_kind == target_kind,
            RecommendationFeedback.target_id == target_id,
        )
    )
    if row is None:
        row = RecommendationFeedback(
            user_id=actor.id,
            source_kind=source.KIND,
            source_id=source.id,
            target_kind=target_kind,
            target_id=target_id,
            useful=useful,
        )
        db.session.add(row)
    else:
        row.updated_at = utcnow()
    row.useful = useful
    row.reason = (reason or "").strip()[:500] or None
    db.session.flush()
    return row


def _visible(actor: User, listing: Listing) -> bool:
    """Whether the listing is public, or its working copy is the actor's to see."""
    if public_publication(listing.KIND, listing.id) is not None:
        return True
    return can_view_listing(actor, listing)


def feedback_counts() -> dict[str, int]:
    """Useful / not useful totals for the admin dashboard."""
    rows = db.session.execute(
        sa.select(RecommendationFeedback.useful, sa.func.count()).group_by(
            RecommendationFeedback.useful
        )
    ).all()
    counts = {"useful": 0, "not_useful": 0}
    for useful, n in rows:
        counts["useful" if useful else "not_useful"] = n
    return counts


def feedback_judgments() -> str:
    """Every judgment as the evaluation's QRELS TSV: need_id, result_id, grade (1 useful, 0 not).

    Several users' votes on one pair are merged by majority (ties count as useful).
    """
    rows = db.session.execute(
        sa.select(
            RecommendationFeedback.source_kind,
            RecommendationFeedback.source_id,
            RecommendationFeedback.target_kind,
            RecommendationFeedback.target_id,
            RecommendationFeedback.useful,
        )
    ).all()
    votes: dict[tuple[str, str], list[bool]] = {}
    for source_kind, source_id, _target_kind, target_id, useful in rows:
        need, result = (
            (f"need:{source_id}", f"result:{target_id}")
            if source_kind == "need"
            else (f"need:{target_id}", f"result:{source_id}")
        )
        votes.setdefault((need, result), []).append(useful)
    lines = ["need_id\tresult_id\tgrade"]
    for (need, result), vs in sorted(votes.items()):
        grade = 1 if sum(vs) * 2 >= len(vs) else 0
        lines.append(f"{need}\t{result}\t{grade}")
    return "\n".join(lines) + "\n"
