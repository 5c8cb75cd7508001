"""The unit of work: one transaction per request, CLI command or job, and what runs after it.

Services flush when they need ids and never commit. The scope around them commits once at the
end, or rolls back: the request hooks (web/hooks.py: a response below 400 commits), `scope()`
for CLI commands, `jobs.run` for a job. Work that must not happen unless the data is stored
(making an uploaded file permanent) is registered with `after_commit`; its undo (removing the
pending file) with `on_rollback`. Mail never goes out from inside a transaction: it is a row in
the job table (the outbox) committed with the change that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

from matchmaker.extensions import db

log = logging.getLogger("matchmaker.uow")
Callback = Callable[[], None]
_COMMIT = "uow.after_commit"
_ROLLBACK = "uow.on_rollback"
_DOOMED = "uow.doomed"


def begin() -> None:
    """Start a unit of work on the current session (forgets an earlier one's discard mark)."""
    db.session.info.pop(_DOOMED, None)


def after_commit(callback: Callback) -> None:
    """Run `callback` once the current transaction has committed (never if it rolls back)."""
    db.session.info.setdefault(_COMMIT, []).append(callback)


def on_rollback(callback: Callback) -> None:
    """Run `callback` if the current transaction ends without a commit."""
    db.session.info.setdefault(_ROLLBACK, []).append(callback)


def discard() -> None:
    """Roll back now, and let nothing more of this unit of work be committed.

    For a refused step: the page shown with the reason must not store half of it, and nothing
    the view does afterwards may commit it either.
    """
    db.session.rollback()
    db.session.info[_DOOMED] = True


def is_discarded() -> bool:
    """Whether this unit of work was discarded (it will roll back at its end)."""
    return bool(db.session.info.get(_DOOMED))


def finish(*, ok: bool) -> None:
    """End the unit of work: commit when `ok` and not discarded, else roll back."""
    doomed = db.session.info.pop(_DOOMED, False)
    if ok and not doomed:
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()  # a failed commit ends the unit too: its on_rollback work runs
            raise
    else:
        db.session.rollback()


@contextmanager
def scope() -> Iterator[None]:
    """A unit of work around a block (a CLI command, a job): commit at the end or roll back."""
    begin()
    try:
        yield
    except BaseException:
        db.session.info.pop(_DOOMED, None)
        db.session.rollback()
        raise
    finish(ok=True)


def _run(callbacks: list[Callback], when: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the data is already stored (or gone): log, do not undo it
            log.exception("uow.%s callback failed", when)


@sa.event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the outer transaction may still roll back
    session.info.pop(_ROLLBACK, None)
    _run(session.info.pop(_COMMIT, []), "after_commit")


@sa.event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    # After a commit both lists are already empty; otherwise the transaction was rolled back.
    session.info.pop(_COMMIT, None)
    _run(session.info.pop(_ROLLBACK, []), "on_rollback")


@sa.event.listens_for(sa.engine.Engine, "savepoint")
def _begin_before_a_first_savepoint(connection: sa.engine.Connection, name: str) -> None:
    # pysqlite opens a transaction only before the first INSERT/UPDATE/DELETE. A SAVEPOINT
    # issued before any of them would be the outermost transaction, and releasing it would
    # COMMIT everything: begin the real transaction first, so the unit of work keeps it.
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not getattr(driver, "in_transaction", True):
        connection.exec_driver_sql("BEGIN")
