"""The 科技金融 panels of each role's dashboard (the context their templates read)."""

from __future__ import annotations

from typing import Any

from matchmaker.permissions import Permission, has_permission
from matchmaker.web.finance import panels_credit, panels_profile


def finance_panel(user: Any) -> dict[str, Any]:
    """What the dashboard's 科技金融 panel shows for this user (empty: no panel)."""
    if has_permission(user, Permission.FIRM_PROFILE):
        return panels_profile.enterprise_panel(user)
    if has_permission(user, Permission.LOAN_PRODUCT):
        return panels_credit.bank_panel(user)
    if has_permission(user, Permission.FINANCE_STATS):
        return panels_credit.admin_panel()
    return {}
