"""The simulation: the same semester for both runs, the documented keys, and a model that reads people
as the README says (nights, weekends, absences, holidays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sos_support import PARIS, local

from bot.sos.simulate import KEYS, run_comparison
from bot.sos.simulate_model import SCHOOL_HOLIDAYS, STAFF, Calendar, draw_semester, in_holidays
from bot.sos.simulate_staff import add_reading_time, next_reading

REQUIRED = {"questions", "answered_within_deadline_ratio", "breaches", "coordinator_warned_in_time_ratio",
            "personal_pings_per_question", "median_ack_hours"}


async def test_both_runs_replay_the_same_questions_and_report_the_keys() -> None:
    result = await run_comparison(days=12, seed=4)
    without, with_bot = result["without_bot"], result["with_bot"]
    assert REQUIRED <= set(KEYS) and REQUIRED <= set(without) and REQUIRED <= set(with_bot)
    assert without["questions"] == with_bot["questions"] == len(draw_semester(12, 4).draws) > 0
    assert without["personal_pings_per_question"] == 0.0 and without["median_ack_hours"] is None
    assert with_bot["personal_pings_per_question"] > 0


def test_the_semester_is_drawn_from_the_seed_alone() -> None:
    first, again, other = draw_semester(120, 1), draw_semester(120, 1), draw_semester(120, 2)
    assert first.draws == again.draws and first.calendars == again.calendars
    assert first.draws != other.draws


def test_about_half_the_declared_holiday_absences_are_declared_ahead_and_nothing_else() -> None:
    ahead = holiday_declared = 0
    for seed in range(1, 41):
        for cal in draw_semester(120, seed).calendars.values():
            assert cal.ahead <= set(cal.declared)  # only absences that are declared at all
            assert all(in_holidays(first) for first, _last in cal.ahead)  # working-day ones: on the day
            ahead += len(cal.ahead)
            holiday_declared += sum(1 for first, _last in cal.declared if in_holidays(first))
    assert 0.35 < ahead / holiday_declared < 0.65  # DECLARES_AHEAD = 0.5


def test_most_staff_are_away_in_school_holidays_and_some_working_days() -> None:
    away_in_holidays = workdays_away = workdays = 0
    for seed in range(1, 41):
        for name, cal in draw_semester(120, seed).calendars.items():
            start, _end = SCHOOL_HOLIDAYS[0]
            away_in_holidays += start in cal.away and name != "claire"
            for day in (d for d in _days() if d.weekday() < 5 and not in_holidays(d)):
                workdays += 1
                workdays_away += day in cal.away
    assert away_in_holidays / (40 * (len(STAFF) - 1)) > 0.6  # "most of them" (formateurs and tutor)
    assert 0.05 < workdays_away / workdays < 0.2  # leave and training days


def _days() -> list[date]:
    return [date(2026, 9, 1) + timedelta(days=k) for k in range(120)]


def test_staff_read_in_waking_hours_on_the_days_they_are_there() -> None:
    cal = Calendar(away={date(2026, 9, 14)}, weekend_reading={date(2026, 9, 13)})
    assert local(next_reading(cal, datetime(2026, 9, 11, 22, 30, tzinfo=PARIS))) == "Sun 13/09 08:00"  # Sat unread
    assert local(next_reading(cal, datetime(2026, 9, 13, 23, 0, tzinfo=PARIS))) == "Tue 15/09 08:00"  # Mon away
    assert local(add_reading_time(cal, datetime(2026, 9, 15, 19, 0, tzinfo=PARIS), _hours(4))) == "Wed 16/09 10:00"


def _hours(n: float) -> timedelta:
    return timedelta(hours=n)


async def test_explain_accounts_for_every_missed_question() -> None:
    result = await run_comparison(days=30, seed=1, explain=True, backup=True)
    with_bot = result["with_bot"]
    why = with_bot["explain"]
    assert why["missed"] == with_bot["breaches"] == len(why["misses"])
    assert sum(why["causes"].values()) == why["missed"]
    # The pings by kind add up to the run's personal pings per question.
    assert abs(sum(why["pings_per_question_by_kind"].values()) - with_bot["personal_pings_per_question"]) < 0.01
    assert result["without_bot"]["questions"] == with_bot["questions"]
