"""`matchmaker security-check`: the production configuration's security settings, checked
before the site is started (SECURITY.md row 34, v5.0.0-13.4.2 and 15.2.3).

The configuration is loaded as create_app loads it (the class named by MATCHMAKER_ENV, then the
MATCHMAKER_* environment), without starting the app (which refuses some of these itself), and
every problem is listed: an error makes the command exit 1, a warning does not. `--json`
prints the findings as one JSON object.

The same rules for the secret key serve create_app, which refuses to start production with a
weak one (`secret_key_problem`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

#: Bytes a secret key needs at least (256 bits, as `secrets.token_urlsafe(48)` gives 64 chars).
MIN_SECRET_BYTES = 32
#: Values seen in examples and tutorials: never a production key, whatever their length.
KNOWN_WEAK_SECRETS = frozenset(
    {
        "dev",
        "development",
        "changeme",
        "change-me",
        "change_me",
        "please-change-me",
        "secret",
        "secret-key",
        "secret_key",
        "mysecret",
        "supersecret",
        "test",
        "testing",
        "password",
        "test-only-secret-key",  # TestConfig's
        "replace-me-with-a-long-random-value",
        "your-secret-key",
        "your-secret-key-here",
        "flask-secret-key",
        "matchmaker",
    }
)
#: Mail servers on this host: plain SMTP to them never crosses a network.
LOCAL_MAIL_SERVERS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class Finding:
    """One line of the report: `level` is "ok", "warning" or "error"."""

    level: str
    check: str
    message: str


def secret_key_problem(secret: object, *, instance_path: str | None = None) -> str | None:
    """Why a secret key is not fit for production, or None when it is: missing, shorter than
    MIN_SECRET_BYTES, a known example value, or the development key of this checkout."""
    if not secret:
        return "MATCHMAKER_SECRET_KEY is not set"
    text = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else str(secret)
    if text.strip().lower() in KNOWN_WEAK_SECRETS:
        return "MATCHMAKER_SECRET_KEY is a well-known example value"
    if len(text.encode()) < MIN_SECRET_BYTES:
        return (
            f"MATCHMAKER_SECRET_KEY is {len(text.encode())} bytes long; "
            f"at least {MIN_SECRET_BYTES} are needed"
        )
    if instance_path:
        dev_key = Path(instance_path) / "dev-secret-key"
        if dev_key.is_file() and dev_key.read_text().strip() == text:
            return "MATCHMAKER_SECRET_KEY is the development key of this checkout (instance/)"
    return None


def weak_secret_error(secret: object, *, instance_path: str | None = None) -> str | None:
    """The message create_app refuses production with, or None."""
    problem = secret_key_problem(secret, instance_path=instance_path)
    if problem is None:
        return None
    return (
        f"{problem}. Set it to a long random value "
        '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
    )


def load_config() -> tuple[dict[str, Any], str]:
    """The configuration as create_app would load it, and the instance folder."""
    from flask import Config as FlaskConfig

    from matchmaker import ROOT
    from matchmaker.config import config_from_env

    config = FlaskConfig(str(ROOT))
    config.from_object(config_from_env())
    config.from_prefixed_env("MATCHMAKER")
    instance = os.environ.get("MATCHMAKER_INSTANCE_PATH") or str(ROOT / "instance")
    return dict(config), instance


def check(
    config: Mapping[str, Any], *, workers: int | None, instance_path: str | None = None
) -> list[Finding]:
    """Every finding about a production configuration, in a fixed order."""
    found: list[Finding] = []

    def say(level: str, name: str, message: str) -> None:
        found.append(Finding(level, name, message))

    env = str(config.get("ENV_NAME", "production"))
    if env == "production":
        say("ok", "environment", "MATCHMAKER_ENV is production")
    else:
        say("error", "environment", f"MATCHMAKER_ENV is {env}, not production")
    for name in ("DEBUG", "TESTING"):
        if config.get(name):
            say("error", name.lower(), f"{name} is on (MATCHMAKER_{name})")
        else:
            say("ok", name.lower(), f"{name} is off")
    _check_secret(config, instance_path, say)
    _check_sealing(config, say)
    _check_cookies(config, say)
    if config.get("WTF_CSRF_ENABLED", True):
        say("ok", "csrf", "CSRF protection is on")
    else:
        say("error", "csrf", "CSRF protection is off (MATCHMAKER_WTF_CSRF_ENABLED)")
    _check_public_url(config, say)
    _check_rate_limits(config, workers, say)
    if config.get("SEED_ALLOWED"):
        say("error", "seed", "SEED_ALLOWED is on: `seed demo` would load demo accounts")
    else:
        say("ok", "seed", "demo data needs --force")
    _check_metrics(config, say)
    _check_mail(config, say)
    return found


def _check_secret(config: Mapping[str, Any], instance_path: str | None, say: Any) -> None:
    secret = config.get("SECRET_KEY")
    problem = secret_key_problem(secret, instance_path=instance_path)
    if problem is not None:
        say("error", "secret_key", problem)
    elif len(set(str(secret))) < 10:
        say("warning", "secret_key", "MATCHMAKER_SECRET_KEY has fewer than 10 distinct characters")
    else:
        say("ok", "secret_key", "MATCHMAKER_SECRET_KEY is long and not a known value")


def _check_sealing(config: Mapping[str, Any], say: Any) -> None:
    """The keys that seal TOTP seeds (services/platform/sealing.py)."""
    from matchmaker.services.platform.sealing import configured_keys

    if not config.get("SEALING_KEYS"):
        say(
            "warning",
            "sealing_keys",
            "MATCHMAKER_SEALING_KEYS is not set: TOTP seeds are sealed with a key derived from "
            "the secret key; changing it without SECRET_KEY_FALLBACKS makes them unreadable",
        )
        return
    try:
        count = len(configured_keys(config))
    except (ValueError, TypeError) as error:
        say("error", "sealing_keys", f"MATCHMAKER_SEALING_KEYS: not Fernet keys ({error})")
        return
    say("ok", "sealing_keys", f"TOTP seeds are sealed with their own key ({count} configured)")


def _check_cookies(config: Mapping[str, Any], say: Any) -> None:
    for cookie in ("SESSION", "REMEMBER"):
        wrong = []
        if not config.get(f"{cookie}_COOKIE_SECURE"):
            wrong.append(f"{cookie}_COOKIE_SECURE is off")
        if not config.get(f"{cookie}_COOKIE_HTTPONLY", True):
            wrong.append(f"{cookie}_COOKIE_HTTPONLY is off")
        samesite = str(config.get(f"{cookie}_COOKIE_SAMESITE") or "").capitalize()
        if samesite not in ("Lax", "Strict"):
            wrong.append(f"{cookie}_COOKIE_SAMESITE is {samesite or 'unset'}, not Lax or Strict")
        name = str(config.get(f"{cookie}_COOKIE_NAME") or "")
        label = f"{cookie.lower()}_cookie"
        if wrong:
            say("error", label, "; ".join(wrong))
        elif not name.startswith("__Host-"):
            say("warning", label, f"the {cookie.lower()} cookie {name!r} has no __Host- prefix")
        else:
            say("ok", label, f"the {cookie.lower()} cookie is Secure, HttpOnly, SameSite")


def _check_public_url(config: Mapping[str, Any], say: Any) -> None:
    from matchmaker.services.platform.links import parse_public_url

    given = config.get("PUBLIC_URL")
    if not given and config.get("SERVER_NAME"):
        given = f"{config.get('PREFERRED_URL_SCHEME') or 'https'}://{config['SERVER_NAME']}"
    if not given:
        say("error", "public_url", "MATCHMAKER_PUBLIC_URL is not set (links in e-mails)")
        return
    try:
        url = parse_public_url(str(given))
    except ValueError as error:
        say("error", "public_url", f"MATCHMAKER_PUBLIC_URL: {error}")
        return
    if url.startswith("http://"):
        say("warning", "public_url", f"{url} is not https: links in e-mails go over plain HTTP")
    else:
        say("ok", "public_url", f"links in e-mails start with {url}")
    hosts = config.get("TRUSTED_HOSTS")
    if hosts is not None and not hosts:
        say("warning", "trusted_hosts", "TRUSTED_HOSTS is empty: any Host header is accepted")


def _check_rate_limits(config: Mapping[str, Any], workers: int | None, say: Any) -> None:
    from matchmaker.services.platform.kv import limit_storage

    if not config.get("RATELIMIT_ENABLED", True):
        say("error", "rate_limits", "rate limits are off (MATCHMAKER_RATELIMIT_ENABLED)")
        return
    storage = limit_storage(config)
    if not storage.startswith("memory://"):
        say("ok", "rate_limits", f"rate limits are counted in {urlsplit(storage).scheme}")
    elif workers is not None and workers > 1:
        say(
            "error",
            "rate_limits",
            f"rate limits are counted in each of {workers} workers' memory: "
            "set MATCHMAKER_REDIS_URL",
        )
    else:
        say(
            "warning",
            "rate_limits",
            "rate limits are counted in this process's memory: every host (and worker) counts "
            "alone; set MATCHMAKER_REDIS_URL",
        )


def _check_metrics(config: Mapping[str, Any], say: Any) -> None:
    from matchmaker.services.platform.metrics import allowed_networks

    try:
        networks = allowed_networks(config)
    except ValueError as error:
        say("error", "metrics", f"METRICS_ALLOWED_IPS: {error}")
        return
    if any(network.prefixlen == 0 for network in networks):
        say("error", "metrics", "METRICS_ALLOWED_IPS lets every address read /metrics")
    elif public := [str(n) for n in networks if not (n.is_private or n.is_loopback)]:
        say("warning", "metrics", f"public addresses may read /metrics: {', '.join(public)}")
    else:
        say("ok", "metrics", "/metrics: a token or private addresses only")
    token = config.get("METRICS_TOKEN")
    if token and len(str(token)) < 24:
        say("warning", "metrics_token", "METRICS_TOKEN is shorter than 24 characters")


def _check_mail(config: Mapping[str, Any], say: Any) -> None:
    server = str(config.get("MAIL_SERVER") or "")
    if not server:
        say("warning", "mail", "MAIL_SERVER is not set: mail (reset links too) goes to the log")
        return
    local = server.lower() in LOCAL_MAIL_SERVERS
    if not local:
        try:
            local = ipaddress.ip_address(server).is_loopback
        except ValueError:
            local = False
    if config.get("MAIL_USE_TLS") or config.get("MAIL_USE_SSL") or local:
        say("ok", "mail", f"mail to {server} is encrypted or stays on this host")
    else:
        say("warning", "mail", f"mail to {server} is sent without TLS (MAIL_USE_TLS)")


@click.command("security-check")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def security_check(as_json: bool) -> None:
    """Check the production configuration's security settings; exit 1 on any error."""
    from matchmaker.services.platform.kv import web_workers

    config, instance = load_config()
    found = check(config, workers=web_workers(), instance_path=instance)
    errors = [f for f in found if f.level == "error"]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": not errors,
                    "errors": len(errors),
                    "warnings": sum(f.level == "warning" for f in found),
                    "findings": [asdict(f) for f in found],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        width = max(len(f.check) for f in found)
        for finding in found:
            label = {"ok": "ok", "warning": "WARNING", "error": "ERROR"}[finding.level]
            click.echo(f"{label:<8} {finding.check:<{width}}  {finding.message}")
        click.echo(
            f"{len(errors)} errors, {sum(f.level == 'warning' for f in found)} warnings."
            if errors
            else "ok: no errors."
        )
    if errors:
        sys.exit(1)
