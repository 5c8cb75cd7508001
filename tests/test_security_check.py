"""`matchmaker security-check` and the production start's own refusals: a weak secret key
(SECURITY.md row 34, v5.0.0-13.4.2 / 13.3.1), rate limits counted per worker (row 5,
v5.0.0-6.3.1 / 2.4.1) and every other unsafe production setting the check lists."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from matchmaker import ROOT, ConfigurationError, create_app
from matchmaker.cli import cli
from matchmaker.config import Config

STRONG_KEY = "Vb0q7Xw3ZkP2m9LrT6yN4cH8sJ1dF5gA-security-check"
PUBLIC = "https://kjcg.jl.example"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No MATCHMAKER_* setting of the machine running the tests; an empty instance folder."""
    for name in list(os.environ):
        if name.startswith("MATCHMAKER_") or name in ("WORKERS", "WEB_CONCURRENCY"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path))
    return monkeypatch


def sound(env: pytest.MonkeyPatch) -> None:
    """A production configuration with nothing to report but warnings."""
    env.setenv("MATCHMAKER_ENV", "production")
    env.setenv("MATCHMAKER_SECRET_KEY", STRONG_KEY)
    env.setenv("MATCHMAKER_PUBLIC_URL", PUBLIC)
    env.setenv("MATCHMAKER_REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setenv("MATCHMAKER_MAIL_SERVER", "smtp.jl.example")
    env.setenv("MATCHMAKER_MAIL_USE_TLS", "true")
    env.setenv("WORKERS", "4")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["security-check", *args])
    return result.exit_code, result.output


def test_a_sound_production_configuration_passes(env):
    """SECURITY.md row 34 (v5.0.0-13.4.2): exit 0 and an "ok" line for each check."""
    sound(env)
    code, output = run()
    assert code == 0, output
    for check in ("environment", "debug", "secret_key", "session_cookie", "public_url"):
        assert re.search(rf"^ok\s+{check}\s", output, re.M), output
    assert "rate limits are counted in redis" in output
    assert re.search(r"^WARNING\s+sealing_keys\s.*derived from the secret key", output, re.M)
    assert output.rstrip().endswith("ok: no errors.")


def test_own_sealing_keys_are_reported(env):
    """docs/security.md §4.11: TOTP seeds sealed with keys of their own, not the secret key's."""
    sound(env)
    env.setenv("MATCHMAKER_SEALING_KEYS", "NiG9Sfq6dJ0aqXsPFBkQv0ZoVwGMZqvRPAsNsW1Rm0I=")
    code, output = run()
    assert code == 0, output
    assert re.search(r"^ok\s+sealing_keys\s.*1 configured", output, re.M), output


def test_an_unsafe_configuration_fails_naming_every_problem(env):
    """SECURITY.md row 34 (v5.0.0-13.4.2, 15.2.3) and row 5: each problem on its own line, and
    a non-zero exit."""
    env.setenv("MATCHMAKER_ENV", "production")
    env.setenv("MATCHMAKER_DEBUG", "true")
    env.setenv("MATCHMAKER_TESTING", "true")
    env.setenv("MATCHMAKER_SECRET_KEY", "changeme")
    env.setenv("MATCHMAKER_SESSION_COOKIE_SECURE", "false")
    env.setenv("MATCHMAKER_REMEMBER_COOKIE_SAMESITE", "None")
    env.setenv("MATCHMAKER_SEED_ALLOWED", "true")
    env.setenv("MATCHMAKER_METRICS_ALLOWED_IPS", "0.0.0.0/0")
    env.setenv("MATCHMAKER_MAIL_SERVER", "smtp.jl.example")
    env.setenv("WORKERS", "4")
    code, output = run()
    assert code == 1, output
    errors = {line.split()[1] for line in output.splitlines() if line.startswith("ERROR")}
    assert errors == {
        "debug",
        "testing",
        "secret_key",
        "session_cookie",
        "remember_cookie",
        "public_url",
        "rate_limits",
        "seed",
        "metrics",
    }, output
    assert "well-known example value" in output
    assert "each of 4 workers' memory" in output
    assert re.search(r"^WARNING\s+mail\s.*without TLS", output, re.M), output


@pytest.mark.parametrize(
    ("setting", "value", "check", "says"),
    [
        ("MATCHMAKER_SECRET_KEY", "too-short-but-random-9f3k", "secret_key", "at least 32"),
        ("MATCHMAKER_ENV", "development", "environment", "not production"),
        ("MATCHMAKER_PUBLIC_URL", "https://kjcg.jl.example/app?x", "public_url", "without a path"),
        ("MATCHMAKER_RATELIMIT_ENABLED", "false", "rate_limits", "rate limits are off"),
        ("MATCHMAKER_WTF_CSRF_ENABLED", "false", "csrf", "CSRF protection is off"),
        ("MATCHMAKER_SESSION_COOKIE_HTTPONLY", "false", "session_cookie", "HTTPONLY is off"),
        ("MATCHMAKER_SEALING_KEYS", "not-a-fernet-key", "sealing_keys", "not Fernet keys"),
    ],
)
def test_each_problem_alone_fails_the_check(env, setting, value, check, says):
    """SECURITY.md row 34 (v5.0.0-13.4.2): one unsafe setting in a sound configuration is enough."""
    sound(env)
    env.setenv(setting, value)
    code, output = run()
    assert code == 1, output
    assert re.search(rf"^ERROR\s+{check}\s.*{re.escape(says)}", output, re.M), output


