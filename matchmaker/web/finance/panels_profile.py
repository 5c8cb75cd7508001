"""The enterprise's 科技金融 dashboard panel (profile, score, consent, bank views)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from matchmaker.models.base import utcnow
from matchmaker.services.finance import consent, firm_profiles

#: The window of the "banks' views" count on the card.
VIEW_WINDOW_DAYS = 30


def enterprise_panel(user: Any) -> dict[str, Any]:
    """Context for templates/finance/_panel_enterprise.html."""
    org_id = user.organisation_id
    if org_id is None:
        return {}
    profile = firm_profiles.profile_of(org_id)
    since = utcnow() - timedelta(days=VIEW_WINDOW_DAYS)
    return {
        "profile": profile,
        "completeness": firm_profiles.completeness(profile),
        "grant": consent.live_grant(org_id),
        "views_30d": consent.view_count_since(org_id, since),
        "view_window_days": VIEW_WINDOW_DAYS,
    }
