"""matchmaker: the Jilin technology market. create_app() and its register_* helpers only."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the pure recommender package must import without Flask
    from flask import Flask

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The application cannot start with this configuration."""


def create_app(
    config: type | None = None, *, instance_path: str | None = None, **overrides: Any
) -> Flask:
    """Build the application: config, extensions, blueprints, error handlers, commands."""
    import os

    from flask import Flask

    from matchmaker.config import config_from_env

    instance_path = (
        instance_path or os.environ.get("MATCHMAKER_INSTANCE_PATH") or str(ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(config or config_from_env())
    app.config.from_prefixed_env("MATCHMAKER")
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_defaults(app)
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_hooks(app)
    register_commands(app)
    return app


def configure_defaults(app: Flask) -> None:
    """Fill in the database URL; in production refuse to run without a strong secret key or a
    public URL (`matchmaker security-check` lists every such problem at once)."""
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_path = Path(app.instance_path) / "matchmaker.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    if not app.config.get("SECRET_KEY"):
        if app.config.get("ENV_NAME", "production") == "production":
            raise ConfigurationError(
                "MATCHMAKER_SECRET_KEY is not set. Set it to a long random value "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))"), '
                "or use MATCHMAKER_ENV=development for a local development server."
            )
        key_file = Path(app.instance_path) / "dev-secret-key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if app.config.get("ENV_NAME", "production") == "production":
        from matchmaker.cli.security import weak_secret_error

        weak = weak_secret_error(app.config["SECRET_KEY"], instance_path=app.instance_path)
        if weak is not None:  # SECURITY.md row 34: a guessable key forges sessions and tokens
            raise ConfigurationError(weak)
    from matchmaker.services.platform.links import configure as configure_links

    configure_links(app)  # PUBLIC_URL for links in e-mails, TRUSTED_HOSTS (SECURITY.md row 8)
    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1, x_host=1
        )


def register_logging(app: Flask) -> None:
    """JSON log lines on stderr for the matchmaker loggers."""
    from matchmaker.logs import configure_logging

    configure_logging(app)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from matchmaker import models  # noqa: F401 - every table must be known to the metadata
    from matchmaker.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
    from matchmaker.web.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    mail.init_app(app)
    from matchmaker.services.platform.kv import configure_rate_limits

    configure_rate_limits(app)  # Redis when REDIS_URL is set, and its fallback (docs/deploy.md)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Import and register every blueprint (imported here to keep start-up order explicit)."""
    from matchmaker.web.account.views import bp as account_bp
    from matchmaker.web.admin.views import bp as admin_bp
    from matchmaker.web.alerts.views import bp as alerts_bp
    from matchmaker.web.auth.views import bp as auth_bp
    from matchmaker.web.brokers import bp as brokers_bp
    from matchmaker.web.bureau import bp as bureau_bp
    from matchmaker.web.challenges import bp as challenges_bp
    from matchmaker.web.connect import bp as connect_bp
    from matchmaker.web.events import bp as events_bp
    from matchmaker.web.excel.views import bp as excel_bp
    from matchmaker.web.finance import bp as finance_bp
    from matchmaker.web.ids import IdConverter
    from matchmaker.web.listings.views import bp as listings_bp
    from matchmaker.web.main.views import bp as main_bp
    from matchmaker.web.market.views import bp as market_bp
    from matchmaker.web.matching.views import bp as matching_bp
    from matchmaker.web.metrics.views import bp as metrics_bp
    from matchmaker.web.notifications.views import bp as notifications_bp
    from matchmaker.web.open_data import bp as open_data_bp
    from matchmaker.web.org.views import bp as org_bp
    from matchmaker.web.pipeline import bp as pipeline_bp
    from matchmaker.web.review.views import bp as review_bp
    from matchmaker.web.talent.views import bp as talent_bp

    app.url_map.converters["int"] = IdConverter  # every <int:...> is an id; before any rule
    app.register_blueprint(metrics_bp)  # first: its hooks time every request (/metrics)
    app.register_blueprint(main_bp)
    app.register_blueprint(market_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(listings_bp, url_prefix="/my")
    app.register_blueprint(pipeline_bp, url_prefix="/my")
    app.register_blueprint(review_bp, url_prefix="/admin/review")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(org_bp, url_prefix="/organisation")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(excel_bp, url_prefix="/excel")
    app.register_blueprint(alerts_bp)
    app.register_blueprint(challenges_bp)
    app.register_blueprint(finance_bp, url_prefix="/finance")
    app.register_blueprint(connect_bp, url_prefix="/connect")
    app.register_blueprint(talent_bp)
    app.register_blueprint(brokers_bp)
    app.register_blueprint(bureau_bp, url_prefix="/bureau")
    app.register_blueprint(events_bp, url_prefix="/events")
    app.register_blueprint(open_data_bp, url_prefix="/open-data")

    from matchmaker.api import init_api

    init_api(app)  # JSON API v1 at /api/v1 (flask-smorest)


def register_errorhandlers(app: Flask) -> None:
    """HTML error pages in the user's language; no tracebacks."""
    from matchmaker.web.errors import register

    register(app)


def register_hooks(app: Flask) -> None:
    """Request hooks: access policy, session timeouts, security headers, template helpers."""
    from matchmaker.web.hooks import register

    register(app)


def register_commands(app: Flask) -> None:
    """Click groups of the `matchmaker` console script."""
    from matchmaker.cli import register

    register(app)
