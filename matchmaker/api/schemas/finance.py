"""Schemas of the finance area's API operations."""

from __future__ import annotations
