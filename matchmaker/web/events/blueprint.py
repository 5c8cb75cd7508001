"""The events blueprint (mounted at /events)."""

from flask import Blueprint

bp = Blueprint("events", __name__)
