"""The bank's and the bureau's 科技金融 dashboard panels (leads, products, lending figures)."""

from __future__ import annotations

from typing import Any

from matchmaker.permissions import can_publish
from matchmaker.services.finance import finance_stats


def bank_panel(user: Any) -> dict[str, Any]:
    """Context for templates/finance/_panel_bank.html."""
    if not user.organisation_id:
        return {}
    return {
        "bank": finance_stats.bank_overview(user.organisation_id),
        "consenting_firms": finance_stats.consenting_firm_count(),
        "verified": can_publish(user),
    }


def admin_panel() -> dict[str, Any]:
    """Context for templates/finance/_panel_admin.html."""
    return {"overview": finance_stats.overview()}
