"""The one way dates and times are written for people, in both languages: ISO 8601 in China time.

"2026-12-03", "2026-12-03 14:05", "14:05": unambiguous in Chinese and English alike (never the
US short form "12/3/26"). Stored timestamps are UTC (naive ones are read as UTC); they are shown
in China Standard Time, where everyone on the platform lives.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from matchmaker.models.base import CHINA

#: What an empty date or time shows.
NONE = "—"


def china_time(value: datetime) -> datetime:
    """A timestamp in China time (a naive one is taken to be UTC, as stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA)


def format_date(value: date | datetime | None) -> str:
    """ "2026-12-03" (a timestamp: its day in China time)."""
    if value is None:
        return NONE
    if isinstance(value, datetime):
        value = china_time(value).date()
    return value.isoformat()


def format_datetime(value: datetime | date | None) -> str:
    """ "2026-12-03 14:05" in China time (a plain date: just the day)."""
    if value is None:
        return NONE
    if not isinstance(value, datetime):
        return value.isoformat()
    return china_time(value).strftime("%Y-%m-%d %H:%M")


def format_time(value: datetime | None) -> str:
    """ "14:05" in China time."""
    if value is None:
        return NONE
    return china_time(value).strftime("%H:%M")
