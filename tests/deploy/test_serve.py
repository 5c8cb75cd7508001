"""`make serve` refuses to start, naming what is missing, without the production environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
REQUIRED = ("MATCHMAKER_SECRET_KEY", "MATCHMAKER_SQLALCHEMY_DATABASE_URI", "MATCHMAKER_REDIS_URL")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _serve(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    return subprocess.run(
        # STAMP=/dev/null: the environment check only, without installing anything first
        ["make", "--no-print-directory", "serve", "STAMP=/dev/null"],  # noqa: S607
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_names_every_missing_variable() -> None:
    done = _serve(MATCHMAKER_REDIS_URL="redis://127.0.0.1:6379/0")
    assert done.returncode != 0
    assert "make serve: set MATCHMAKER_SECRET_KEY MATCHMAKER_SQLALCHEMY_DATABASE_URI " in (
        done.stderr
    )
    assert "docs/deploy.md" in done.stderr
    assert "gunicorn" not in done.stdout  # nothing was started


def test_refuses_a_database_other_than_postgresql() -> None:
    done = _serve(
        MATCHMAKER_SECRET_KEY="x" * 40,
        MATCHMAKER_SQLALCHEMY_DATABASE_URI="sqlite:///instance/matchmaker.sqlite3",
        MATCHMAKER_REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert done.returncode != 0
    assert "must be PostgreSQL" in done.stderr
    assert "db upgrade" not in done.stdout
