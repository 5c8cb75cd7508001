"""Redis, when configured (`MATCHMAKER_REDIS_URL`): one client per process, the rate limiter's
storage settings, and change stamps; what each use does when Redis is down is in docs/deploy.md,
"Redis".

Without `REDIS_URL` every use falls back to the embedded default (the database, or the process's
memory), so `make run` needs nothing else to start. With it, a Redis that stops answering never
fails a request: a failed call is logged, Redis is left alone for `BACKOFF_SECONDS`, and each use
falls back (rate limits to per-process memory, the cache to the database, the index check to the
database).

A *stamp* is an integer under `<prefix>:stamp:<name>` that is incremented after every commit that
changes what it stands for (the recommender's index, a cache namespace). A reader that saw the
same value last time knows nothing changed without asking the database.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from matchmaker.extensions import db
from matchmaker.services.platform import uow

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("matchmaker.redis")
_EXTENSION = "matchmaker_redis"
_DOWN_UNTIL = "matchmaker_redis_down_until"
_PENDING = "kv.pending_stamps"
#: Seconds, for one command: a Redis that does not answer must not hold a page up.
TIMEOUT = 0.5
#: After a failed call, this process leaves Redis alone (falls back at once) this long.
BACKOFF_SECONDS = 5.0
DEFAULT_PREFIX = "mm"


def client() -> Redis | None:
    """This app's Redis client, or None when no `REDIS_URL` is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        found = Redis.from_url(
            url,
            socket_connect_timeout=TIMEOUT,
            socket_timeout=TIMEOUT,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 0),  # the default retries 3 times with back-off: seconds
        )
        current_app.extensions[_EXTENSION] = found
    return found


def available() -> Redis | None:
    """The client, unless Redis is not configured or failed less than BACKOFF_SECONDS ago."""
    redis = client()
    if redis is None or time.monotonic() < current_app.extensions.get(_DOWN_UNTIL, 0.0):
        return None
    return redis


def failed(what: str, error: Exception) -> None:
    """Note a failed Redis call: log it once per back-off period and fall back for that long."""
    if time.monotonic() >= current_app.extensions.get(_DOWN_UNTIL, 0.0):
        log.warning("redis.unavailable", extra={"use": what, "error": str(error)})
    current_app.extensions[_DOWN_UNTIL] = time.monotonic() + BACKOFF_SECONDS


def key(*parts: object) -> str:
    """A key under this deployment's prefix (`REDIS_KEY_PREFIX`, default "mm")."""
    prefix = current_app.config.get("REDIS_KEY_PREFIX") or DEFAULT_PREFIX
    return ":".join([prefix, *map(str, parts)])


def status() -> str:
    """ "ok", "error" or "disabled" (no Redis configured), for /healthz."""
    redis = client()
    if redis is None:
        return "disabled"
    try:
        redis.ping()
    except Exception as error:  # noqa: BLE001 - any failure is "error" to a health check
        log.warning("redis.unavailable", extra={"error": str(error)})
        return "error"
    return "ok"


# --- change stamps ------------------------------------------------------------------------------
def read_stamp(name: str) -> int | None:
    """The current value of a stamp, or None when it cannot be known (no Redis, Redis down):
    the caller must then look at the source itself. A missing stamp (Redis restarted or
    flushed) is created with a time-based value, so it never equals one read before."""
    redis = available()
    if redis is None:
        return None
    try:
        name_key = key("stamp", name)
        raw = redis.get(name_key)
        if raw is None:
            redis.set(name_key, time.time_ns(), nx=True)
            raw = redis.get(name_key)
        return int(raw) if raw is not None else None  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 - redis-py raises several families
        failed("stamp", error)
        return None


def bump_stamps(*names: str) -> None:
    """Increment stamps now (readers will look at the source again)."""
    redis = available()
    if redis is None or not names:
        return
    try:
        pipe = redis.pipeline(transaction=False)
        for name in names:
            pipe.incr(key("stamp", name))
        pipe.execute()
    except Exception as error:  # noqa: BLE001
        failed("stamp", error)


