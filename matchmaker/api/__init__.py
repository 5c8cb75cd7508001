"""JSON API v1 (issue 15): flask-smorest over the same services as the web pages.

`init_api(app)` registers the blueprint at /api/v1 and builds the OpenAPI 3.1 document from the
marshmallow schemas that validate requests and describe responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

URL_PREFIX = "/api/v1"
EXTENSION = "matchmaker_api"


def init_api(app: Flask) -> None:
    """Bind a flask-smorest Api to the app and register the v1 blueprint on it."""
    import flask_smorest

    from matchmaker import __version__
    from matchmaker.api.errors import MalformedRequests
    from matchmaker.api.schemas import ErrorSchema, decimal_as_string
    from matchmaker.api.views import bp
    from matchmaker.extensions import csrf

    class Api(flask_smorest.Api):
        """The app's own error pages and policy stay in charge: no handlers, no doc blueprint;
        errors are described by our schema ({code, message, fields})."""

        ERROR_SCHEMA = ErrorSchema
        DEFAULT_ERROR_RESPONSE_NAME = None

        def _register_error_handlers(self) -> None:
            return None

        def _register_doc_blueprint(self) -> None:
            return None

    app.config.setdefault("API_TITLE", "Matchmaker API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "The Jilin technology market's open API (issue 15). "
                "Authenticate with `Authorization: Bearer <token>`; see /api/v1/docs.",
                "x-app-version": __version__,
            },
            "servers": [{"url": "/"}],
        },
    )
    api: Any = Api(app, spec_kwargs={"extra_plugins": [MalformedRequests()]})
    api.ma_plugin.converter.add_attribute_function(decimal_as_string)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "A personal access token."}
    )
    api.register_blueprint(bp, url_prefix=URL_PREFIX)
    csrf.exempt(bp)  # bearer tokens only: a cookie never authenticates an API call
    app.extensions[EXTENSION] = api
