"""Durations as people write them in the configuration and in scripts (README: s, min, h, d, w)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import SosPolicy
from bot.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("90min", timedelta(minutes=90)),
        ("5min", timedelta(minutes=5)),
        ("5 min", timedelta(minutes=5)),
        ("1h30min", timedelta(hours=1, minutes=30)),
        ("1d2h5min10s", timedelta(days=1, hours=2, minutes=5, seconds=10)),
        ("10m", timedelta(minutes=10)),
        ("2MIN", timedelta(minutes=2)),
    ],
)
def test_minutes_are_read_in_both_written_forms(written: str, expected: timedelta) -> None:
    assert parse_duration(written) == expected


def test_a_policy_in_minutes_is_accepted_by_the_configuration() -> None:
    assert SosPolicy(delay="90min").delay_td == timedelta(minutes=90)


def test_what_format_duration_writes_is_read_back() -> None:
    for delta in (timedelta(minutes=5), timedelta(days=1, minutes=3), timedelta(hours=2, seconds=4)):
        assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize("written", ["5mn", "min", "5minutes", "4 jours", "", "1x"])
def test_unreadable_durations_say_what_to_write(written: str) -> None:
    with pytest.raises(ValueError, match="exemples"):
        parse_duration(written)
