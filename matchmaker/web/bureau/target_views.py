"""The city's targets, edited by the admin (filled in by the dashboard work)."""

from __future__ import annotations
