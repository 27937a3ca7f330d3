"""Waking time: the hours when staff may be written to (outside quiet hours, and weekends if configured).

Quiet hours are wall-clock times in the space's time zone (default 21:00–08:00), so daylight saving
changes move nothing. Acknowledgement timeouts are counted in waking time: "8 h" given at 20:00 ends
the next day at 15:00, not at 04:00. A trial delay under a day has no quiet hours at all (`always()`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_HORIZON_DAYS = 60  # a configuration with no waking time at all must not loop for ever
EVENING_MARGIN = timedelta(hours=1)  # a level moved earlier lands this long before quiet hours start


@dataclass(frozen=True)
class WakingHours:
    zone: ZoneInfo
    quiet: tuple[time, time] | None  # (start, end) of the nightly quiet period; None: no quiet hours
    quiet_weekends: bool = False

    @classmethod
    def always(cls) -> WakingHours:
        return cls(ZoneInfo("UTC"), None, False)

    @property
    def unrestricted(self) -> bool:
        return self.quiet is None and not self.quiet_weekends

    # ---- windows -------------------------------------------------------------------------------

    def _day_windows(self, day: datetime) -> tuple[tuple[datetime, datetime], ...]:
        """Waking windows of one local day (naive local midnight in), as aware UTC intervals."""
        return _day_windows(self, day)

    def _compute_day_windows(self, day: datetime) -> tuple[tuple[datetime, datetime], ...]:
        if self.quiet_weekends and day.weekday() >= 5:
            return ()
        local: list[tuple[datetime, datetime]]
        midnight, next_midnight = day, day + timedelta(days=1)
        if self.quiet is None:
            local = [(midnight, next_midnight)]
        else:
            start, end = (datetime.combine(day.date(), t) for t in self.quiet)
            if start > end:  # quiet across midnight (21:00–08:00): awake from end to start
                local = [(end, start)]
            else:  # quiet inside the day (e.g. 12:00–14:00)
                local = [(midnight, start), (end, next_midnight)]
        return tuple((self._utc(a), self._utc(b)) for a, b in local if a < b)

    def _utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def _local_midnight(self, t: datetime) -> datetime:
        return datetime.combine(t.astimezone(self.zone).date(), time())

    def windows_after(self, t: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Waking windows that end after `t`, in order, clipped to start at `t` at the earliest."""
        day = self._local_midnight(t) - timedelta(days=1)
        for _ in range(_HORIZON_DAYS):
            for a, b in self._day_windows(day):
                if b > t:
                    yield max(a, t), b
            day += timedelta(days=1)

    def windows_before(self, t: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Waking windows that start before `t`, latest first, clipped to end at `t` at the latest."""
        day = self._local_midnight(t) + timedelta(days=1)
        for _ in range(_HORIZON_DAYS):
            for a, b in reversed(self._day_windows(day)):
                if a < t:
                    yield a, min(b, t)
            day -= timedelta(days=1)

    # ---- questions about time ------------------------------------------------------------------

    def is_quiet(self, t: datetime) -> bool:
        if self.unrestricted:
            return False
        first = next(self.windows_after(t), None)
        return first is None or first[0] > t

    def next_waking(self, t: datetime) -> datetime:
        """`t` itself when awake, else the end of the quiet period."""
        if self.unrestricted:
            return t
        first = next(self.windows_after(t), None)
        return first[0] if first else t

    def add(self, t: datetime, amount: timedelta) -> datetime:
        """`t` plus `amount` of waking time (landing inside a waking window)."""
        if self.unrestricted:
            return t + amount
        left = amount
        for a, b in self.windows_after(t):
            if b - a > left:
                return a + left
            left -= b - a
        return t + amount

    def back(self, t: datetime, amount: timedelta) -> datetime:
        """The latest moment that still has `amount` of waking time before `t`."""
        if self.unrestricted:
            return t - amount
        left = amount
        for a, b in self.windows_before(t):
            if b - a >= left:
                return b - left
            left -= b - a
        return t - amount

    def between(self, start: datetime, end: datetime) -> timedelta:
        if end <= start:
            return timedelta(0)
        if self.unrestricted:
            return end - start
        total = timedelta(0)
        for a, b in self.windows_after(start):
            if a >= end:
                break
            total += min(b, end) - a
        return total

    def evening_before(self, t: datetime) -> datetime:
        """For a quiet `t`: shortly before this quiet period began (the end of the last waking window)."""
        last = next(self.windows_before(t), None)
        if last is None:
            return t
        start, end = last
        return max(start, end - EVENING_MARGIN)


@lru_cache(maxsize=4096)  # the same days are walked for every step a sweep fires (issue 17)
def _day_windows(hours: WakingHours, day: datetime) -> tuple[tuple[datetime, datetime], ...]:
    return hours._compute_day_windows(day)


def waking_hours(timezone: str, quiet: tuple[time, time] | None, quiet_weekends: bool) -> WakingHours:
    return WakingHours(ZoneInfo(timezone), quiet, quiet_weekends)
