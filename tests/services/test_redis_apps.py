"""Redis (services/platform/kv.py): the fixtures the Redis tests share (more app instances on the
session's database, a Redis key prefix of their own), the stamps, and the rate limiter's settings.

These need a real Redis: `MATCHMAKER_TEST_REDIS_URL` (CI sets it; locally
`redis://127.0.0.1:6379/9`). Keys are written under a prefix unique to each test and deleted
after it, so the database number may be shared.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db as _db
from matchmaker.extensions import limiter
from matchmaker.services.platform import kv

REDIS_URL = os.environ.get("MATCHMAKER_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL,
    reason="needs a Redis: set MATCHMAKER_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/9)",
)
#: Nothing listens there: connections are refused at once.
DOWN_URL = "redis://127.0.0.1:1/0"

MakeApp = Callable[..., Flask]


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"mmtest-{uuid.uuid4().hex[:12]}"
    yield prefix
    if REDIS_URL:
        redis = Redis.from_url(REDIS_URL)
        keys = list(redis.scan_iter(f"{prefix}:*"))
        if keys:
            redis.delete(*keys)
        redis.close()


@pytest.fixture
def make_app(app: Flask, db: object, tmp_path: Path, redis_prefix: str) -> Iterator[MakeApp]:
    """make_app(url=REDIS_URL, **config) -> another instance of the application (another worker
    or host) on the session's database, with Redis at `url` under this test's prefix."""
    made: list[Flask] = []

    def make(url: str | None = REDIS_URL, **overrides: object) -> Flask:
        application = create_app(
            TestConfig,
            instance_path=str(tmp_path / f"instance-{len(made)}"),
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=url,
            REDIS_KEY_PREFIX=redis_prefix,
            **overrides,
        )
        made.append(application)
        return application

    yield make
    for application in made:  # before the session app wipes the tables (PostgreSQL TRUNCATE)
        with application.app_context():
            _db.session.remove()
            _db.engine.dispose()


class Statements:
    """The SQL statements an app's engine runs while counting."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _conn, _cursor, statement: str, *_args: object) -> None:
        self.seen.append(statement)

    def touching(self, table: str) -> list[str]:
        return [s for s in self.seen if table in s]


def count_statements(application: Flask) -> Statements:
    """Start counting the statements `application` runs (call inside its app context)."""
    statements = Statements()
    sa.event.listen(_db.engine, "before_cursor_execute", statements)
    return statements


# --- stamps ---------------------------------------------------------------------------------------
@needs_redis
def test_a_stamp_changes_only_after_the_commit_and_never_on_a_rollback(make_app):
    worker = make_app()
    with worker.app_context():
        first = kv.read_stamp("probe")
        assert first is not None and kv.read_stamp("probe") == first
        kv.bump_after_commit("probe")
        kv.bump_after_commit("probe")  # once per transaction
        assert kv.read_stamp("probe") == first  # not before the commit
        _db.session.commit()
        assert kv.read_stamp("probe") == first + 1
        _db.session.execute(sa.text("SELECT 1"))  # a transaction, as a change has
        kv.bump_after_commit("probe")
        _db.session.rollback()
        _db.session.commit()
        assert kv.read_stamp("probe") == first + 1


@needs_redis
def test_a_lost_stamp_comes_back_different_from_any_value_read_before(make_app, redis_prefix):
    worker = make_app()
    with worker.app_context():
        before = kv.read_stamp("probe")
        Redis.from_url(REDIS_URL).delete(f"{redis_prefix}:stamp:probe")  # Redis restarted
        after = kv.read_stamp("probe")
        assert after is not None and after != before


def test_without_redis_or_with_redis_down_a_stamp_is_unknown(app, make_app):
    for worker in (app, make_app(DOWN_URL)):  # the session's app has no REDIS_URL
        with worker.app_context():
            assert kv.read_stamp("probe") is None
            _db.session.execute(sa.text("SELECT 1"))
            kv.bump_after_commit("probe")
            _db.session.commit()  # nothing raised: the change is stored, the bump is lost
            assert kv.read_stamp("probe") is None


# --- the rate limiter's storage ---------------------------------------------------------------
def configured(**config: object) -> Flask:
    bare = Flask(__name__)
    bare.config.from_object(TestConfig)
    bare.config.update(config)
    kv.configure_rate_limits(bare)
    return bare


def test_redis_url_becomes_the_limit_storage_unless_one_is_set():
    shared = configured(REDIS_URL="redis://redis.example:6379/3")
    assert shared.config["RATELIMIT_STORAGE_URI"] == "redis://redis.example:6379/3"
    assert shared.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert shared.config["RATELIMIT_SWALLOW_ERRORS"] is True
    assert shared.config["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"] == kv.TIMEOUT
    explicit = configured(REDIS_URL="redis://a:6379/3", RATELIMIT_STORAGE_URI="redis://b:6379/1")
    assert explicit.config["RATELIMIT_STORAGE_URI"] == "redis://b:6379/1"
    assert configured(REDIS_URL="unix:///run/redis.sock").config["RATELIMIT_STORAGE_URI"] == (
        "redis+unix:///run/redis.sock"
    )
    assert configured().config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_each_app_counts_in_its_own_storage_whichever_was_initialised_last(app, make_app):
    shared = make_app("redis://redis.example:6379/3")
    with shared.app_context():
        assert type(limiter.storage).__name__ == "RedisStorage"
    with app.app_context():
        assert type(limiter.storage).__name__ == "MemoryStorage"


def test_production_with_memory_limits_warns_at_start(caplog):
    caplog.set_level(logging.WARNING, logger="matchmaker.redis")
    configured(ENV_NAME="production")
    assert [r for r in caplog.records if r.getMessage() == "ratelimit.memory_storage_in_production"]
    caplog.clear()
    configured(ENV_NAME="production", REDIS_URL="redis://redis.example:6379/0")
    configured(ENV_NAME="development")
    assert not [r for r in caplog.records if "memory_storage" in r.getMessage()]
