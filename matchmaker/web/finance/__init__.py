"""科技金融: firm profiles and consent, the innovation score, the bank's firm browser,
loan products, financing needs, leads and 银企对接 events (all under /finance)."""

from matchmaker.web.finance import (  # noqa: F401  (each module adds its routes to bp)
    bank_views,
    credit_views,
    event_views,
    lead_views,
    meeting_views,
    profile_views,
)
from matchmaker.web.finance.blueprint import bp

__all__ = ["bp"]
