"""How simulated staff behave: when they read a message (nights, weekends, absences) and what they do.

Only the run with the bot uses the decisions below (they react to what the bot sends); the reading
times also delay the spontaneous answers of tutors and formateurs in both runs.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.sos.simulate_model import PARIS, WAKING, Calendar, Person, lognormal_hours

ACK_P = 0.8  # a person asked by name, reading it while the question is open, takes it (/claim)…
PASS_P = 0.1  # …or says they cannot (/passer); otherwise they let it go without a word
FORGET_P = 0.2  # having taken it, forgets to answer until reminded
REMINDED_ANSWERS = 0.6  # reminded, answers (otherwise the claim lapses)
ANSWER_MEDIAN_H = 1.5  # from taking a question to answering it, in waking hours
ALERT_TAKES = 0.6  # a formateur reading the formateurs' alert takes the question if nobody has
NUDGE_P = 0.35  # a resource person named in the thread answers


def _local(t: datetime) -> datetime:
    return t.astimezone(PARIS)


def next_reading(cal: Calendar, t: datetime) -> datetime:
    """The first moment at or after `t` when this person reads messages."""
    local = _local(t)
    for _ in range(400):
        day = local.date()
        opening = local.replace(hour=WAKING[0].hour, minute=0, second=0, microsecond=0)
        closing = local.replace(hour=WAKING[1].hour, minute=0, second=0, microsecond=0)
        if cal.reads_on(day) and local < closing:
            return max(local, opening)
        local = (opening + timedelta(days=1)).replace(hour=WAKING[0].hour)
    return t


def add_reading_time(cal: Calendar, t: datetime, amount: timedelta) -> datetime:
    """`t` plus `amount` of this person's reading time (waking hours of the days they read)."""
    cursor = next_reading(cal, t)
    left = amount
    for _ in range(400):
        closing = _local(cursor).replace(hour=WAKING[1].hour, minute=0, second=0, microsecond=0)
        room = closing - _local(cursor)
        if room > left:
            return cursor + left
        left -= room
        cursor = next_reading(cal, closing + timedelta(minutes=1))
    return cursor


def acts_at(rng: random.Random, person: Person, cal: Calendar, received: datetime) -> datetime:
    """When a person gets to a message received at `received`: reading time plus their own pace."""
    return add_reading_time(cal, received, lognormal_hours(rng, person.react_median_h, 0.8))


def answer_at(rng: random.Random, cal: Calendar, took: datetime) -> datetime:
    return add_reading_time(cal, took, lognormal_hours(rng, ANSWER_MEDIAN_H, 0.6))
