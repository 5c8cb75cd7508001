"""The 对接 funnel, recorded by the platform itself: views, recommendation impressions and
clicks, enquiries, acceptances, deals and accepted deals; one row per step, listing, key and day."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from matchmaker.extensions import db
from matchmaker.models.base import CHINA, utcnow
from matchmaker.models.enquiry import FunnelEvent, FunnelStep
from matchmaker.models.expert import ExpertProfile
from matchmaker.models.listing import Listing
from matchmaker.models.publication import Publication
from matchmaker.models.taxonomy import TechField

#: Steps in funnel order (the order of panels, tables and chart series).
STEPS: tuple[FunnelStep, ...] = tuple(FunnelStep)

# Crawlers, link previewers and scripts: a view by them is not a person looking at a listing.
_BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|"
    r"curl|wget|python-requests|python-urllib|httpx|aiohttp|go-http-client|java/|okhttp|"
    r"libwww|scrapy|phantomjs|lighthouse|pagespeed",
    re.IGNORECASE,
)


def is_bot(user_agent: str | None) -> bool:
    """Whether a user agent is a crawler or a script (an empty one counts as a script)."""
    ua = (user_agent or "").strip()
    return not ua or _BOT_PATTERN.search(ua) is not None


def visitor_key(user_or_session_id: str) -> str:
    """A keyed hash (HMAC-SHA256 with SECRET_KEY) of a user id or an anonymous session id."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, user_or_session_id.encode(), hashlib.sha256).hexdigest()


def china_day(now: datetime | None = None) -> date:
    """The calendar day in China of a moment (default: now)."""
    return (now or utcnow()).astimezone(CHINA).date()


def _target(listing: Listing | ExpertProfile | Publication) -> dict[str, object]:
    """The listing columns of an event, from a listing (or an expert profile: the steps from
    enquiry on) or a listing's public version."""
    if isinstance(listing, Publication):
        return {
            "listing_kind": listing.kind,
            "listing_id": listing.listing_id,
            "field_id": listing.field_id,
            "owner_org_id": listing.organisation_id,
        }
    return {
        "listing_kind": listing.KIND,
        "listing_id": listing.id,
        "field_id": listing.field_id,
        "owner_org_id": listing.organisation_id,
    }


def record(
    step: FunnelStep,
    listing: Listing | ExpertProfile | Publication,
    *,
    key: str,
    actor_org_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Record one funnel step on a listing (or its public version); False if already recorded
    for that key and day.

    `key` is the visitor hash for views, impressions and clicks, and the object's key (e.g.
    "enquiry:12", "deal:3") for the other steps, so each counts once. Idempotent and safe under
    concurrent requests: the unique key absorbs a duplicate without failing the transaction.
    """
    values = {
        "step": step,
        **_target(listing),
        "actor_org_id": actor_org_id,
        "visitor": key[:64],
        "day": china_day(now),
        "created_at": now or utcnow(),
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(FunnelEvent).values(**values).on_conflict_do_nothing()
    # RETURNING tells "inserted" from "already there" on both databases (rowcount does not).
    return db.session.scalar(stmt.returning(FunnelEvent.id)) is not None


def record_many(
    step: FunnelStep,
    listings: Iterable[Listing | ExpertProfile | Publication],
    *,
    key: str,
    actor_org_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """`record` for several listings at once (the recommendation cards of a page): one
    statement, whatever the number of cards; duplicates are absorbed as in `record`."""
    record_targets(
        step, [target(listing) for listing in listings], key=key, actor_org_id=actor_org_id, now=now
    )


def target(listing: Listing | ExpertProfile | Publication) -> dict[str, Any]:
    """What an event records of its listing (kind, id, field, owner), as plain values: kept
    with a cached page (web/page_cache.py) and recorded again for each visitor it is served to."""
    return _target(listing)


def record_targets(
    step: FunnelStep,
    targets: Iterable[dict[str, Any]],
    *,
    key: str,
    actor_org_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """`record_many` from the plain values of `target`."""
    rows = [
        {
            "step": step,
            **{name: t[name] for name in _TARGET_COLUMNS},
            "actor_org_id": actor_org_id,
            "visitor": key[:64],
            "day": china_day(now),
            "created_at": now or utcnow(),
        }
        for t in targets
    ]
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(FunnelEvent).values(rows).on_conflict_do_nothing())


_TARGET_COLUMNS = ("listing_kind", "listing_id", "field_id", "owner_org_id")


def listing_query(kind: str, listing_id: int) -> sa.Select:
    """(step, count) of one listing, read from the (listing_kind, listing_id, step) index."""
    return (
        sa.select(FunnelEvent.step, sa.func.count())
        .where(FunnelEvent.listing_kind == kind, FunnelEvent.listing_id == listing_id)
        .group_by(FunnelEvent.step)
    )


def listing_funnel(listing: Listing) -> dict[str, int]:
    """A listing's funnel: the count of each step (every step present, 0 when none)."""
    counts = {step.value: 0 for step in STEPS}
    for step, count in db.session.execute(listing_query(listing.KIND, listing.id)):
        counts[FunnelStep(step).value] = count
    return counts


