"""Configuration classes; every key can be overridden by a MATCHMAKER_* environment variable."""

from __future__ import annotations

import os
from datetime import timedelta


class Config:
    """Production defaults: secure cookies, no debug, SQLite in the instance folder."""

    ENV_NAME = "production"
    DEBUG = False
    TESTING = False
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: sqlite:///<instance>/matchmaker.sqlite3
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_NAME = "__Host-remember"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_TIMEOUT = 30 * 60  # seconds without a request before re-authentication
    SESSION_ABSOLUTE_TIMEOUT = 12 * 3600  # seconds after login before re-authentication

    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    ATTACHMENT_DIR: str | None = None  # default: <instance>/attachments
    # Stored files and index artifacts (services/platform/storage.py, docs/deploy.md):
    STORAGE_URL: str | None = None  # file:///path or s3://bucket/prefix; default: the instance
    S3_ENDPOINT_URL: str | None = None  # MinIO, Ceph…; unset: AWS
    S3_REGION: str | None = None
    S3_ACCESS_KEY_ID: str | None = None  # unset: the standard AWS chain (AWS_ACCESS_KEY_ID…)
    S3_SECRET_ACCESS_KEY: str | None = None
    RECOMMENDER_CACHE_DIR: str | None = None  # this host's index copies; <instance>/recommender
    IMPORT_MAX_BYTES = 5 * 1024 * 1024
    IMPORT_MAX_ROWS = 2000
    # Malware scan of uploads (services/platform/scanning.py, docs/deploy.md): clamd's socket,
    # and what happens to an upload no scanner checked: "quarantine" (held until an admin
    # releases it) or "accept-with-warning" (served, marked unscanned, listed for the admins).
    CLAMD_SOCKET: str | None = None  # /run/clamav/clamd.ctl
    CLAMD_URL: str | None = None  # tcp://clamav:3310 or unix:///path (CLAMD_SOCKET wins)
    CLAMD_TIMEOUT = 30.0  # seconds per socket operation
    UPLOAD_SCAN_FALLBACK = "quarantine"
    PREFERRED_URL_SCHEME = "https"
    # The site's public address (https://kjcg.jl.example): every link that leaves the site (mail)
    # is built from it, never from the Host header; production refuses to start without it
    # (services/platform/links.py). Unset: <PREFERRED_URL_SCHEME>://<SERVER_NAME> if that is set
    # (older deployments), else http://localhost:5000 outside production.
    PUBLIC_URL: str | None = None
    # Host names a request may name (Flask 3.1); production default: PUBLIC_URL's host alone
    TRUSTED_HOSTS: list[str] | None = None
    SERVER_NAME: str | None = None  # deprecated for links: use PUBLIC_URL
    PROXY_FIX_X_FOR = 0  # number of trusted proxies in front of the app

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")

    REDIS_URL: str | None = None  # rate limits, caches, change notifications (docs/deploy.md)
    REDIS_KEY_PREFIX = "mm"  # of every key this deployment writes (limits too)
    PAGE_CACHE_SECONDS = 60  # visitors' public pages kept in Redis (web/page_cache.py); 0: off
    RATELIMIT_STORAGE_URI = "memory://"  # REDIS_URL, when set, takes its place
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    # Failed logins (services/accounts/login_guard.py): per client address; per account from
    # one address (the owner elsewhere is never locked out); per account from any address
    # before it is guarded (a correct password then needs the second factor or an e-mailed link)
    LOGIN_LIMIT_PER_IP = "20 per minute;200 per day"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;50 per day"
    LOGIN_GUARD_THRESHOLD = "10 per 10 minutes"
    # Mail and registration quotas (services/accounts/mail_throttle.py, docs/security.md §4.9)
    INVITE_LIMIT_PER_ADDRESS = "3 per day"  # invitations from one organisation to one address
    INVITE_LIMIT_PER_ORGANISATION = "20 per day"  # invitations from one organisation in all
    CHALLENGE_INVITE_LIMIT_PER_ORGANISATION = "50 per day"  # organisations invited to challenges
    SIGNUP_NOTICE_LIMIT_PER_ADDRESS = "3 per day"  # "someone tried to register" notices
    PASSWORD_RESET_LIMIT_PER_ADDRESS = "3 per hour"  # noqa: S105 - a quota, not a password
    REGISTER_LIMIT_PER_IP = "10 per hour;50 per day"  # registration posts (both pages)
    LOGIN_LINK_MAX_AGE = 15 * 60  # seconds an e-mailed single-use sign-in link works
    # Second factor (TOTP, services/accounts/mfa.py): roles that must use it; wrong codes allowed
    MFA_REQUIRED_ROLES = ("admin", "bank")
    MFA_ATTEMPT_LIMIT = "5 per 10 minutes"
    MFA_PENDING_MAX_AGE = 5 * 60  # seconds between the password and the code step
    # Keys that seal TOTP seeds in the database (services/platform/sealing.py, docs/security.md
    # §4.11): Fernet keys, comma-separated, the first seals and all open (`matchmaker users
    # new-sealing-key`). Unset: derived from SECRET_KEY (and SECRET_KEY_FALLBACKS).
    SEALING_KEYS: str | None = None

    # /metrics (Prometheus): a bearer token, or these addresses/networks (docs/deploy.md)
    METRICS_TOKEN: str | None = None
    METRICS_ALLOWED_IPS = "127.0.0.1, ::1"

    MAIL_SERVER: str | None = None  # unset: mail is written to the log instead of sent
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "matchmaker <noreply@matchmaker.localhost>"
    PASSWORD_RESET_MAX_AGE = 3600
    INVITATION_MAX_AGE_DAYS = 14
    PANEL_INVITATION_MAX_AGE_DAYS = 7  # a challenge's review-panel invitation link

    SEED_ALLOWED = False  # `seed demo` needs --force when this is False
    RECOMMENDER_CHECK_SECONDS = 1.0  # how often a worker looks for a new index generation
    ENQUIRY_DAILY_CAP = 20  # 对接请求 an organisation may send per China day


class DevelopmentConfig(Config):
    """`make run`: plain-HTTP cookies, demo data allowed, a per-checkout secret key."""

    ENV_NAME = "development"
    DEBUG = True
    SESSION_COOKIE_NAME = "mm_session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "mm_remember"
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"
    SEED_ALLOWED = True
    UPLOAD_SCAN_FALLBACK = "accept-with-warning"  # no clamd on a laptop: logged, not held


class TestConfig(DevelopmentConfig):
    """pytest: CSRF off (a dedicated test turns it back on), fast hashing, in-memory limits."""

    ENV_NAME = "testing"
    DEBUG = False
    TESTING = True
    SECRET_KEY = "test-only-secret-key"  # noqa: S105 - TestConfig is never used outside pytest
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    RECOMMENDER_CHECK_SECONDS = 0.0
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    MAIL_SUPPRESS_SEND = False


CONFIGS: dict[str, type[Config]] = {
    "production": Config,
    "development": DevelopmentConfig,
    "testing": TestConfig,
}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by MATCHMAKER_ENV (default: production)."""
    name = os.environ.get("MATCHMAKER_ENV", "production").strip().lower()
    if name not in CONFIGS:
        raise RuntimeError(f"MATCHMAKER_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}.")
    return CONFIGS[name]
