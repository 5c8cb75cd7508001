"""/metrics: request latencies by endpoint and status class, the job backlog and the index
generation read from the database, and who may read it (a token or an allowed address)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from matchmaker import ConfigurationError, create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db as _db
from matchmaker.models import Job, JobStatus, RecommenderState
from matchmaker.models.base import utcnow
from matchmaker.services.platform import health, jobs, metrics

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def scrape(client: FlaskClient, **kwargs: object) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def requests_of(samples: dict, endpoint: str, status: str, method: str = "GET") -> float:
    key = (
        "matchmaker_http_request_duration_seconds_count",
        (("endpoint", endpoint), ("method", method), ("status", status)),
    )
    return samples.get(key, 0.0)


def test_request_counts_grow_per_endpoint_and_status_class(client: FlaskClient) -> None:
    before = scrape(client)
    client.get("/")
    client.get("/")
    client.get("/healthz")
    client.get("/no/such/page")
    client.get("/dashboard")  # anonymous: a redirect to the login page
    after = scrape(client)

    def grown(endpoint: str, status: str) -> float:
        return requests_of(after, endpoint, status) - requests_of(before, endpoint, status)

    assert grown("main.index", "2xx") == 2
    assert grown("main.healthz", "2xx") == 1
    assert grown("unmatched", "4xx") == 1
    assert grown("main.dashboard", "3xx") == 1
    # a histogram, not only a count: every observation lands in the +Inf bucket
    inf = (
        "matchmaker_http_request_duration_seconds_bucket",
        (("endpoint", "main.index"), ("le", "+Inf"), ("method", "GET"), ("status", "2xx")),
    )
    assert after[inf] == requests_of(after, "main.index", "2xx")
    # the raw URL never becomes a label
    assert not any("/no/such/page" in str(labels) for _name, labels in after)


def test_an_endpoint_with_an_id_is_one_series(client: FlaskClient) -> None:
    for listing_id in (1, 2, 3):
        client.get(f"/results/{listing_id}")
    samples = scrape(client)
    series = {
        dict(labels)["endpoint"]
        for name, labels in samples
        if name == "matchmaker_http_request_duration_seconds_count"
    }
    assert not any(str(n) in s for s in series for n in (1, 2, 3))


def _job(name: str, status: JobStatus, *, attempts: int = 0, due: bool = True) -> None:
    job = jobs.enqueue(name, delay=None if due else timedelta(hours=1))
    job.status = status
    job.attempts = attempts


def test_job_backlog_and_failures_equal_the_database(client: FlaskClient) -> None:
    _job("mail.send", JobStatus.QUEUED)
    _job("mail.send", JobStatus.QUEUED)
    _job("mail.send", JobStatus.QUEUED, due=False)  # not due yet: not in the backlog
    _job("mail.send", JobStatus.QUEUED, attempts=1)  # retrying after a failed attempt
    _job("mail.send", JobStatus.FAILED, attempts=3)
    _job("recommender.rebuild", JobStatus.FAILED, attempts=3)
    _job("recommender.rebuild", JobStatus.RUNNING, attempts=1)
    _job("mail.send", JobStatus.DONE, attempts=1)
    _db.session.commit()
    samples = scrape(client)

    expected = health.job_backlog()
    assert expected["queued"] == 3 and expected["running"] == 1 and expected["failed"] == 2
    assert samples[("matchmaker_jobs", (("state", "queued_due"),))] == expected["queued"]
    assert samples[("matchmaker_jobs", (("state", "running"),))] == expected["running"]
    assert samples[("matchmaker_jobs", (("state", "failed"),))] == expected["failed"]
    failed_in_db = _db.session.scalar(
        sa.select(sa.func.count()).where(Job.status == JobStatus.FAILED, Job.name == "mail.send")
    )
    assert samples[("matchmaker_job_failures", (("name", "mail.send"), ("state", "failed")))] == (
        failed_in_db
    )
    assert samples[("matchmaker_job_failures", (("name", "mail.send"), ("state", "retrying")))] == 1
    assert (
        samples[("matchmaker_job_failures", (("name", "recommender.rebuild"), ("state", "failed")))]
        == 1
    )
    assert samples[("matchmaker_database_up", ())] == 1
    assert samples[("matchmaker_redis_up", ())] == -1  # the tests' app uses no Redis


def test_index_generation_and_age_equal_the_database(client: FlaskClient) -> None:
    samples = scrape(client)
    assert samples[("matchmaker_index_generation", ())] == 0
    assert ("matchmaker_index_age_seconds", ()) not in samples  # never built
    _db.session.add(
        RecommenderState(
            id=1, generation=7, documents=42, change_id=0, built_at=utcnow() - timedelta(hours=2)
        )
    )
    _db.session.commit()
    samples = scrape(client)
    assert samples[("matchmaker_index_generation", ())] == 7
    assert samples[("matchmaker_index_documents", ())] == 42
    assert 7200 <= samples[("matchmaker_index_age_seconds", ())] < 7300


def test_a_scrape_answers_while_the_database_does_not(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(health, "job_backlog", down)
    samples = scrape(client)
    assert samples[("matchmaker_database_up", ())] == 0
    assert ("matchmaker_index_generation", ()) not in samples


# -- who may read it ---------------------------------------------------------------------------


@pytest.fixture
def token(app: Flask):  # noqa: ANN201
    app.config["METRICS_TOKEN"] = "s3cret-scrape-token"
    yield "s3cret-scrape-token"
    app.config["METRICS_TOKEN"] = None


def test_refused_from_outside_without_a_token(client: FlaskClient) -> None:
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403


def test_a_proxied_request_is_not_loopback(client: FlaskClient) -> None:
    # nginx on the same host connects from 127.0.0.1: without PROXY_FIX_X_FOR the address
    # is the proxy's, so the allow-list does not apply to a forwarded request.
    response = client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.9"})
    assert response.status_code == 403


def test_the_bearer_token_admits_from_anywhere(client: FlaskClient, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=headers).status_code == 200
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=wrong).status_code == 403
    basic = {"Authorization": f"Basic {token}"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=basic).status_code == 403


def test_allowed_networks_come_from_the_config(client: FlaskClient, app: Flask) -> None:
    app.config["METRICS_ALLOWED_IPS"] = "10.0.0.0/8, 203.0.113.7"
    try:
        assert client.get("/metrics", environ_base=OUTSIDE).status_code == 200
        assert client.get("/metrics").status_code == 403  # loopback no longer listed
        inside = {"REMOTE_ADDR": "10.1.2.3"}
        assert client.get("/metrics", environ_base=inside).status_code == 200
    finally:
        app.config["METRICS_ALLOWED_IPS"] = TestConfig.METRICS_ALLOWED_IPS


def test_a_wrong_allow_list_stops_the_start(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ConfigurationError, match="METRICS_ALLOWED_IPS"):
        create_app(
            TestConfig,
            instance_path=str(tmp_path),
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite3'}",
            METRICS_ALLOWED_IPS="10.0.0.0/8, intranet",
        )


def test_scrape_allowed_rules() -> None:
    config = {"METRICS_TOKEN": None, "METRICS_ALLOWED_IPS": "127.0.0.1, ::1", "PROXY_FIX_X_FOR": 0}
    allowed = metrics.scrape_allowed
    assert allowed(config, authorization=None, remote_addr="::1", proxied=False)
    assert not allowed(config, authorization=None, remote_addr=None, proxied=False)
    assert not allowed(config, authorization=None, remote_addr="not-an-ip", proxied=False)
    # no token configured: a bearer header admits nobody
    assert not allowed(config, authorization="Bearer ", remote_addr="203.0.113.7", proxied=False)
    trusted = {**config, "PROXY_FIX_X_FOR": 1}  # ProxyFix already put the client's address
    assert allowed(trusted, authorization=None, remote_addr="127.0.0.1", proxied=True)