def test_the_development_key_of_the_checkout_is_refused(env, tmp_path):
    """SECURITY.md row 34 (v5.0.0-13.3.1): the key `make run` wrote into instance/ is no
    production key, however long."""
    sound(env)
    dev_key = "d" + STRONG_KEY[::-1]
    (tmp_path / "dev-secret-key").write_text(dev_key)
    env.setenv("MATCHMAKER_SECRET_KEY", dev_key)
    code, output = run()
    assert code == 1
    assert "development key of this checkout" in output


def test_memory_limits_with_one_worker_or_plain_mail_to_localhost_only_warn(env):
    """SECURITY.md row 5: per-process limits are a warning, not an error, for one process;
    mail without TLS to this host is fine."""
    sound(env)
    env.delenv("MATCHMAKER_REDIS_URL")
    env.setenv("WORKERS", "1")
    env.setenv("MATCHMAKER_MAIL_SERVER", "localhost")
    env.setenv("MATCHMAKER_MAIL_USE_TLS", "false")
    code, output = run()
    assert code == 0, output
    assert re.search(r"^WARNING\s+rate_limits\s", output, re.M), output
    assert re.search(r"^ok\s+mail\s", output, re.M), output


def test_json_output_lists_the_findings(env):
    """SECURITY.md row 34: `--json` for a deployment pipeline."""
    sound(env)
    env.setenv("MATCHMAKER_DEBUG", "true")
    code, output = run("--json")
    assert code == 1
    report = json.loads(output)
    assert report["ok"] is False and report["errors"] == 1
    levels = {f["check"]: f["level"] for f in report["findings"]}
    assert levels["debug"] == "error" and levels["secret_key"] == "ok"
    assert set(report["findings"][0]) == {"level", "check", "message"}


def test_the_check_runs_where_the_app_would_refuse_to_start(env):
    """SECURITY.md row 34: it lists the problems create_app stops at one by one (no secret key
    yet, no public URL), instead of failing on the first."""
    env.setenv("MATCHMAKER_ENV", "production")
    code, output = run()
    assert code == 1
    assert "MATCHMAKER_SECRET_KEY is not set" in output
    assert "MATCHMAKER_PUBLIC_URL is not set" in output


# --- create_app refuses what must never run -----------------------------------------------------
def _production(tmp_path: Path, **overrides: object):  # noqa: ANN202
    settings: dict[str, object] = {
        "SECRET_KEY": STRONG_KEY,
        "PUBLIC_URL": PUBLIC,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        **overrides,
    }
    return create_app(Config, instance_path=str(tmp_path), **settings)


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("changeme", "well-known example value"),
        ("dev", "well-known example value"),
        ("test-only-secret-key", "well-known example value"),
        ("a-short-random-looking-key-7f2", "30 bytes long; at least 32"),
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path, env, secret, says):
    """SECURITY.md row 34 (v5.0.0-13.3.1): a guessable key forges sessions and reset tokens."""
    with pytest.raises(ConfigurationError, match=says):
        _production(tmp_path, SECRET_KEY=secret)


def test_production_refuses_the_checkouts_development_key(tmp_path, env):
    """SECURITY.md row 34 (v5.0.0-13.3.1)."""
    key = "k" + STRONG_KEY
    (tmp_path / "dev-secret-key").write_text(key)
    with pytest.raises(ConfigurationError, match="development key"):
        _production(tmp_path, SECRET_KEY=key)


def test_production_refuses_memory_limits_with_several_workers(tmp_path, env):
    """SECURITY.md row 5 (v5.0.0-6.3.1): N workers each counting in memory would allow N times
    every login limit; with Redis (or one worker) production starts."""
    env.setenv("WORKERS", "2")
    with pytest.raises(ConfigurationError, match="each of the 2 web workers"):
        _production(tmp_path)
    env.delenv("WORKERS")
    env.setenv("WEB_CONCURRENCY", "3")
    with pytest.raises(ConfigurationError, match="each of the 3 web workers"):
        _production(tmp_path)
    assert (
        _production(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
        .config["RATELIMIT_STORAGE_URI"]
        .startswith("redis://")
    )
    env.setenv("WEB_CONCURRENCY", "1")
    assert _production(tmp_path).config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_gunicorn_tells_the_app_its_worker_count(tmp_path, monkeypatch):
    """SECURITY.md row 5: `make serve`'s settings put WORKERS into gunicorn's environment (set
    before the app is loaded), where create_app reads it."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prometheus"))
    monkeypatch.setenv("WORKERS", "3")
    import matchmaker.gunicorn_conf as module

    module = importlib.reload(module)
    assert module.workers == 3
    assert module.raw_env == ["WORKERS=3"]


@pytest.mark.slow  # a real gunicorn master loading the app: a few seconds
@pytest.mark.parametrize(
    ("workers_env", "cli"),
    [(None, []), ("1", ["--workers", "2"])],
    ids=["WORKERS", "--workers"],
)
def test_gunicorn_refuses_to_serve_memory_limits_with_two_workers(tmp_path, env, workers_env, cli):
    """SECURITY.md row 5 (v5.0.0-6.3.1): `make serve` without MATCHMAKER_REDIS_URL stops at
    start with the reason, instead of serving with limits per worker; a `--workers 2` on the
    command line too, though WORKERS says 1 (gunicorn_conf.on_starting)."""
    if workers_env is not None:
        env.setenv("WORKERS", workers_env)
    environment = {
        **os.environ,
        "MATCHMAKER_ENV": "production",
        "MATCHMAKER_SECRET_KEY": STRONG_KEY,
        "MATCHMAKER_PUBLIC_URL": PUBLIC,
        "MATCHMAKER_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'g.sqlite3'}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - gunicorn from this venv
        [sys.executable, "-m", "gunicorn", "-c", "python:matchmaker.gunicorn_conf", *cli]
        + ["--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0, done.stderr
    assert "each of the 2 web workers" in done.stderr
    assert time.monotonic() - started < 120
