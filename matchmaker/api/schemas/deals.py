"""Schemas of the deals area's API operations."""

from __future__ import annotations
