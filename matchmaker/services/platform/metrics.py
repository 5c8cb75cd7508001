"""Metrics for Prometheus (`/metrics`, docs/deploy.md "Metrics").

Two kinds of figure:

- per request, counted in the process that answered: the latency histogram by Flask endpoint
  (never the raw URL: ids would make a series per listing), method and status class. Under
  gunicorn every worker writes its figures to files in `PROMETHEUS_MULTIPROC_DIR` (set by
  `matchmaker/gunicorn_conf.py`, which also marks dead workers), and a scrape sums them all;
- read from the database at scrape time, so every host reports the same: the job backlog
  (queued and due, running, failed, by job name) and the published index generation and age.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus
from matchmaker.services.platform import health, kv

log = logging.getLogger("matchmaker.metrics")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: Seconds: from a cached page (5 ms) to a slow export (30 s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_SECONDS = Histogram(
    "matchmaker_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint, method and status class.",
    ["endpoint", "method", "status"],
    buckets=BUCKETS,
)
#: Methods kept as a label; anything else (a scanner's PROPFIND) is counted as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request. `endpoint` is None when no route matched (a 404)."""
    REQUEST_SECONDS.labels(
        endpoint=endpoint or "unmatched",
        method=method if method in METHODS else "other",
        status=f"{status // 100}xx",
    ).observe(seconds)


def is_multiprocess() -> bool:
    """Whether this process writes its figures to `PROMETHEUS_MULTIPROC_DIR` (gunicorn)."""
    return values.ValueClass is not values.MutexValue


class DatabaseCollector(Collector):
    """The figures every host reads from the same database when it is scraped."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "matchmaker_database_up", "1 when the database answered this scrape, else 0."
        )
        redis = GaugeMetricFamily(
            "matchmaker_redis_up", "1 when Redis answers, 0 when it does not, -1 when not used."
        )
        redis.add_metric([], {"ok": 1, "error": 0}.get(kv.status(), -1))
        try:
            families = list(_database_families())
        except sa.exc.SQLAlchemyError as error:  # a scrape answers while the database is down
            db.session.rollback()
            log.warning("metrics.database_unavailable", extra={"error": str(error)})
            families = []
        up.add_metric([], 1 if families else 0)
        yield up
        yield redis
        yield from families


def _database_families() -> Iterable[Metric]:
    backlog = health.job_backlog()
    jobs = GaugeMetricFamily(
        "matchmaker_jobs",
        "Jobs by state: queued and due now, running, failed (given up after every attempt).",
        labels=["state"],
    )
    jobs.add_metric(["queued_due"], backlog["queued"])
    jobs.add_metric(["running"], backlog["running"])
    jobs.add_metric(["failed"], backlog["failed"])
    yield jobs
    oldest = GaugeMetricFamily(
        "matchmaker_jobs_oldest_due_seconds", "How long the oldest due job has been waiting."
    )
    oldest.add_metric([], backlog["oldest_seconds"])
    yield oldest
    failures = GaugeMetricFamily(
        "matchmaker_job_failures",
        "Job failures by job name: failed (given up) and retrying (queued again after a failed "
        "attempt).",
        labels=["name", "state"],
    )
    for name, state, count in _failures():
        failures.add_metric([name, state], count)
    yield failures
    index = health.index_generation()
    generation = GaugeMetricFamily(
        "matchmaker_index_generation", "The matching index generation published in the database."
    )
    generation.add_metric([], index["generation"])
    yield generation
    documents = GaugeMetricFamily(
        "matchmaker_index_documents", "Documents in the published index generation."
    )
    documents.add_metric([], index["documents"])
    yield documents
    if index["age_seconds"] is not None:
        age = GaugeMetricFamily(
            "matchmaker_index_age_seconds", "Seconds since the published index was built."
        )
        age.add_metric([], index["age_seconds"])
        yield age


def _failures() -> list[tuple[str, str, int]]:
    """(job name, "failed" | "retrying", count): given up, or queued again after a failure."""
    retrying = sa.and_(Job.status == JobStatus.QUEUED, Job.attempts > 0)
    state = sa.case((Job.status == JobStatus.FAILED, "failed"), else_="retrying")
    rows = db.session.execute(
        sa.select(Job.name, state, sa.func.count())
        .where(sa.or_(Job.status == JobStatus.FAILED, retrying))
        .group_by(Job.name, state)
        .order_by(Job.name, state)
    )
    return [(name, label, count) for name, label, count in rows]


class _Scrape:
    """What one scrape reads: the request figures (of every worker) and the database's."""

    def __init__(self, *collectors: Collector) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def render() -> bytes:
    """The Prometheus text exposition of every figure, for `/metrics`."""
    if is_multiprocess():
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        requests: Collector = workers
    else:
        requests = REGISTRY
    return generate_latest(_Scrape(requests, DatabaseCollector()))  # type: ignore[arg-type]


def scrape_allowed(
    config: Mapping[str, Any], *, authorization: str | None, remote_addr: str | None, proxied: bool
) -> bool:
    """Whether a request may read the metrics: the bearer token `METRICS_TOKEN`, or a remote
    address inside `METRICS_ALLOWED_IPS` (loopback by default).

    `proxied`: the request carries `X-Forwarded-For` while the app trusts no proxy
    (`PROXY_FIX_X_FOR` = 0): its remote address is the proxy's (nginx on this host is
    loopback), not the client's, so only the token admits it.
    """
    token = config.get("METRICS_TOKEN")
    if token and authorization:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), str(token).encode()
        ):
            return True
    if proxied and not config.get("PROXY_FIX_X_FOR") or not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in allowed_networks(config))


def allowed_networks(
    config: Mapping[str, Any],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`METRICS_ALLOWED_IPS`: addresses or networks, separated by commas or spaces."""
    raw = config.get("METRICS_ALLOWED_IPS") or ""
    items = raw if isinstance(raw, (list, tuple)) else str(raw).replace(",", " ").split()
    return [ipaddress.ip_network(str(item).strip(), strict=False) for item in items]