@dataclass
class FunnelRow:
    """The platform's funnel for one month ("YYYY-MM") and one field (None: unclassified)."""

    month: str
    field_id: int | None
    field_name: str
    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in STEPS})


def platform_query(*, start: date, end: date, field_id: int | None = None) -> sa.Select:
    """(day, step, field_id, count) over the days start..end.

    Grouped in the order of the (day, step, field_id) index, so the database reads that index
    alone (a covering range scan) and aggregates as it goes, with no sort; platform_funnel folds
    the days into months. (Grouping by a month expression instead needs a sort per query and
    measured 3-4 times slower on SQLite: docs/funnel.md.)
    """
    stmt = (
        sa.select(FunnelEvent.day, FunnelEvent.step, FunnelEvent.field_id, sa.func.count())
        .where(FunnelEvent.day >= start, FunnelEvent.day <= end)
        .group_by(FunnelEvent.day, FunnelEvent.step, FunnelEvent.field_id)
    )
    if field_id is not None:
        stmt = stmt.where(FunnelEvent.field_id == field_id)
    return stmt


def platform_funnel(*, start: date, end: date, field_id: int | None = None) -> list[FunnelRow]:
    """The funnel per month and field over the days start..end (inclusive), months in order."""
    names = dict(db.session.execute(sa.select(TechField.id, TechField.name)).tuples().all())
    rows: dict[tuple[str, int | None], FunnelRow] = {}
    stmt = platform_query(start=start, end=end, field_id=field_id)
    for day, step, fid, count in db.session.execute(stmt):
        month = f"{day.year:04d}-{day.month:02d}"
        row = rows.get((month, fid))
        if row is None:
            row = rows[(month, fid)] = FunnelRow(month, fid, names.get(fid, "") if fid else "")
        row.counts[str(step)] += count
    return sorted(rows.values(), key=lambda r: (r.month, r.field_name, r.field_id or 0))


def totals(rows: list[FunnelRow]) -> dict[str, int]:
    """The counts of every step summed over funnel rows."""
    counts = {step.value: 0 for step in STEPS}
    for row in rows:
        for step, count in row.counts.items():
            counts[step] += count
    return counts


@dataclass(frozen=True)
class Stage:
    """One bar of a funnel chart: a step, its count and its share of the largest step."""

    step: str
    count: int
    share: float


def stages(counts: dict[str, int]) -> list[Stage]:
    """A funnel's steps in order, with shares of the largest count for drawing bars."""
    top = max(counts.values(), default=0) or 1
    return [Stage(s.value, counts.get(s.value, 0), counts.get(s.value, 0) / top) for s in STEPS]
