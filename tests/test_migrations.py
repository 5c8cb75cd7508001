"""Migrations: an empty database upgrades to head and matches the models (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from matchmaker import ROOT, create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db
from matchmaker.models.base import POSTGRESQL_ONLY_INDEXES, include_object

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """A brand-new empty database of the kind the suite runs on."""
    url = os.environ.get("MATCHMAKER_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"mm_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_to_head_leaves_nothing_to_autogenerate(empty_database_url, tmp_path):
    app = create_app(
        TestConfig, instance_path=str(tmp_path), SQLALCHEMY_DATABASE_URI=empty_database_url
    )
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                    "include_object": include_object,  # the migrations' PostgreSQL-only indexes
                },
            )
            diff = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("publications")}
        if db.engine.dialect.name == "postgresql":  # search's trigram index (pg_trgm)
            assert indexes >= POSTGRESQL_ONLY_INDEXES
        else:
            assert not POSTGRESQL_ONLY_INDEXES & indexes
        assert diff == [], f"models and migrations differ: {diff}"
        assert {"organisations", "users", "audit_logs", "invitations"} <= tables
        downgrade(directory=MIGRATIONS, revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        db.session.remove()
        db.engine.dispose()


def _normalised(text: str) -> str:
    for mark in "()::,":
        text = text.replace(mark, " ")
    return " ".join(text.split()).lower()


def test_check_constraints_of_the_migrations_are_the_models(empty_database_url, tmp_path):
    """Autogenerate does not compare CHECK constraints: compare their text table by table."""
    app = create_app(
        TestConfig, instance_path=str(tmp_path), SQLALCHEMY_DATABASE_URI=empty_database_url
    )
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        inspector = sa.inspect(db.engine)
        for table in db.metadata.sorted_tables:
            expected = {
                str(c.name): _normalised(str(c.sqltext))
                for c in table.constraints
                if isinstance(c, sa.CheckConstraint)
                and not str(c.name).endswith(("status",))
                and isinstance(c.sqltext, sa.TextClause)
            }
            found = {
                c["name"]: _normalised(c["sqltext"])
                for c in inspector.get_check_constraints(table.name)
                if c["name"] in expected
            }
            assert set(found) == set(expected), table.name
            if db.engine.dialect.name == "sqlite":  # SQLite keeps the text as written
                assert found == expected, table.name
                continue
            for name, text in expected.items():  # PostgreSQL rewrites it: the same columns
                columns = {c.name for c in table.columns if f" {c.name} " in f" {text} "}
                missing = {c for c in columns if f" {c} " not in f" {found[name]} "}
                assert not missing, (table.name, name, missing)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.skipif(
    not (os.environ.get("MATCHMAKER_TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="the trigram indexes are PostgreSQL's (pg_trgm)",
)
def test_search_terms_read_the_trigram_indexes(empty_database_url, tmp_path):
    """The supermarket's search conditions are the indexed expressions: a term of two Chinese
    characters reads the index of the marked pairs, a longer one the text's trigram index (with
    sequential scans off, so that a table of a few rows still shows which index can serve)."""
    from matchmaker.models import Publication
    from matchmaker.services.market.browsing import BrowseFilter, term_conditions

    app = create_app(
        TestConfig, instance_path=str(tmp_path), SQLALCHEMY_DATABASE_URI=empty_database_url
    )
    with app.app_context():
        upgrade(directory=MIGRATIONS)

        def plan(q: str) -> str:
            terms = term_conditions(BrowseFilter(kind="result", q=q).cleaned())
            query = sa.select(Publication.id).where(*terms)
            with db.engine.connect() as conn:
                compiled = query.compile(conn)
                conn.exec_driver_sql("SET enable_seqscan = off")
                explained = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
                return "\n".join(explained.scalars())

        assert "ix_publications_search_pairs_trgm" in plan("光伏")
        assert "ix_publications_search_text_trgm" in plan("碳纤维")
        db.session.remove()
        db.engine.dispose()
