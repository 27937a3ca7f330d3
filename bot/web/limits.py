"""Limits on login attempts, per client address and per token prefix, over a sliding window.

Kept in memory, per instance: they slow down guessing (a token has 256 random bits; guessing is
hopeless anyway) and stop a script from hammering the database with lookups.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock

PREFIX_LENGTH = 6
MAX_KEYS = 10_000


@dataclass
class AttemptLimiter:
    clock: Clock
    per_address: int = 10  # failed attempts from one address per window
    per_prefix: int = 5  # attempts on tokens starting alike per window
    window: timedelta = timedelta(minutes=10)
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _prefixes: dict[str, deque[datetime]] = field(default_factory=dict)

    def _recent(self, table: dict[str, deque[datetime]], key: str) -> deque[datetime]:
        cutoff = self.clock.now() - self.window
        stamps = table.get(key)
        if stamps is None:
            stamps = table[key] = deque()
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        return stamps

    def allowed(self, address: str, token: str) -> bool:
        """May this attempt be checked at all? Counts it against the token's prefix."""
        if len(self._failures) + len(self._prefixes) > MAX_KEYS:
            self.forget_empty()
        if len(self._recent(self._failures, address)) >= self.per_address:
            return False
        prefix = self._recent(self._prefixes, token[:PREFIX_LENGTH])
        if len(prefix) >= self.per_prefix:
            return False
        prefix.append(self.clock.now())
        return True

    def failed(self, address: str) -> None:
        self._recent(self._failures, address).append(self.clock.now())

    def forget_empty(self) -> None:
        """Drop keys with nothing recent, so the tables do not grow with every address seen."""
        for table in (self._failures, self._prefixes):
            for key in list(table):
                if not self._recent(table, key):
                    del table[key]
