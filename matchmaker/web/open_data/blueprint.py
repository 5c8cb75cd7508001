"""The open data blueprint (mounted at /open-data)."""

from flask import Blueprint

bp = Blueprint("open_data", __name__)
