"""Redis, when configured (`MATCHMAKER_REDIS_URL`): one client per process, and what each use
does when Redis is down (docs/deploy.md, "Redis").

Without `REDIS_URL` every use falls back to the embedded default (the database, or the process's
memory), so `make run` needs nothing else to start.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("matchmaker.redis")
_EXTENSION = "matchmaker_redis"


def client() -> Redis | None:
    """This app's Redis client, or None when no `REDIS_URL` is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        from redis import Redis

        found = Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5, health_check_interval=30
        )
        current_app.extensions[_EXTENSION] = found
    return found


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
