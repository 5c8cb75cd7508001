"""The bank's and the bureau's 科技金融 dashboard panels (leads, products, lending figures)."""

from __future__ import annotations

from typing import Any


def bank_panel(user: Any) -> dict[str, Any]:
    """Context for templates/finance/_panel_bank.html."""
    return {}


def admin_panel() -> dict[str, Any]:
    """Context for templates/finance/_panel_admin.html."""
    return {}
