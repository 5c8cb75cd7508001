"""`/metrics` (Prometheus text format, not public) and the hooks that time every request."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, g, request
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from matchmaker import ConfigurationError
from matchmaker.services.platform import metrics
from matchmaker.web.policy import public

bp = Blueprint("metrics", __name__)


@bp.record_once
def _check_config(state: BlueprintSetupState) -> None:
    """A wrong METRICS_ALLOWED_IPS stops the start, not each scrape."""
    try:
        metrics.allowed_networks(state.app.config)
    except ValueError as error:
        raise ConfigurationError(
            f"METRICS_ALLOWED_IPS: {error} (addresses or networks such as 10.0.0.0/8, "
            "separated by commas)"
        ) from error


@bp.before_app_request
def start_timer() -> None:
    g.metrics_started = time.perf_counter()


@bp.after_app_request
def observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        metrics.observe_request(
            request.endpoint,
            request.method,
            response.status_code,
            time.perf_counter() - started,
        )
    return response


@bp.get("/metrics")
@public  # guarded below: a bearer token or an allowed address (docs/deploy.md, Metrics)
def metrics_view() -> Response:
    """Every figure in the Prometheus text format: request latencies of all workers, the job
    backlog and the index generation (the last two read from the database now)."""
    allowed = metrics.scrape_allowed(
        current_app.config,
        authorization=request.headers.get("Authorization"),
        remote_addr=request.remote_addr,
        proxied="X-Forwarded-For" in request.headers,
    )
    if not allowed:
        abort(403)
    return Response(metrics.render(), mimetype=None, content_type=metrics.CONTENT_TYPE)
