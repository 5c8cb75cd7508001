"""The 对接 funnel panels: a listing's own funnel for its owner, the platform's for the admin."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from matchmaker.models import Listing
from matchmaker.models.enquiry import FUNNEL_LABELS
from matchmaker.services.connect import funnel
from matchmaker.services.platform import taxonomy
from matchmaker.web.i18n import select_locale
from matchmaker.web.ids import to_id

#: The default range: this month and the five before it.
DEFAULT_MONTHS = 6
#: The widest range one page shows (the table has a row per month and field).
MAX_MONTHS = 36
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _labels() -> dict[str, object]:
    return {str(step): label for step, label in FUNNEL_LABELS.items()}


def owner_funnel(listing: Listing) -> dict[str, Any]:
    """The owner's panel: each step's count on this listing."""
    counts = funnel.listing_funnel(listing)
    return {"counts": counts, "stages": funnel.stages(counts), "labels": _labels()}


def _month(value: str | None) -> date | None:
    match = _MONTH.match(value or "")
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return _add_months(month, 1) - timedelta(days=1)


def admin_funnel(args: MultiDict[str, str]) -> dict[str, Any]:
    """The admin's panel: the platform's funnel per month and field, filtered by a month range
    (funnel_from, funnel_to as YYYY-MM) and a field (funnel_field)."""
    this_month = funnel.china_day().replace(day=1)
    end = _month(args.get("funnel_to")) or this_month
    start = _month(args.get("funnel_from")) or _add_months(end, 1 - DEFAULT_MONTHS)
    if start > end:
        start, end = end, start
    start = max(start, _add_months(end, 1 - MAX_MONTHS))
    fields = taxonomy.field_choices(select_locale())
    field_id = to_id(args.get("funnel_field"))
    if field_id not in {fid for fid, _label in fields}:
        field_id = None
    rows = funnel.platform_funnel(start=start, end=_month_end(end), field_id=field_id)
    counts = funnel.totals(rows)
    return {
        "rows": rows,
        "totals": counts,
        "stages": funnel.stages(counts),
        "labels": _labels(),
        "steps": [step.value for step in funnel.STEPS],
        "field_names": dict(fields),
        "fields": fields,
        "field_id": field_id,
        "start": start.strftime("%Y-%m"),
        "end": end.strftime("%Y-%m"),
    }
