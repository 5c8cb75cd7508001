"""Publishing: the approved version of a listing as its public row, and what a detail page shows.

Browsing, search and facets over these rows live in services/market/browsing.py.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import Listing, Publication, Result
from matchmaker.models.base import utcnow
from matchmaker.services import matching
from matchmaker.services.market.browsing import (
    FACET_CACHE,
    FACET_TTL,
    han_pairs,
    searchable_text,
    visible,
)
from matchmaker.services.platform import cache


# --- writing ----------------------------------------------------------------------------------
def _public_data(listing: Listing) -> dict[str, Any]:
    common = {
        "keywords": listing.keyword_list,
        "attachment_ids": [a.id for a in listing.attachments],
    }
    if isinstance(listing, Result):
        return {
            **common,
            "description": listing.description,
            "patents": list(listing.patents or []),
            "software_copyrights": list(listing.software_copyrights or []),
            "trial_terms": listing.trial_terms,
            "team": listing.team,
        }
    return {
        **common,
        "description": listing.description,
        "targets": listing.targets,
        "existing_base": listing.existing_base,
    }


def publish(listing: Listing, *, now: datetime | None = None) -> Publication:
    """Write the listing's current version as its public version."""
    now = now or utcnow()
    head, text = searchable_text(listing)
    data = _public_data(listing)  # reads relationships: before the new row joins the session
    pub = listing.publication or Publication(
        kind=listing.KIND, published_at=listing.published_at or now
    )
    with db.session.no_autoflush:
        pub.organisation_id = listing.organisation_id
        pub.field_id = listing.field_id
        pub.title = listing.title
        pub.summary = listing.summary[:500]
        pub.keywords = listing.keywords
        pub.region = listing.region
        pub.search_head = head
        pub.search_text = text
        pub.search_pairs = han_pairs(text)
        pub.data = data
        pub.approved_at = now
        pub.expires_at = listing.expires_at
        if isinstance(listing, Result):
            pub.trl, pub.modes, pub.amount_wan, pub.deadline = (
                listing.trl,
                listing.modes,
                listing.price_wan,
                None,
            )
        else:
            budget = listing.budget_wan or Decimal(0)
            pub.trl, pub.modes, pub.amount_wan, pub.deadline = (
                None,
                0,
                budget if budget > 0 else None,
                listing.deadline,
            )
        listing.publication = pub
    db.session.flush()
    matching.record_change(listing.KIND, listing.id, "upsert")
    return pub


def unpublish(listing: Listing) -> None:
    """Remove the listing from the public lists."""
    if listing.publication is not None:
        db.session.delete(listing.publication)
        listing.publication = None
        db.session.flush()
        matching.record_change(listing.KIND, listing.id, "remove")


# --- reading ----------------------------------------------------------------------------------
def public_publication(
    kind: str, listing_id: int, *, now: datetime | None = None
) -> Publication | None:
    """The public version of a listing, if it is on the public lists."""
    now = now or utcnow()
    column = Publication.result_id if kind == "result" else Publication.need_id
    return db.session.scalar(
        sa.select(Publication).where(column == listing_id, *visible(kind, now))
    )


