"""Schemas of the challenges area's API operations."""

from __future__ import annotations
