"""Dates typed in commands (`/absent jusqu'au 20/09`, `/permanence fabienne 14/09`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands.parser import fold

_LEAD_WORDS = ("jusqu'au", "jusqu’au", "jusqua", "jusquau", "au", "le", "until", "till", "to", "on")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_NO_YEAR_BACK = timedelta(days=61)
_OVER_NEW_YEAR = timedelta(days=92)  # "05/01" typed in December is next January; "01/09" in September is past


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


_FROM_WORDS = ("du", "from", "de", "le", "on")
_TO_WORDS = ("au", "to", "until", "till", "jusqu'au", "jusqu’au", "jusquau", "a")


@dataclass
class Span:
    """What `/absent …` asked for: a first and a last day (both included) and the words left, the reason."""

    first: date | None  # None: from now on
    last: date | None  # None: no date could be read
    reason: str
    unread: str = ""  # the word that should have been a date


def _split_range(word: str, today: date) -> tuple[date, date] | None:
    """`19/10-30/10`, `2026-10-19-2026-10-30`: two days joined by a hyphen (tried at every hyphen)."""
    for at in (i for i, c in enumerate(word) if c == "-"):
        first, last = parse_day(word[:at], today), parse_day(word[at + 1:], today)
        if first is not None and last is not None:
            return first, last
    return None


def parse_span(words: list[str], today: date) -> Span:
    """`jusqu'au 30/10`, `30/10`, `du 19/10 au 30/10`, `19/10 au 30/10`, `19/10-30/10`, each with an
    optional reason after the dates. A last day of a range typed without a year that would fall before
    its first day is in the following year (`du 20/12 au 04/01`)."""
    words = list(words)
    ahead = bool(words) and fold(words[0]) in _FROM_WORDS
    if ahead:
        words = words[1:]
    else:
        words = strip_lead(words)
    if not words:
        return Span(None, None, "", "")
    joined = None if parse_day(words[0], today) is not None else _split_range(words[0], today)
    if joined is not None:
        return Span(joined[0], _after(joined[0], joined[1], words[0]), " ".join(words[1:]))
    first = parse_day(words[0], today)
    if first is None:
        return Span(None, None, "", words[0])
    rest = words[1:]
    if rest and fold(rest[0]) in _TO_WORDS:
        if len(rest) < 2 or (last := parse_day(rest[1], today)) is None:
            return Span(first, None, "", rest[1] if len(rest) > 1 else rest[0])
        return Span(first, _after(first, last, rest[1]), " ".join(rest[2:]))
    if ahead:  # "du 19/10" alone: a single day
        return Span(first, first, " ".join(rest))
    return Span(None, first, " ".join(rest))


def _after(first: date, last: date, written: str) -> date:
    match = _DMY.match(written)
    if last < first and match is not None and not match.group(3):
        try:
            later = last.replace(year=last.year + 1)
        except ValueError:
            return last
        # Over New Year (`du 20/12 au 04/01`); `du 10/10 au 05/10` stays a mistake to point out.
        return later if later - first <= _OVER_NEW_YEAR else last
    return last


_WEEK = re.compile(r"^(?:s|sem|semaine|w|week)?(\d{1,2})$")


def parse_week(words: list[str], today: date) -> date | None:
    """`semaine 43`, `s43`, `43` (ISO week number: this year's, or next year's when it is over) or any
    day of the week (`19/10`): the Monday of that week; else None."""
    text = " ".join(words).strip()
    day = parse_day(text, today)
    if day is not None:
        return day - timedelta(days=day.weekday())
    match = _WEEK.match(fold(text).replace(" ", ""))
    if match is None:
        return None
    number = int(match.group(1))
    for year in (today.year, today.year + 1):
        try:
            monday = date.fromisocalendar(year, number, 1)
        except ValueError:
            continue
        if monday + timedelta(days=6) >= today:
            return monday
    return None
