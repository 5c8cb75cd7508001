"""The amount field of the 科技金融 forms: the one shared by every form (web/fields.py)."""

from __future__ import annotations

from matchmaker.web.fields import STORED_PLACES, AmountField, Wan

__all__ = ["STORED_PLACES", "AmountField", "Wan"]
