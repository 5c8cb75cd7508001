"""The pipeline blueprint object (its views live in views.py and deal_views.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pipeline", __name__)
