"""The 开放数据 page (filled in by the open data work)."""

from __future__ import annotations
