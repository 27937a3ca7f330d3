"""Durations written by people in config and scripts: "90s", "5min", "6h", "4d", "1d12h", "2w"."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

# "min" before "m": the regex takes the first alternative that matches, and "5min" must not stop at "5m".
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(min|w|d|h|m|s)", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1}


@lru_cache(maxsize=1024)  # a config's few durations are read for every step a sweep fires (issue 17)
def parse_duration(text: str) -> timedelta:
    """Parse a compact duration; raises ValueError with an example of the right form."""
    cleaned = text.strip().lstrip("+").replace(" ", "")
    if not cleaned:
        raise ValueError("durée vide (exemples : 90s, 5min, 6h, 4d, 1d12h)")
    pos = 0
    seconds = 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2).lower()]
        pos = match.end()
    if pos != len(cleaned):
        raise ValueError(f"durée illisible « {text} » (exemples : 90s, 5min, 6h, 4d, 1d12h)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    total = int(delta.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")) if v]
    return "".join(parts) or "0s"
