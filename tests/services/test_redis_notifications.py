"""The recommender's change notifications through Redis (services/matching.py engine, kv
stamps): a worker checks one Redis key instead of the database while nothing changed, and a
rebuild or a publication committed by another instance reaches it at its next check; with
Redis down it reads the database as before."""

from __future__ import annotations

from matchmaker.extensions import db as _db
from matchmaker.services import matching
from tests.services.test_listings import listed
from tests.services.test_redis_apps import (  # noqa: F401 - the shared fixtures
    DOWN_URL,
    count_statements,
    make_app,
    needs_redis,
    redis_prefix,
)

INDEX_TABLES = ("recommender_state", "index_changes")


def index_reads(statements) -> list[str]:
    return [s for table in INDEX_TABLES for s in statements.touching(table)]


@needs_redis
def test_a_worker_reads_the_database_only_after_a_change(make_app, fields):  # noqa: F811
    writer, worker = make_app(), make_app()
    with worker.app_context():
        matching.engine()  # the first check loads the index
        statements = count_statements(worker)
        for _ in range(5):  # RECOMMENDER_CHECK_SECONDS is 0 in tests: every call checks
            matching.engine()
        assert index_reads(statements) == []
    with writer.app_context():
        state = matching.rebuild_index()
        generation = state.generation
        _db.session.commit()
    with worker.app_context():
        matching.engine()
        assert index_reads(statements) != []
        assert matching._holder().generation == generation
        statements.seen.clear()
        matching.engine()
        assert index_reads(statements) == []
    with writer.app_context():
        from tests.factories import make_user

        admin, owner = make_user("admin"), make_user("university")
        result = listed("result", fields, owner, admin, title="换热器强化传热管技术")
        _db.session.commit()
        doc = matching.doc_id("result", result.id)
    with worker.app_context():
        assert doc in matching.engine()  # the publication replayed into the side index
        assert index_reads(statements) != []


def test_with_redis_down_every_check_reads_the_database(make_app):  # noqa: F811
    worker = make_app(DOWN_URL)
    with worker.app_context():
        matching.engine()
        statements = count_statements(worker)
        matching.engine()
        matching.engine()
        assert len(statements.touching("recommender_state")) == 2
