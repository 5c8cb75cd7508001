"""The 科技金融 blueprint object (its views live in the sibling modules, one per area)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("finance", __name__)
