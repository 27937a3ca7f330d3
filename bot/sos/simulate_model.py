"""The simulation's model of a semester: questions, spontaneous answers, and the staff's calendars.

Everything here is drawn from the seed *before* any run, so the run without the bot and the run with
it share the same questions, the same spontaneous answers and the same absences. Each parameter is
documented in README ("Simulation") with its reason; the source documents report answers after about
22 h, 4 days, 5 days, and one question never answered.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
SEMESTER_START = datetime(2026, 9, 1, 0, 0, tzinfo=PARIS)
SCHOOL_HOLIDAYS = ((date(2026, 10, 17), date(2026, 11, 1)), (date(2026, 12, 19), date(2027, 1, 3)))

# Questions
QUESTIONS_PER_WEEKDAY = 0.8
WEEKEND_RATE = 0.5  # stagiaires ask half as much at weekends
HOLIDAY_RATE = 0.5  # and half as much in school holidays (they prepare lessons, teach less)
# Spontaneous answers, the same with and without the bot
NEVER_ANSWERED = 0.15
SPONTANEOUS_MEDIAN_H = 40.0
SPONTANEOUS_SIGMA = 0.8
STAFF_SHARE = 0.3  # of spontaneous first answers, written by a tutor or formateur
ACCEPT_PROB = 0.8  # the asker ticks ✅ on a peer's reply
ACCEPT_MEDIAN_H = 8.0
# When the bot asks "did it solve it?", an asker who had not ticked answers ✅ or ❌ (or stays silent)
ASKED_ACCEPTS = 0.4
ASKED_REJECTS = 0.3
ASKED_MEDIAN_H = 6.0
# Staff calendars
WORKDAY_ABSENCE_START = 0.06  # per working day, an absence (leave, training day) starts…
ABSENCE_DAYS = (1, 3)  # …and lasts 1 to 3 working days
HOLIDAY_AWAY = {"trainer": 0.75, "tutor": 0.75, "coordinator": 0.5}  # away for a whole school holiday
DECLARES_HOLIDAY = 0.5  # of holiday absences declared with /absent
DECLARES_WORKDAY = 0.3  # of working-day absences declared with /absent
# Chosen before measuring (issue 14, round sos3): of the holiday absences that are declared, half are
# declared a week ahead (`/absent du … au …`, AHEAD_DAYS before, at 10:00): leave is booked and known,
# but many only say it on leaving. Working-day absences (illness, a training day called at short notice)
# are declared on their first day, as before. Drawn from their own random stream: the semester is unchanged.
DECLARES_AHEAD = 0.5
AHEAD_DAYS = 7
WEEKEND_READING = 0.3  # chance a staff member reads messages on a given weekend day
WAKING = (time(8), time(21))  # staff read and act between these hours


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # trainer | tutor | coordinator
    react_median_h: float  # waking hours from reading a request to acting on it: fast or slow responders


STAFF = (
    Person("fabienne", "trainer", 2.0),
    Person("gilles", "trainer", 8.0),
    Person("thomas", "tutor", 4.0),
    Person("claire", "coordinator", 3.0),
)
ROTA = ("fabienne", "gilles")
# `--backup`: a neighbouring institute's space ("voisin") whose two formateurs back this one up. Same
# people model, same school holidays (same zone); drawn from their own random stream, so the default
# semester is the same with or without them.
BACKUP_SPACE = "voisin"
BACKUP_STAFF = (
    Person("hugo", "trainer", 4.0),
    Person("ines", "trainer", 4.0),
)
BACKUP_ROTA = ("hugo", "ines")
ROTA_FROM = "2026-08-31"  # the Monday of the first simulated week: fabienne is on call that week
PEERS = tuple(f"stagiaire{n:02d}" for n in range(30))


def lognormal_hours(rng: random.Random, median: float, sigma: float = 0.7) -> timedelta:
    return timedelta(hours=rng.lognormvariate(math.log(median), sigma))


def in_holidays(day: date) -> bool:
    return any(start <= day <= end for start, end in SCHOOL_HOLIDAYS)


@dataclass
class Calendar:
    """One staff member's semester: the local days they are away, and the weekend days they read."""

    away: set[date] = field(default_factory=set)
    weekend_reading: set[date] = field(default_factory=set)
    declared: list[tuple[date, date]] = field(default_factory=list)  # absences they declared (first, last day)
    ahead: set[tuple[date, date]] = field(default_factory=set)  # of those, declared AHEAD_DAYS before

    def reads_on(self, day: date) -> bool:
        if day in self.away:
            return False
        return day.weekday() < 5 or day in self.weekend_reading


