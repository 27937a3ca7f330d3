"""No private message or mention to staff at night; the schedule is computed back from the deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sos_support import PARIS, local, replay, rows, sent, team

from bot.config import SosPolicy, SpaceConfig
from bot.db.models import Question
from bot.sos.plan import latest_starts
from bot.sos.quiet_hours import waking_hours

STAFF = {"thomas", "fabienne", "gilles", "claire"}


def _awake(at: datetime) -> bool:
    return 8 <= at.astimezone(PARIS).hour < 21


async def test_a_saturday_2230_question_never_wakes_anyone_and_keeps_its_deadline(database_url: str) -> None:
    script = team() + "at 2026-09-12T22:30\nalice in sos: Mon TBI ne s'allume plus, une idée ?\n+6d\n"
    async with replay(database_url, script) as run:
        (question,) = await rows(run, Question)
        to_staff = [d for d in sent(run) if d.to in STAFF or d.kind == "mention_roles"]
        assert to_staff, "the policy reached staff"
        night = [(d.template, d.to or d.channel, local(d.at)) for d in to_staff if not _awake(d.at)]
        assert night == []
        # The breach is said in the thread at the deadline (22:30); the coordinator's DM waits for 08:00.
        (breach,) = sent(run, "sos/breach_thread")
        assert breach.at == question.deadline_at and local(breach.at) == "Wed 16/09 22:30"
        (told,) = sent(run, "sos/breach_coordinator")
        assert local(told.at) == "Thu 17/09 08:00"
        (warning,) = sent(run, "sos/coordinator_warning")
        assert question.deadline_at - warning.at >= timedelta(hours=6)


async def test_quiet_hours_can_be_turned_off_and_weekends_made_quiet(database_url: str) -> None:
    script = team("weekends=quiet") + "at 2026-09-11T20:00\nalice in sos: Comment exporter les notes ?\n+5d\n"
    async with replay(database_url, script) as run:
        weekend = [d for d in sent(run) if d.to in STAFF and d.at.astimezone(PARIS).weekday() >= 5]
        assert weekend == []
        (warning,) = sent(run, "sos/coordinator_warning")
        assert local(warning.at).startswith("Mon 14/09") or local(warning.at).startswith("Tue 15/09")


def _cfg(**sos: object) -> SpaceConfig:
    return SpaceConfig(id="x", sos=SosPolicy(**sos))  # type: ignore[arg-type]


def test_each_level_keeps_its_acknowledgement_time_before_the_next_one() -> None:
    cfg = _cfg()
    start = datetime(2026, 9, 7, 9, 0, tzinfo=PARIS)
    deadline = start + timedelta(days=4)
    starts = latest_starts(cfg, start, deadline)
    waking = waking_hours("Europe/Paris", cfg.sos.quiet_window, False)
    following = [*starts[1:], deadline]
    for level, at, nxt in zip(cfg.sos.levels, starts, following, strict=True):
        assert not waking.is_quiet(at)
        assert waking.between(at, nxt) >= (level.ack_td or timedelta(0))
    # The coordinator needs 6 waking hours before Friday 09:00: Thursday 16:00, and so on backwards.
    assert [local(t) for t in starts] == ["Tue 08/09 09:00", "Wed 09/09 09:00", "Wed 09/09 17:00",
                                          "Thu 10/09 10:00", "Thu 10/09 16:00"]


def test_a_level_in_quiet_hours_moves_later_when_there_is_time_and_earlier_when_there_is_not() -> None:
    cfg = _cfg(levels=[{"targets": ["coordinator"], "at": 0.85, "ack": "6h"}])
    # Deadline Friday 19:00: 85 % is Friday 04:36; at 08:00 there are still 11 waking hours: later.
    start = datetime(2026, 9, 7, 19, 0, tzinfo=PARIS)
    assert local(latest_starts(cfg, start, start + timedelta(days=4))[0]) == "Fri 11/09 08:00"
    # At 95 % (Friday 05:12) for a deadline at 10:00, 08:00 would leave 2 of the 6 hours needed:
    # earlier, in the previous waking window, at the last moment that leaves 6 waking hours.
    cfg = _cfg(levels=[{"targets": ["coordinator"], "at": 0.95, "ack": "6h"}])
    start = datetime(2026, 9, 7, 10, 0, tzinfo=PARIS)
    assert local(latest_starts(cfg, start, start + timedelta(days=4))[0]) == "Thu 10/09 17:00"
    # A level without a timeout (the community) that cannot move later goes to the evening before.
    cfg = _cfg(levels=[{"targets": ["community"], "at": 0.99}])
    start = datetime(2026, 9, 7, 6, 30, tzinfo=PARIS)
    assert local(latest_starts(cfg, start, start + timedelta(days=4))[0]) == "Thu 10/09 20:00"


def test_a_trial_delay_has_no_quiet_hours_and_fires_at_the_fractions() -> None:
    cfg = _cfg(delay="8s")
    start = datetime(2026, 9, 7, 23, 0, tzinfo=PARIS)
    offsets = [(t - start).total_seconds() for t in latest_starts(cfg, start, start + timedelta(seconds=8))]
    assert offsets == [2.0, 4.0, 6.0, 6.8, 6.8]


def test_waking_time_arithmetic_skips_nights_and_quiet_weekends() -> None:
    waking = waking_hours("Europe/Paris", cfg_window(), True)
    friday_8pm = datetime(2026, 9, 11, 20, 0, tzinfo=PARIS)
    assert local(waking.add(friday_8pm, timedelta(hours=3))) == "Mon 14/09 10:00"
    assert local(waking.back(datetime(2026, 9, 14, 10, 0, tzinfo=PARIS), timedelta(hours=3))) == "Fri 11/09 20:00"
    assert waking.between(friday_8pm, datetime(2026, 9, 14, 10, 0, tzinfo=PARIS)) == timedelta(hours=3)
    assert local(waking.next_waking(datetime(2026, 9, 13, 12, 0, tzinfo=PARIS))) == "Mon 14/09 08:00"
    # Daylight saving time ends on 25 October: quiet hours stay 21:00–08:00 on the wall clock.
    assert local(waking.next_waking(datetime(2026, 10, 25, 23, 0, tzinfo=PARIS))) == "Mon 26/10 08:00"


def cfg_window():  # type: ignore[no-untyped-def]
    return SosPolicy().quiet_window
