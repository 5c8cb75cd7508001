"""Schemas of the connect area's API operations."""

from __future__ import annotations
