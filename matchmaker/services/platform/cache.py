"""A small shared cache in Redis for figures that are costly to count and read often.

`cached(namespace, key, compute, ttl)` answers from Redis when it can and otherwise computes from
the database and stores the answer as JSON for `ttl` seconds. Each namespace has a generation
(a stamp, `kv.read_stamp`): `invalidate(namespace)` (or `invalidate_after_commit`) bumps it, so
every entry stored under the old generation is never read again and expires on its own.

Fail-open: without Redis, or while it is down, `cached` is a plain call of `compute` (the
database answers as it would without a cache), and an invalidation that could not be stored is
bounded by the entries' TTL. Keys: `<prefix>:stamp:cache:<namespace>` (the generation) and
`<prefix>:cache:<namespace>:<generation>:<sha256 of key>` (docs/deploy.md, "Redis").

What uses it: the public lists' facet counts (`market/browsing.py cached_facet_counts`,
invalidated after every commit that publishes, changes or withdraws a listing:
`matching.record_change`) and the bureau's figures (`bureau/figures.py compute`, a 60 s TTL).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from matchmaker.services.platform import kv

log = logging.getLogger("matchmaker.cache")
T = TypeVar("T")


def cached(
    namespace: str,
    key: str,
    compute: Callable[[], T],
    ttl: int,
    *,
    encode: Callable[[T], Any] | None = None,
    decode: Callable[[Any], T] | None = None,
) -> T:
    """`compute()`, or its stored answer for (namespace, key) from the current generation.

    `encode` turns the answer into what JSON (with Decimal, date, datetime and tuple kept) can
    hold, `decode` back; by default the answer is stored as it is."""
    entry = _entry(namespace, key)
    if entry is None:
        return compute()
    found, stored = _read(entry, namespace)
    if found:
        try:
            return decode(stored) if decode is not None else stored
        except Exception:  # an entry this code cannot read (an older format): compute anew
            log.warning("cache.unreadable", extra={"namespace": namespace}, exc_info=True)
    value = compute()
    _write(entry, encode(value) if encode is not None else value, ttl)
    return value


def lookup(namespace: str, key: str) -> Any | None:
    """The stored answer for (namespace, key) of the current generation, or None (none stored,
    no Redis, Redis down): for a caller that cannot hand over a `compute` (a whole page)."""
    entry = _entry(namespace, key)
    if entry is None:
        return None
    _found, stored = _read(entry, namespace)
    return stored


def store(namespace: str, key: str, value: Any, ttl: int) -> bool:
    """Keep `value` for (namespace, key) in the current generation for `ttl` seconds; False
    when nothing was kept (no Redis, or it is down)."""
    entry = _entry(namespace, key)
    return entry is not None and _write(entry, value, ttl)


def _entry(namespace: str, key: str) -> str | None:
    """The Redis key of (namespace, key) in the namespace's current generation; None without
    a reachable Redis."""
    generation = kv.read_stamp(_stamp(namespace))
    if generation is None or kv.available() is None:
        return None
    return kv.key("cache", namespace, generation, hashlib.sha256(key.encode()).hexdigest())


def _read(entry: str, namespace: str) -> tuple[bool, Any]:
    """(True, value) when the entry is stored and readable, else (False, None)."""
    redis = kv.available()
    if redis is None:
        return False, None
    try:
        raw = redis.get(entry)
    except Exception as error:  # noqa: BLE001 - fail-open: the database answers
        kv.failed("cache", error)
        return False, None
    if raw is None:
        return False, None
    try:
        return True, loads(raw)  # type: ignore[arg-type]
    except Exception:  # an entry this code cannot read (an older format): compute anew
        log.warning("cache.unreadable", extra={"namespace": namespace}, exc_info=True)
        return False, None


def _write(entry: str, value: Any, ttl: int) -> bool:
    redis = kv.available()
    if redis is None:
        return False
    try:
        redis.set(entry, dumps(value), ex=ttl)
    except Exception as error:  # noqa: BLE001
        kv.failed("cache", error)
        return False
    return True


def invalidate(namespace: str) -> None:
    """Forget every stored answer of a namespace now (a new generation)."""
    kv.bump_stamps(_stamp(namespace))


def invalidate_after_commit(namespace: str) -> None:
    """Forget every stored answer of a namespace once the current transaction commits.

    After, not before: a reader between the change and its commit would otherwise store the
    old figures under the new generation."""
    kv.bump_after_commit(_stamp(namespace))


def _stamp(namespace: str) -> str:
    return f"cache:{namespace}"


# --- JSON that keeps Decimal, date, datetime and tuple ------------------------------------------
def _tag(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"__t": [_tag(v) for v in value]}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return {"__m": [[_tag(k), _tag(v)] for k, v in value.items()]}
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return {"__d": str(value)}
    if isinstance(value, datetime):
        return {"__dt": value.isoformat()}
    if isinstance(value, date):
        return {"__date": value.isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # lazy strings (labels in the reader's language)


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, inner),) = value.items()
            if tag == "__t":
                return tuple(_untag(v) for v in inner)
            if tag == "__m":
                return {_untag(k): _untag(v) for k, v in inner}
            if tag == "__d":
                return Decimal(inner)
            if tag == "__dt":
                return datetime.fromisoformat(inner)
            if tag == "__date":
                return date.fromisoformat(inner)
        return {k: _untag(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    """JSON of a value, keeping Decimal, date, datetime, tuple and non-string dict keys."""
    return json.dumps(_tag(value), ensure_ascii=False, separators=(",", ":"))


def loads(raw: str | bytes) -> Any:
    """The value `dumps` wrote."""
    return _untag(json.loads(raw))
