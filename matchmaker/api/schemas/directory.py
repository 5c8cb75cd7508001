"""Schemas of the directory area's API operations."""

from __future__ import annotations
