"""The bureau blueprint (mounted at /bureau)."""

from flask import Blueprint

bp = Blueprint("bureau", __name__)
