"""Shared fixtures: app, db, client, runner, login_as, mail outbox; SQLite or PostgreSQL."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db as _db
from matchmaker.extensions import limiter
from matchmaker.models import Base, User
from tests.factories import make_user
from tests.smtp import deliver_mail


def _database_of_this_worker() -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its own PostgreSQL
    database, `<name>_gw0`, `<name>_gw1`, ..., created when missing: every test empties the
    tables it used, so two workers must never share one. Set in the environment before any
    test module reads it, so the browser tests' live servers, the backup and migration tests
    and the two-server check name their own databases after the worker's. SQLite needs
    nothing: each worker's database is a file in its own temporary folder."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("MATCHMAKER_TEST_DATABASE_URL", "")
    if not worker or not url.startswith("postgresql"):
        return
    parsed = sa.make_url(url)
    if (parsed.database or "").endswith(f"_{worker}"):
        return  # already this worker's (conftest imported again)
    name = f"{parsed.database}_{worker}"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ["MATCHMAKER_TEST_DATABASE_URL"] = parsed.set(database=name).render_as_string(
        hide_password=False
    )


_database_of_this_worker()
TEST_DATABASE_URL = os.environ.get("MATCHMAKER_TEST_DATABASE_URL")


def database_url(tmp_dir: Path) -> str:
    """PostgreSQL when MATCHMAKER_TEST_DATABASE_URL is set, else a SQLite file."""
    return TEST_DATABASE_URL or f"sqlite:///{tmp_dir / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One application for the session, with every table created."""
    tmp = tmp_path_factory.mktemp("instance")
    application = create_app(
        TestConfig, instance_path=str(tmp), SQLALCHEMY_DATABASE_URI=database_url(tmp)
    )
    with application.app_context():
        _db.drop_all()
        _db.create_all()
        yield application
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _postgresql_wipe() -> sa.TextClause:
    """One statement that empties every table and restarts the sequences that were used.

    DELETE, children first, rather than TRUNCATE: TRUNCATE gives each of the ~55 tables a new
    file, and the commit then waits for the old ones to be unlinked and the WAL synced, about
    1.5 s per test on a busy 2-core machine, where these DELETEs of a few rows take milliseconds.
    Ids restart as TRUNCATE ... RESTART IDENTITY did, but only for sequences read since their
    last restart (pg_sequences.last_value is NULL until then), with setval, which is cheap.
    """
    dialect = _db.engine.dialect
    deletes = "".join(
        f"{sa.delete(table).compile(dialect=dialect)};\n"
        for table in reversed(Base.metadata.sorted_tables)
    )
    return sa.text(
        "DO $wipe$ BEGIN\n"
        f"{deletes}"
        "PERFORM setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)\n"
        "  FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL;\n"
        "END $wipe$"
    )


def wipe_tables() -> None:
    """Empty every table quickly and restart ids (DELETE and setval on PostgreSQL)."""
    _db.session.rollback()
    if _db.engine.dialect.name == "postgresql":
        try:
            _db.session.execute(_postgresql_wipe())
        except sa.exc.DBAPIError:
            # A foreign-key cycle the DELETE order cannot satisfy: the slow, sure way.
            _db.session.rollback()
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            _db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(Base.metadata.sorted_tables):
            _db.session.execute(sa.delete(table))
    _db.session.commit()


@pytest.fixture
def db(app: Flask) -> Iterator[object]:
    """The database, emptied after each test."""
    yield _db
    _db.session.remove()
    wipe_tables()
    # Ids restart after a wipe: this worker's engine must not think it has seen them.
    app.extensions.pop("matchmaker_engine", None)


@pytest.fixture(autouse=True)
def _reset_limits(app: Flask) -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture(autouse=True)
def _fresh_request_state(app: Flask) -> None:
    """The session-wide app context shares `g`: forget the last test's user and locale."""
    from flask import g
    from flask_babel import refresh

    g.pop("_login_user", None)
    refresh()


@pytest.fixture
def client(app: Flask, db: object) -> FlaskClient:
    """A test client (CSRF off in TestConfig)."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db: object):  # noqa: ANN201
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


def log_in(client: FlaskClient, user: User) -> None:
    """Put a logged-in session for the user into the client's cookie."""
    now = int(time.time())
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["login_at"] = now
        session["seen_at"] = now
        session["mfa_at"] = now  # passed the second factor (web/mfa_display.py): admin, bank


@pytest.fixture
def login_as(client: FlaskClient, db: object) -> Callable[..., User]:
    """login_as("enterprise" | "university" | "bank" | "admin", verified=True) -> User."""

    def _login(role: str, **kwargs: object) -> User:
        user = make_user(role, **kwargs)
        _db.session.commit()
        log_in(client, user)
        return user

    return _login


class Outbox(list):
    """Messages delivered through Flask-Mail during a test.

    Mail is queued in the job table and delivered by a worker after the commit; reading the
    outbox first runs the queued mail jobs, as the worker would (which commits the session).
    """

    def _deliver(self) -> None:
        deliver_mail()

    def __len__(self) -> int:
        self._deliver()
        return super().__len__()

    def __iter__(self):  # noqa: ANN204
        self._deliver()
        return super().__iter__()

    def __getitem__(self, index):  # noqa: ANN001, ANN204
        self._deliver()
        return super().__getitem__(index)

    def __eq__(self, other: object) -> bool:
        self._deliver()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return len(self) > 0

    def clear(self) -> None:
        self._deliver()
        super().clear()


@pytest.fixture
def outbox(app: Flask) -> Iterator[Outbox]:
    """Record delivered mail (as if a server were configured) without sending it anywhere."""
    from flask_mail import email_dispatched

    box = Outbox()

    def record(sender: object, message: object, **extra: object) -> None:
        list.append(box, message)

    app.config["MAIL_SERVER"] = "localhost"
    app.extensions["mail"].suppress = True
    email_dispatched.connect(record)
    try:
        yield box
    finally:
        email_dispatched.disconnect(record)
        app.extensions["mail"].suppress = False
        app.config["MAIL_SERVER"] = None


@pytest.fixture
def caplog_json(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog at INFO for the matchmaker loggers."""
    caplog.set_level(logging.INFO, logger="matchmaker")
    return caplog


@pytest.fixture
def fields(db: object) -> dict[str, object]:
    """The key-industry taxonomy (the migration seeds it; create_all does not)."""
    from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries

    ensure_key_industries()
    _db.session.commit()
    return {f.code: f for f in active_fields()}
