"""Deadline policy: calendar or working time, in the space's time zone.

Working time skips weekends, French public holidays and configured school holidays; a question posted
on a non-working day starts counting at the next working day's midnight. The same function places
ladder rungs (a fraction of the delay is a fraction of *working* time too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.config import SosPolicy


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_working_day(day: date, school_holidays: tuple[tuple[date, date], ...] = ()) -> bool:
    if day.weekday() >= 5 or day in _french_holidays(day.year):
        return False
    return not any(start <= day <= end for start, end in school_holidays)


def add_time(start: datetime, delta: timedelta, policy: SosPolicy, tz: str = "Europe/Paris") -> datetime:
    """`start` plus `delta` of calendar or working time; aware UTC in and out."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone).replace(tzinfo=None)  # wall-clock arithmetic: "4 days" keeps the hour
    if policy.policy == "calendar":
        if delta < timedelta(days=1):
            return start + delta  # trial delays in seconds or hours are plain durations
        return (local + delta).replace(tzinfo=zone).astimezone(UTC)
    breaks = tuple((a, b) for a, b in policy.school_holidays)
    remaining = delta
    cursor = local
    while remaining > timedelta(0):
        if not is_working_day(cursor.date(), breaks):
            cursor = datetime.combine(cursor.date() + timedelta(days=1), time())
            continue
        midnight = datetime.combine(cursor.date() + timedelta(days=1), time())
        chunk = min(remaining, midnight - cursor)
        cursor += chunk
        remaining -= chunk
    if delta == timedelta(0):
        while not is_working_day(cursor.date(), breaks):
            cursor = datetime.combine(cursor.date() + timedelta(days=1), time())
    return cursor.replace(tzinfo=zone).astimezone(UTC)


def deadline_for(created: datetime, policy: SosPolicy, tz: str = "Europe/Paris") -> datetime:
    return add_time(created, policy.delay_td, policy, tz)
