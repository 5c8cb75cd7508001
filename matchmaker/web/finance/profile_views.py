"""Routes of the 科技金融 blueprint: profile area."""

from __future__ import annotations

from matchmaker.web.finance.blueprint import bp  # noqa: F401
