from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import SosPolicy
from bot.durations import parse_duration
from bot.sos.deadlines import add_time, deadline_for, is_working_day

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_durations_in_every_written_form() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("6h") == timedelta(hours=6)
    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    assert parse_duration("+2w") == timedelta(days=14)


def test_calendar_four_days_keeps_the_hour_across_the_autumn_clock_change() -> None:
    created = paris(2026, 10, 23, 9, 0)  # Friday; clocks go back on Sunday 25 October
    deadline = deadline_for(created, SosPolicy(delay="4d"))
    assert deadline.astimezone(PARIS) == paris(2026, 10, 27, 9, 0)


def test_working_days_skip_the_weekend() -> None:
    created = paris(2026, 9, 10, 14, 0)  # Thursday
    deadline = deadline_for(created, SosPolicy(delay="4d", policy="working"))
    assert deadline.astimezone(PARIS) == paris(2026, 9, 16, 14, 0)  # Fri, Mon, Tue, Wed


def test_saturday_question_starts_counting_monday_midnight() -> None:
    created = paris(2026, 9, 12, 10, 0)  # Saturday
    deadline = deadline_for(created, SosPolicy(delay="1d", policy="working"))
    assert deadline.astimezone(PARIS) == paris(2026, 9, 15, 0, 0)


def test_public_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 11))  # Armistice
    created = paris(2026, 11, 10, 9, 0)  # Tuesday before 11 November
    deadline = deadline_for(created, SosPolicy(delay="2d", policy="working"))
    assert deadline.astimezone(PARIS) == paris(2026, 11, 13, 9, 0)


def test_school_holidays_from_config_are_skipped() -> None:
    policy = SosPolicy(delay="1d", policy="working", school_holidays=[(date(2026, 10, 19), date(2026, 10, 30))])
    created = paris(2026, 10, 16, 15, 0)  # Friday before the Toussaint break
    assert deadline_for(created, policy).astimezone(PARIS) == paris(2026, 11, 2, 15, 0)


def test_short_trial_delays_are_plain_durations() -> None:
    created = paris(2026, 9, 12, 10, 0)
    assert add_time(created, timedelta(seconds=90), SosPolicy(delay="90s")) == created + timedelta(seconds=90)