@dataclass
class Draw:
    at: datetime
    asker: str
    spontaneous: timedelta | None
    staff_answer: bool
    helper: str  # who writes the spontaneous answer
    accepts: bool
    accept_delay: timedelta
    asked_reply: str  # "accept" | "reject" | "" : the asker's answer when the bot asks
    asked_delay: timedelta


def oncall_weeks(name: str, days: int) -> set[date]:
    """The Mondays of the weeks `name` is on call (the rotation of the simulated space)."""
    if name not in ROTA:
        return set()
    first = date.fromisoformat(ROTA_FROM)
    return {first + timedelta(weeks=k) for k in range(days // 7 + 3) if ROTA[k % len(ROTA)] == name}


def _calendar(rng: random.Random, person: Person, days: int) -> Calendar:
    cal = Calendar()
    first = SEMESTER_START.date()
    for start, end in SCHOOL_HOLIDAYS:
        if start < first + timedelta(days=days) and rng.random() < HOLIDAY_AWAY[person.role]:
            span = [start + timedelta(days=k) for k in range((end - start).days + 1)]
            cal.away.update(span)
            if rng.random() < DECLARES_HOLIDAY:
                cal.declared.append((start, end))
    day = first
    while day < first + timedelta(days=days + 15):
        if day.weekday() >= 5 and rng.random() < WEEKEND_READING:
            cal.weekend_reading.add(day)
        if day.weekday() < 5 and not in_holidays(day) and day not in cal.away and rng.random() < WORKDAY_ABSENCE_START:
            length, span, cursor = rng.randint(*ABSENCE_DAYS), [], day
            while len(span) < length:
                if cursor.weekday() < 5:
                    span.append(cursor)
                cursor += timedelta(days=1)
            cal.away.update(span)
            if rng.random() < DECLARES_WORKDAY:
                cal.declared.append((span[0], span[-1]))
        day += timedelta(days=1)
    return cal


def _declared_ahead(calendars: dict[str, Calendar], seed: int) -> None:
    rng = random.Random(seed * 104_729 + 3)  # its own stream: questions and calendars are drawn as before
    for cal in calendars.values():
        for first, last in cal.declared:
            if in_holidays(first) and rng.random() < DECLARES_AHEAD:
                cal.ahead.add((first, last))


@dataclass
class Semester:
    draws: list[Draw]
    calendars: dict[str, Calendar]


def draw_semester(days: int, seed: int, oncall_in_holidays: bool = False, backup: bool = False) -> Semester:
    rng = random.Random(seed)
    calendars = {p.name: _calendar(rng, p, days) for p in STAFF}
    if backup:
        other = random.Random(seed * 1_000_003 + 11)
        calendars.update({p.name: _calendar(other, p, days) for p in BACKUP_STAFF})
    if oncall_in_holidays:  # the variant: whoever is on call in a holiday week stays reachable that week
        for name, cal in calendars.items():
            for monday in oncall_weeks(name, days):
                week = {monday + timedelta(days=k) for k in range(7)}
                if any(in_holidays(d) for d in week):
                    cal.away -= {d for d in week if in_holidays(d)}
                    # Partly there, they no longer declare the whole holiday away.
                    cal.declared = [(a, b) for a, b in cal.declared if not (a <= monday + timedelta(days=6) and
                                                                           b >= monday)]
    _declared_ahead(calendars, seed)
    draws: list[Draw] = []
    helpers = [p.name for p in STAFF if p.role in ("trainer", "tutor")]
    for day in range(days):
        local = SEMESTER_START + timedelta(days=day)
        rate = QUESTIONS_PER_WEEKDAY * (WEEKEND_RATE if local.weekday() >= 5 else 1.0)
        rate *= HOLIDAY_RATE if in_holidays(local.date()) else 1.0
        count = sum(1 for _ in range(4) if rng.random() < rate / 4)
        for _ in range(count):
            hour = min(22.9, max(7.0, rng.gauss(18.0, 3.5)))
            at = local.replace(hour=int(hour), minute=int((hour % 1) * 60))
            asked = rng.random()
            draws.append(Draw(
                at=at.astimezone(UTC), asker=rng.choice(PEERS),
                spontaneous=None if rng.random() < NEVER_ANSWERED
                else lognormal_hours(rng, SPONTANEOUS_MEDIAN_H, SPONTANEOUS_SIGMA),
                staff_answer=rng.random() < STAFF_SHARE, helper=rng.choice(helpers),
                accepts=rng.random() < ACCEPT_PROB, accept_delay=lognormal_hours(rng, ACCEPT_MEDIAN_H),
                asked_reply="accept" if asked < ASKED_ACCEPTS else "reject" if asked < ASKED_ACCEPTS + ASKED_REJECTS
                else "", asked_delay=lognormal_hours(rng, ASKED_MEDIAN_H),
            ))
    draws.sort(key=lambda d: d.at)
    return Semester(draws, calendars)
