"""The gunicorn settings of `make serve`: the app and the matching tables are loaded once in
the master and frozen for the garbage collector; each worker drops the inherited database
connections. (The memory it saves is measured by benchmarks/worker_memory.py.)"""

from __future__ import annotations

import gc
import importlib
from types import SimpleNamespace

import pytest
from flask import Flask

from matchmaker.extensions import db


@pytest.fixture
def conf(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.delenv("MATCHMAKER_PRELOAD", raising=False)
    monkeypatch.setenv("WORKERS", "3")
    import matchmaker.gunicorn_conf as module

    yield importlib.reload(module)
    gc.unfreeze()


def _server(app: Flask) -> SimpleNamespace:
    return SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))


def test_preloads_and_freezes_in_the_master(conf, app: Flask, db):  # noqa: ANN001
    from matchmaker.recommender.explain import whole_words
    from matchmaker.recommender.text import english_lexicon

    english_lexicon.cache_clear()
    whole_words.cache_clear()
    app.extensions.pop("matchmaker_engine", None)
    assert conf.preload_app is True and conf.workers == 3
    conf.when_ready(_server(app))
    assert english_lexicon.cache_info().currsize == 1  # built in the master
    assert whole_words.cache_info().currsize == 1
    assert app.extensions["matchmaker_engine"].model is not None  # the index, loaded
    assert gc.get_freeze_count() > 0


def test_the_master_starts_without_a_database(conf, app: Flask, monkeypatch, caplog):  # noqa: ANN001
    from matchmaker.services import matching

    def unreachable() -> None:
        raise RuntimeError("no database")

    monkeypatch.setattr(matching, "engine", unreachable)
    conf.when_ready(_server(app))  # does not raise: the workers will load the index
    assert "serving.index_not_preloaded" in caplog.text
    assert gc.get_freeze_count() > 0


def test_a_worker_forgets_the_masters_connections(conf, app: Flask):  # noqa: ANN001
    with app.app_context():
        db.session.execute(db.text("select 1"))
        before = db.engine.pool
    conf.post_fork(_server(app), SimpleNamespace())
    with app.app_context():
        assert db.engine.pool is not before  # a new pool: nothing shared with the master
    # In a real worker the old pool's connections belong to the master; here they are this
    # process's own, so close them (PostgreSQL's driver warns about connections left open).
    before.dispose()


def test_preloading_can_be_turned_off(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MATCHMAKER_PRELOAD", "0")
    import matchmaker.gunicorn_conf as module

    module = importlib.reload(module)
    try:
        assert module.preload_app is False
        module.when_ready(SimpleNamespace())
        assert gc.get_freeze_count() == 0
    finally:
        monkeypatch.delenv("MATCHMAKER_PRELOAD")
        importlib.reload(module)
