"""The enterprise's 科技金融 dashboard panel (profile, score, consent, lead requests)."""

from __future__ import annotations

from typing import Any


def enterprise_panel(user: Any) -> dict[str, Any]:
    """Context for templates/finance/_panel_enterprise.html."""
    return {}
