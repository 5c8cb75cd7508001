"""Time the 对接 funnel's two reads at a million events: a month of the platform's funnel per
field (admin dashboard) and one listing's funnel (owner's panel), and show the query plans.

Usage: python benchmarks/funnel_bench.py [--events 1000000] [--url postgresql+psycopg://...]
Without --url (or MATCHMAKER_TEST_DATABASE_URL) it uses a SQLite file in a temporary folder.
On PostgreSQL everything happens in a scratch schema `funnel_bench`, dropped at the end, so the
database's own tables are never touched.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from matchmaker import create_app
from matchmaker.config import DevelopmentConfig
from matchmaker.extensions import db
from matchmaker.models import Base, TechField
from matchmaker.models.enquiry import FunnelEvent, FunnelStep
from matchmaker.services.connect import funnel

SCHEMA = "funnel_bench"
FIELDS = 20
LISTINGS = 5_000
YEAR = 2025
#: How often each step occurs (views dominate; accepted deals are rare).
STEP_WEIGHTS = {
    FunnelStep.VIEW: 60,
    FunnelStep.IMPRESSION: 30,
    FunnelStep.CLICK: 6,
    FunnelStep.ENQUIRY: 2.5,
    FunnelStep.ACCEPTED: 1,
    FunnelStep.DEAL: 0.4,
    FunnelStep.DEAL_ACCEPTED: 0.1,
}
BATCH = 20_000


def _rows(n: int, field_ids: list[int], rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """n distinct events over the year, in batches."""
    steps, weights = list(STEP_WEIGHTS), list(STEP_WEIGHTS.values())
    start = date(YEAR, 1, 1)
    created = datetime(YEAR, 1, 1, tzinfo=UTC)
    batch: list[dict[str, Any]] = []
    for i in range(n):
        listing_id = rng.randrange(1, LISTINGS + 1)
        batch.append(
            {
                "step": rng.choices(steps, weights)[0].value,
                "listing_kind": "result" if listing_id % 2 else "need",
                "listing_id": listing_id,
                "field_id": field_ids[listing_id % len(field_ids)],
                "owner_org_id": None,
                "actor_org_id": None,
                "visitor": f"{i:064x}",
                "day": start + timedelta(days=rng.randrange(365)),
                "created_at": created,
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(n: int) -> None:
    """Create the tables and insert the fields and n funnel events."""
    Base.metadata.create_all(db.engine)
    field_ids = []
    for k in range(FIELDS):
        field = TechField(code=f"bench{k}", name=f"领域{k}", name_en=f"Field {k}", position=k)
        db.session.add(field)
        db.session.flush()
        field_ids.append(field.id)
    db.session.commit()
    rng = random.Random(12)  # noqa: S311 - synthetic data
    started = time.perf_counter()
    with db.engine.begin() as conn:
        for batch in _rows(n, field_ids, rng):
            conn.execute(sa.insert(FunnelEvent), batch)
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM ANALYZE funnel_events")
            )
        else:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    print(f"inserted {n:,} events in {time.perf_counter() - started:.1f} s")


def timed(label: str, call: Callable[[], object], repeat: int = 7) -> float:
    """Median wall time in milliseconds of a call (after one warm-up)."""
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    median = statistics.median(times)
    print(f"{label:<46} median {median:8.1f} ms  (min {min(times):.1f}, max {max(times):.1f})")
    return median


def explain(label: str, stmt: sa.Select) -> None:
    """Print the database's plan for a statement, literal values bound in."""
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN" if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    rows = db.session.execute(sa.text(f"{prefix} {sql}")).all()
    print(f"-- plan: {label}")
    for row in rows:
        print("   ", row[-1])


class _Listing:
    """Just enough of a listing for listing_funnel."""

    def __init__(self, kind: str, listing_id: int) -> None:
        self.KIND = kind
        self.id = listing_id


def measure() -> None:
    """Time and explain the two reads."""
    month = (date(YEAR, 6, 1), date(YEAR, 6, 30))
    field_id = db.session.scalar(sa.select(sa.func.min(TechField.id)))
    rows = funnel.platform_funnel(start=month[0], end=month[1])
    total = sum(sum(r.counts.values()) for r in rows)
    print(f"June: {len(rows)} (month, field) rows, {total:,} events")
    busiest = db.session.execute(
        sa.select(FunnelEvent.listing_kind, FunnelEvent.listing_id, sa.func.count())
        .group_by(FunnelEvent.listing_kind, FunnelEvent.listing_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).one()
    listing = _Listing(busiest[0], busiest[1])
    print(f"busiest listing: {busiest[0]}:{busiest[1]} with {busiest[2]} events")
    timed(
        "platform_funnel, one month, every field",
        lambda: funnel.platform_funnel(start=month[0], end=month[1]),
    )
    timed(
        "platform_funnel, one month, one field",
        lambda: funnel.platform_funnel(start=month[0], end=month[1], field_id=field_id),
    )
    timed(
        "platform_funnel, twelve months",
        lambda: funnel.platform_funnel(start=date(YEAR, 1, 1), end=date(YEAR, 12, 31)),
    )
    timed("listing_funnel, busiest listing", lambda: funnel.listing_funnel(listing))  # type: ignore[arg-type]
    explain("platform_funnel, one month", funnel.platform_query(start=month[0], end=month[1]))
    explain(
        "platform_funnel, one month, one field",
        funnel.platform_query(start=month[0], end=month[1], field_id=field_id),
    )
    explain("listing_funnel", funnel.listing_query(listing.KIND, listing.id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--url", default=os.environ.get("MATCHMAKER_TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        options: dict[str, Any] = {}
        url = args.url or f"sqlite:///{tmp}/funnel.sqlite3"
        postgres = url.startswith("postgresql")
        if postgres:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
                conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
            engine.dispose()
            options = {"connect_args": {"options": f"-csearch_path={SCHEMA}"}}
        app = create_app(
            DevelopmentConfig,
            instance_path=tmp,
            SQLALCHEMY_DATABASE_URI=url,
            SQLALCHEMY_ENGINE_OPTIONS=options,
            SECRET_KEY="funnel-bench",  # noqa: S106 - a throwaway database
        )
        try:
            with app.app_context():
                version = (
                    db.session.scalar(sa.text("SELECT version()"))
                    if postgres
                    else f"SQLite {sqlite3.sqlite_version}"
                )
                db.session.rollback()
                print(f"database: {version}")
                fill(args.events)
                measure()
                db.session.remove()
                db.engine.dispose()
        finally:
            if postgres:
                engine = sa.create_engine(url)
                with engine.begin() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
                engine.dispose()


if __name__ == "__main__":
    main()
