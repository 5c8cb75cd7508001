"""Event pages (filled in by the events work)."""

from __future__ import annotations