def bump_after_commit(name: str) -> None:
    """Increment a stamp once the current transaction has committed (once however often it is
    asked for within the transaction; never when it rolls back). Nothing without Redis."""
    if not current_app.config.get("REDIS_URL"):
        return
    pending: set[str] | None = db.session.info.get(_PENDING)
    if pending is None:
        pending = db.session.info[_PENDING] = set()
        uow.after_commit(_bump_pending)
        uow.on_rollback(lambda: db.session.info.pop(_PENDING, None))
    pending.add(name)


def _bump_pending() -> None:
    bump_stamps(*sorted(db.session.info.pop(_PENDING, set())))


# --- the rate limiter's storage -----------------------------------------------------------------
def configure_rate_limits(app: Flask) -> None:
    """Point flask-limiter at Redis when `REDIS_URL` is set (unless `RATELIMIT_STORAGE_URI` was
    set to something other than the default memory://), with short timeouts and no retries; and
    say loudly when production counts limits per process.

    Redis down: every limit falls back to in-memory counting in each process
    (`RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`, flask-limiter retries Redis with back-off) and any
    other storage error lets the request through (`RATELIMIT_SWALLOW_ERRORS`): locking every user
    out of login is worse than limits that count per process for a while (docs/deploy.md)."""
    config = app.config
    storage = limit_storage(config)
    config["RATELIMIT_STORAGE_URI"] = storage
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if storage.startswith(("redis", "rediss", "redis+unix")):
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options: dict[str, Any] = {
            "socket_connect_timeout": TIMEOUT,
            "socket_timeout": TIMEOUT,
            "retry": Retry(NoBackoff(), 0),
            "key_prefix": f"{config.get('REDIS_KEY_PREFIX') or DEFAULT_PREFIX}:limits",
        }
        config["RATELIMIT_STORAGE_OPTIONS"] = {
            **options,
            **config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        }
    elif config.get("ENV_NAME") == "production" and config.get("RATELIMIT_ENABLED", True):
        problem = memory_limits_problem(config, web_workers())
        if problem is not None:
            from matchmaker import ConfigurationError

            raise ConfigurationError(problem)
        # One process (or a count not known here): say it on every start.
        log.warning(
            "ratelimit.memory_storage_in_production",
            extra={
                "workers": _workers(),
                "detail": "RATE LIMITS ARE PER PROCESS: no MATCHMAKER_REDIS_URL, so every "
                "gunicorn worker and every host counts login attempts separately, multiplying "
                "each limit. Set MATCHMAKER_REDIS_URL.",
            },
        )


def limit_storage(config: Any) -> str:
    """The rate limiter's storage for this configuration: `RATELIMIT_STORAGE_URI`, or Redis when
    `REDIS_URL` is set and the storage was left at the default memory://."""
    url = config.get("REDIS_URL")
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if url and storage == "memory://":
        storage = url.replace("unix://", "redis+unix://", 1) if url.startswith("unix:") else url
    return storage


def memory_limits_problem(config: Any, workers: int | None) -> str | None:
    """Why production must not serve `workers` processes with this configuration's rate limits,
    or None. SECURITY.md row 5 (v5.0.0-6.3.1): N workers each counting in their own memory
    would allow N times every limit. Read by the app at start and by gunicorn's master
    (matchmaker/gunicorn_conf.py), which knows a `--workers` given on its command line."""
    if config.get("ENV_NAME") != "production" or not config.get("RATELIMIT_ENABLED", True):
        return None
    if not limit_storage(config).startswith("memory://") or workers is None or workers <= 1:
        return None
    return (
        f"Rate limits would be counted in each of the {workers} web workers' memory "
        "(no MATCHMAKER_REDIS_URL), multiplying every login limit by the number of "
        "workers. Set MATCHMAKER_REDIS_URL (or MATCHMAKER_RATELIMIT_STORAGE_URI to a "
        "shared storage), or run one worker (WORKERS=1)."
    )


def web_workers() -> int | None:
    """How many web worker processes serve this app: `WORKERS` (`make serve`, set by
    matchmaker/gunicorn_conf.py when missing) or `WEB_CONCURRENCY`; None when neither says."""
    import os

    for name in ("WORKERS", "WEB_CONCURRENCY"):
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return None


def _workers() -> str:
    workers = web_workers()
    return str(workers) if workers is not None else "unknown"
