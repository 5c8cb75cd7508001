"""The bureau's dashboard."""

from __future__ import annotations

from flask import render_template

from matchmaker.permissions import Permission
from matchmaker.web.bureau.blueprint import bp
from matchmaker.web.policy import permission_required


@bp.get("/")
@permission_required(Permission.STATS_VIEW)
def dashboard() -> str:
    """Figures against the city's targets (filled in by the dashboard work)."""
    return render_template("bureau/dashboard.html")
