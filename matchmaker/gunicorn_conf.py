"""gunicorn settings of `make serve` (`gunicorn -c python:matchmaker.gunicorn_conf wsgi:app`).

The app is loaded once in the master (`preload_app`), which also builds the matching engine's
fixed tables (the English lexicon, the explanations' jieba dictionary: about 170 MiB of Python
objects), loads the current index (memory-mapped) with its analyser warmed, and then freezes
the garbage collector's view of them (`gc.freeze()`), so that the forked workers share those
pages copy-on-write instead of each building its own copy (the collector would otherwise write
to every object's header on its first full collection and un-share them), and a worker's first
search or match does not wait seconds for them. Each worker then drops the database
connections it inherited (a connection must never be used by two processes). A later index
generation is loaded by each worker as before. Figures: docs/recommender.md, "Workers share
the fixed tables".

Metrics (`/metrics`, services/platform/metrics.py): every worker writes its request figures to
files in `PROMETHEUS_MULTIPROC_DIR`, which a scrape of any worker sums. The folder must be set
before prometheus_client is first imported (this module is read before the app is loaded), and
must start empty: a given folder is emptied of the last run's files here, and without one a
fresh temporary folder is made (and removed when gunicorn exits). `child_exit` marks a dead
worker's files so that its live-only gauges stop counting.

Rate limits: with more than one worker, production refuses to start when the limits would be
counted in each worker's memory (no MATCHMAKER_REDIS_URL): the app reads WORKERS, set here.

Settings from the environment: WORKERS (default 2), MATCHMAKER_PRELOAD=0 turns the preloading
off (to measure the difference), PROMETHEUS_MULTIPROC_DIR (default: a new temporary folder).
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("matchmaker.serving")

workers = int(os.environ.get("WORKERS", "2"))
# gunicorn sets these in its own environment before it loads the app: the app reads WORKERS
# (services/platform/kv.py web_workers) and production refuses to count rate limits in each
# worker's memory when there are several (SECURITY.md row 5). A `--workers` on the command line
# is seen by `on_starting` below.
raw_env = [f"WORKERS={workers}"]
preload_app = os.environ.get("MATCHMAKER_PRELOAD", "1") != "0"


def _metrics_dir() -> tuple[Path, bool]:
    """The multiprocess metrics folder, emptied, and whether this module made it."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not given:
        made = Path(tempfile.mkdtemp(prefix="matchmaker-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(made)
        return made, True
    folder = Path(given)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return folder, False


metrics_dir, _made_metrics_dir = _metrics_dir()


def child_exit(server: Any, worker: Any) -> None:
    """In the master, when a worker has exited: its gauges no longer count (prometheus_client)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(metrics_dir))


def on_exit(server: Any) -> None:
    """In the master, at the end: remove the metrics folder if it was made here."""
    if _made_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def on_starting(server: Any) -> None:
    """In the master, before any worker: the worker count gunicorn will really run (a
    `--workers` on the command line included, which this file cannot see) is told to apps
    loaded in the workers (WORKERS), and serving stops with the reason when those workers
    would each count rate limits in their own memory (SECURITY.md row 5)."""
    from matchmaker.cli.security import load_config
    from matchmaker.services.platform.kv import memory_limits_problem

    count = int(server.cfg.workers)
    os.environ["WORKERS"] = str(count)
    problem = memory_limits_problem(load_config()[0], count)
    if problem is not None:
        raise RuntimeError(problem)  # gunicorn prints "Error: <problem>" and exits 1


def when_ready(server: Any) -> None:
    """In the master, after the app was loaded and before the first fork: build and freeze."""
    if not preload_app:
        return
    from matchmaker.recommender import preload

    preload()
    _load_index(server)
    gc.collect()
    gc.freeze()


def _load_index(server: Any) -> None:
    """The current index generation, loaded and its analyser warmed in the master. Without a
    database to read (not upgraded yet, not reachable), the workers load it themselves later."""
    from matchmaker.extensions import db
    from matchmaker.services import matching

    app = server.app.wsgi()
    with app.app_context():
        try:
            matching.engine().analyzer_("预热 warm up: heat exchanger 换热器")
        except Exception as error:  # noqa: BLE001 - serving must start; workers retry
            log.warning("serving.index_not_preloaded", extra={"error": str(error)})
        finally:
            db.session.remove()
            db.engine.dispose()


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker: forget the master's database connections (never close them: they
    belong to the master) so that this worker opens its own."""
    if not preload_app:
        return
    from matchmaker.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
