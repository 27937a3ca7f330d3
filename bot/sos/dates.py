"""Dates typed in commands (`/absent jusqu'au 20/09`, `/permanence fabienne 14/09`)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands.parser import fold

_LEAD_WORDS = ("jusqu'au", "jusqu’au", "jusqua", "jusquau", "au", "le", "until", "till", "to", "on")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_NO_YEAR_BACK = timedelta(days=61)  # "05/01" typed in December is next January; "01/09" in September is past


def strip_lead(words: list[str]) -> list[str]:
    while words and fold(words[0]) in _LEAD_WORDS:
        words = words[1:]
    return words


def parse_day(text: str, today: date) -> date | None:
    """2026-09-20, 20/09/2026, 20/09/26 or 20/09 (this year, or next when that is long past); else None."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _DMY.match(text)
    if match is None:
        return None
    day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
    try:
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        guess = date(today.year, month, day)
    except ValueError:
        return None
    return date(today.year + 1, month, day) if today - guess > _NO_YEAR_BACK else guess


def today_in(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def end_of_day(day: date, timezone: str) -> datetime:
    """The midnight after `day`, local time: "jusqu'au 20/09" includes the 20th."""
    return datetime.combine(day + timedelta(days=1), time()).replace(tzinfo=ZoneInfo(timezone))
