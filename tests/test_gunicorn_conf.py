"""The gunicorn settings of `make serve`: the app and the matching tables are loaded once in
the master and frozen for the garbage collector; each worker drops the inherited database
connections. (The memory it saves is measured by benchmarks/worker_memory.py.) Metrics: every
worker writes to one multiprocess folder, which a scrape sums (two real gunicorn workers)."""

from __future__ import annotations

import gc
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

from matchmaker.extensions import db


@pytest.fixture(autouse=True)
def metrics_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Loading the settings sets PROMETHEUS_MULTIPROC_DIR: keep it to this test."""
    folder = tmp_path / "prometheus"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    return folder


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


def test_a_given_metrics_folder_is_emptied_of_the_last_run(metrics_folder: Path) -> None:
    metrics_folder.mkdir()
    (metrics_folder / "histogram_4242.db").write_bytes(b"stale")
    (metrics_folder / "notes.txt").write_text("kept")
    import matchmaker.gunicorn_conf as module

    module = importlib.reload(module)
    assert module.metrics_dir == metrics_folder
    assert sorted(p.name for p in metrics_folder.iterdir()) == ["notes.txt"]
    module.on_exit(SimpleNamespace())
    assert metrics_folder.is_dir()  # not ours to remove


def test_without_a_folder_a_temporary_one_is_made_and_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    import matchmaker.gunicorn_conf as module

    module = importlib.reload(module)
    made = module.metrics_dir
    assert made.is_dir() and os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(made)
    module.on_exit(SimpleNamespace())
    assert not made.exists()


def test_a_dead_workers_live_gauges_stop_counting(metrics_folder: Path) -> None:
    metrics_folder.mkdir()
    import matchmaker.gunicorn_conf as module

    module = importlib.reload(module)
    (metrics_folder / "gauge_livesum_4242.db").write_bytes(b"")
    (metrics_folder / "histogram_4242.db").write_bytes(b"")
    module.child_exit(SimpleNamespace(), SimpleNamespace(pid=4242))
    assert [p.name for p in metrics_folder.iterdir()] == ["histogram_4242.db"]  # counts stay


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - our own server
        return answer.read()


@pytest.mark.slow  # a real gunicorn with two workers: about 20 s on a busy machine
def test_two_workers_figures_are_summed(
    app: Flask,
    db,
    tmp_path: Path,
    metrics_folder: Path,  # noqa: ANN001
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MATCHMAKER_ENV": "production",
        "MATCHMAKER_SECRET_KEY": "gunicorn-conf-test-" + "k" * 32,  # production: >= 32 bytes
        "MATCHMAKER_PUBLIC_URL": base,
        "MATCHMAKER_RATELIMIT_ENABLED": "false",  # two workers would refuse memory:// limits
        "MATCHMAKER_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "MATCHMAKER_INSTANCE_PATH": str(tmp_path / "instance"),
        "WORKERS": "2",
        "MATCHMAKER_PRELOAD": "0",  # the preloading has its own tests; start quickly
    }
    env.pop("MATCHMAKER_REDIS_URL", None)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - gunicorn from this venv
            [sys.executable, "-m", "gunicorn", "-c", "python:matchmaker.gunicorn_conf"]
            + ["--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text(errors="replace")
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.3)
        sent = 1
        with ThreadPoolExecutor(max_workers=8) as pool:
            # concurrent requests reach both sync workers (each writes its own file)
            while len(list(metrics_folder.glob("histogram_*.db"))) < 2:
                assert time.monotonic() < deadline, "only one worker answered"
                list(pool.map(_get, [f"{base}/healthz"] * 16))
                sent += 16
        expected = (
            'matchmaker_http_request_duration_seconds_count{endpoint="main.healthz",'
            f'method="GET",status="2xx"}} {float(sent)}'
        )
        # a worker's figures may reach its file a moment after its answer: scrape until seen
        while expected not in (text := _get(f"{base}/metrics").decode()):
            assert time.monotonic() < deadline, text
            time.sleep(0.3)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not list(metrics_folder.glob("gauge_live*"))