def organisation_publications(
    organisation_id: int, *, now: datetime | None = None
) -> list[Publication]:
    """An organisation's public results and needs, newest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(Publication)
            .where(
                Publication.organisation_id == organisation_id,
                sa.or_(Publication.expires_at.is_(None), Publication.expires_at > now),
            )
            .order_by(Publication.kind, Publication.approved_at.desc())
        )
    )


def publication_counts() -> dict[str, int]:
    """How many results and needs are on the public lists now (the home page's figures), kept
    with the facet counts in the shared cache: one count of every publication otherwise."""
    return cache.cached(FACET_CACHE, "publication_counts", _count_publications, FACET_TTL)


def _count_publications() -> dict[str, int]:
    now = utcnow()
    rows = db.session.execute(
        sa.select(Publication.kind, sa.func.count())
        .where(sa.or_(Publication.expires_at.is_(None), Publication.expires_at > now))
        .group_by(Publication.kind)
    ).tuples()
    return {"result": 0, "need": 0, **dict(rows.all())}


def detail_view(listing: Listing, pub: Publication | None) -> dict[str, Any]:
    """What a detail page shows: the public version when given, else the working copy."""
    if pub is None:
        view: dict[str, Any] = {
            "title": listing.title,
            "summary": listing.summary,
            "keywords": listing.keyword_list,
            "field": listing.field,
            "region": listing.region,
            "attachments": list(listing.attachments),
            "description": listing.description,
            "approved_at": None,
        }
        if isinstance(listing, Result):
            view.update(
                trl=listing.trl,
                modes=listing.modes,
                amount=listing.price_wan,
                patents=listing.patents or [],
                software_copyrights=listing.software_copyrights or [],
                trial_terms=listing.trial_terms,
                team=listing.team,
            )
        else:
            budget = listing.budget_wan or Decimal(0)
            view.update(
                amount=budget if budget > 0 else None,
                deadline=listing.deadline,
                targets=listing.targets,
                existing_base=listing.existing_base,
            )
    else:
        data = pub.data or {}
        allowed = set(data.get("attachment_ids", []))
        view = {
            "title": pub.title,
            "summary": pub.summary,
            "keywords": data.get("keywords", []),
            "field": pub.field,
            "region": pub.region,
            "attachments": [a for a in listing.attachments if a.id in allowed],
            "description": data.get("description", ""),
            "approved_at": pub.approved_at,
            "trl": pub.trl,
            "modes": pub.modes,
            "amount": pub.amount_wan,
            "deadline": pub.deadline,
            "patents": data.get("patents", []),
            "software_copyrights": data.get("software_copyrights", []),
            "trial_terms": data.get("trial_terms", ""),
            "team": data.get("team", ""),
            "targets": data.get("targets", ""),
            "existing_base": data.get("existing_base", ""),
        }
    view.update(
        kind=listing.KIND,
        id=listing.id,
        organisation=listing.organisation,
        confirmed_at=listing.confirmed_at,
        expires_at=listing.expires_at,
        published_at=listing.published_at,
    )
    return view


DIFF_KEYS = (
    "title",
    "summary",
    "keywords",
    "field",
    "region",
    "description",
    "trl",
    "modes",
    "amount",
    "deadline",
    "patents",
    "software_copyrights",
    "trial_terms",
    "team",
    "targets",
    "existing_base",
    "attachments",
)


def changes_since_approval(listing: Listing) -> list[dict[str, Any]]:
    """Field-by-field differences between the approved public version and the working copy.

    Without a public version every filled-in field counts as new. Text fields carry a
    character-level diff (segments of equal / delete / insert) for the reviewer.
    """
    new = detail_view(listing, None)
    old = detail_view(listing, listing.publication) if listing.publication else {}
    changes = []
    for key in DIFF_KEYS:
        if key not in new:
            continue
        before, after = old.get(key), new.get(key)
        if key == "attachments":
            before = [a.original_name for a in before or []]
            after = [a.original_name for a in after or []]
        if key == "field":
            before = before.name if before is not None else None
            after = after.name if after is not None else None
        if (before or None) == (after or None):
            continue
        change: dict[str, Any] = {"key": key, "before": before, "after": after, "segments": None}
        if isinstance(before, str) and isinstance(after, str):
            change["segments"] = text_diff(before, after)
        changes.append(change)
    return changes


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Character-level diff segments: ('equal' | 'delete' | 'insert', text)."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    segments: list[tuple[str, str]] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", before[a0:a1]))
        if op in ("delete", "replace"):
            segments.append(("delete", before[a0:a1]))
        if op in ("insert", "replace"):
            segments.append(("insert", after[b0:b1]))
    return segments


def latest(kind: str, *, limit: int = 6) -> list[Publication]:
    """The most recently approved public listings of a kind."""
    stmt = (
        sa.select(Publication)
        .where(*visible(kind, utcnow()))
        .options(selectinload(Publication.organisation), selectinload(Publication.field))
        .order_by(Publication.approved_at.desc(), Publication.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
