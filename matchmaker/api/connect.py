"""API operations of the connect area (issue 15): see api/common.py for the conventions."""

from __future__ import annotations

from matchmaker.api.common import bp  # noqa: F401 - operations register on it
