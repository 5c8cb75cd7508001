"""The shared cache (services/platform/cache.py): a miss computes and stores, a hit does not
compute, an invalidation (after the commit, never on a rollback) computes anew, and without
Redis or with Redis down every call computes (fail-open). The bureau's figures go through it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db as _db
from matchmaker.services.bureau import figures
from matchmaker.services.platform import cache
from tests.services.test_redis_apps import (  # noqa: F401 - the shared fixtures
    DOWN_URL,
    make_app,
    needs_redis,
    redis_prefix,
)


class Counter:
    def __init__(self, value: object) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_stored_values_come_back_with_their_types():
    value = {
        "tuple": (1, "a"),
        "money": Decimal("12.50"),
        "day": date(2026, 1, 31),
        "at": datetime(2026, 1, 31, 8, 30),
        "int keys": {1: [("x", 2)]},
        "none": None,
    }
    assert cache.loads(cache.dumps(value)) == value


@needs_redis
def test_a_hit_does_not_compute_and_an_invalidation_after_the_commit_does(make_app):  # noqa: F811
    worker = make_app()
    with worker.app_context():
        compute = Counter({"n": Decimal("1.5")})
        assert cache.cached("probe", "k", compute, 60) == {"n": Decimal("1.5")}
        assert cache.cached("probe", "k", compute, 60) == {"n": Decimal("1.5")}
        assert compute.calls == 1
        assert cache.cached("probe", "other key", compute, 60) and compute.calls == 2
        _db.session.execute(sa.text("SELECT 1"))
        cache.invalidate_after_commit("probe")
        _db.session.rollback()  # the change was not stored: the answers stand
        cache.cached("probe", "k", compute, 60)
        assert compute.calls == 2
        _db.session.execute(sa.text("SELECT 1"))
        cache.invalidate_after_commit("probe")
        cache.cached("probe", "k", compute, 60)
        assert compute.calls == 2  # not before the commit
        _db.session.commit()
        cache.cached("probe", "k", compute, 60)
        assert compute.calls == 3
        cache.invalidate("probe")
        cache.cached("probe", "k", compute, 60)
        assert compute.calls == 4


@needs_redis
def test_two_instances_share_answers_and_invalidations(make_app):  # noqa: F811
    one, two = make_app(), make_app()
    compute = Counter([1, 2])
    with one.app_context():
        cache.cached("probe", "k", compute, 60)
    with two.app_context():
        assert cache.cached("probe", "k", compute, 60) == [1, 2] and compute.calls == 1
        cache.invalidate("probe")
    with one.app_context():
        cache.cached("probe", "k", compute, 60)
    assert compute.calls == 2


@pytest.mark.parametrize("url", [None, DOWN_URL], ids=["no redis", "redis down"])
def test_without_redis_every_call_computes(make_app, url):  # noqa: F811
    worker = make_app(url)
    with worker.app_context():
        compute = Counter(7)
        assert [cache.cached("probe", "k", compute, 60) for _ in range(3)] == [7, 7, 7]
        assert compute.calls == 3
        cache.invalidate("probe")  # nothing raised


@needs_redis
def test_bureau_figures_are_cached_per_filter_and_language(make_app, monkeypatch):  # noqa: F811
    calls: list[figures.Filters] = []

    def probe(filters: figures.Filters) -> figures.Table:
        calls.append(filters)
        return figures.Table(
            name="probe",
            title="测试",
            columns=[figures.Column("month", "月份", "month"), figures.Column("n", "数量")],
            rows=[{"month": "2026-01", "n": 3, "amount": Decimal("2.5")}],
            drill=[{"n": {"month": "2026-01"}}],
        )

    figures._load()
    monkeypatch.setitem(figures._FIGURES, "probe", probe)
    worker = make_app()
    january = figures.Filters(date(2026, 1, 1), date(2026, 1, 31))
    with worker.test_request_context("/"):
        first = figures.compute("probe", january)
        again = figures.compute("probe", january)
        assert len(calls) == 1
        assert again == first and isinstance(again.columns[0], figures.Column)
        assert again.rows[0]["amount"] == Decimal("2.5")
        figures.compute("probe", figures.Filters(date(2026, 1, 1), date(2026, 2, 28)))
        assert len(calls) == 2
    with worker.test_request_context("/?lang=en", headers={"Accept-Language": "en"}):
        from flask_babel import force_locale

        with force_locale("en"):
            figures.compute("probe", january)
        assert len(calls) == 3
