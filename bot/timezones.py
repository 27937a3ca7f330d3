"""Time zones: names checked when the configuration is read, and the zone messages are written in.

Deadlines and due times are stored in UTC; people read them in their space's timezone. Messages are
rendered in many places (commands, ladder rungs, reminders, digests), each building its own Outbound,
so the zone is set once for the unit of work instead: by the core for an event (the event's space) and
by the sweep for a step (the step's space). Outside of both it is `[bot] timezone`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Paris"
EXAMPLES = "Europe/Paris, America/Martinique, Indian/Reunion, Pacific/Noumea"

_writing_zone: ContextVar[str] = ContextVar("ticebot_writing_zone", default=DEFAULT_TIMEZONE)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError (with examples) when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:  # ValueError: "../etc", empty names
        raise ValueError(f"fuseau horaire inconnu « {name} » (exemples : {EXAMPLES})") from exc


def check_timezone(name: str) -> str:
    zone(name)
    return name


def writing_zone() -> ZoneInfo:
    """The zone dates are written in right now."""
    return zone(_writing_zone.get())


@contextmanager
def writing_in(name: str | None) -> Iterator[None]:
    """Write dates in `name` (when given) until the block ends; nested blocks restore the outer zone."""
    token = _writing_zone.set(name) if name else None
    try:
        yield
    finally:
        if token is not None:
            _writing_zone.reset(token)


def write_in(name: str) -> None:
    """Switch the zone inside an enclosing `writing_in` block (once the event's space is known)."""
    _writing_zone.set(name)
