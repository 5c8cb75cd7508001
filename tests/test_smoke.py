"""The app starts, serves the home page in Chinese, and answers the health check."""

from __future__ import annotations

import pytest

from matchmaker import ConfigurationError, create_app
from matchmaker.config import Config


def test_home_page_is_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "吉林科技成果对接平台" in response.get_data(as_text=True)


def test_healthz_reports_database_redis_backlog_and_index(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["redis"] == "disabled"  # the tests' app has no REDIS_URL
    assert body["version"] == "0.1.0"
    assert body["jobs"] == {"queued": 0, "running": 0, "failed": 0, "oldest_seconds": 0}
    assert body["index"]["generation"] == 0
    assert body["index"]["unusable_artifact"] is None


def test_refuses_to_start_without_secret_key_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="MATCHMAKER_SECRET_KEY"):
        create_app(Config, instance_path=str(tmp_path))


def test_the_package_metadata_uses_an_spdx_licence():
    """setuptools warns on every install about a `project.license` table; a string is current."""
    import tomllib

    from matchmaker import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert project["project"]["license"] == "Apache-2.0"
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])
