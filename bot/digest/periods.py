"""Digest periods: the week that ends at a fire time, and the next fire time of a cron expression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


def next_fire(cron: str, after: datetime, timezone: str = "Europe/Paris") -> datetime:
    """The first cron time strictly after `after` (aware UTC)."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(cron, timezone=timezone)
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    if fire is None:  # pragma: no cover - a crontab always has a next time
        raise ValueError(f"cron « {cron} » has no next fire time")
    return fire.astimezone(UTC)


def week_ending(end: datetime, timezone: str = "Europe/Paris", weeks_back: int = 0) -> tuple[datetime, datetime]:
    """[start, end) of the 7 days (wall clock, so DST-safe) ending `weeks_back` weeks before `end`."""
    local = end.astimezone(ZoneInfo(timezone)).replace(microsecond=0)
    stop = local - WEEK * weeks_back
    return (stop - WEEK).astimezone(UTC), stop.astimezone(UTC)


def weeks_ending(end: datetime, count: int, timezone: str = "Europe/Paris") -> list[tuple[datetime, datetime]]:
    """`count` consecutive weeks ending at `end`, oldest first."""
    return [week_ending(end, timezone, back) for back in reversed(range(count))]


def local_days(start: datetime, end: datetime, timezone: str = "Europe/Paris") -> dict[str, object]:
    """First and last local day of [start, end), for templates ("du 14/09 au 20/09")."""
    tz = ZoneInfo(timezone)
    return {"first_day": start.astimezone(tz).date(), "last_day": (end - timedelta(seconds=1)).astimezone(tz).date()}
