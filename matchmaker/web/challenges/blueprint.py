"""The 揭榜挂帅 blueprint object (its views live in the sibling modules, one per area)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("challenges", __name__)
