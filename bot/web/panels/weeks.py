"""Weeks as the community lives them: Monday to Sunday, Paris time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MAX_WEEKS = 26


def monday_of(value: datetime, timezone: str) -> date:
    local = value.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


def week_range(first: datetime | None, now: datetime, timezone: str) -> list[date]:
    """Mondays from the week of `first` to the week of `now`, at most the last MAX_WEEKS."""
    if first is None:
        return []
    start, stop = monday_of(first, timezone), monday_of(now, timezone)
    mondays = []
    while start <= stop:
        mondays.append(start)
        start += timedelta(days=7)
    return mondays[-MAX_WEEKS:]
