"""When each level of the policy fires: the schedule computed back from the deadline.

Every level has a *latest start*. It is computed from the last level to the first:

1. start from the next level's latest start (the deadline, for the last level);
2. go back by this level's acknowledgement timeout in waking time, so the person asked still has that
   much waking time before the next level would be tried anyway;
3. never later than the level's own `at` / `after`;
4. a latest start inside quiet hours moves *later*, to the end of the quiet period, when that still
   leaves the acknowledgement timeout before the next level; otherwise it moves *earlier*, into the
   previous waking window: to the moment found in step 2 (which is always awake), or, for a level
   without a timeout, to one hour before the quiet period began. Asking at 17:00 the day before beats
   asking at 08:00 with no time left to act;
5. never before the question (or its reopening).

A level fires earlier when the previous one ends without an acknowledgement: its timeout ran out, the
person passed (`/passer`), or a claim lapsed. Such a trigger falling in quiet hours waits for the end of
the quiet period, but never beyond the level's latest start. A trial delay under a day has no quiet hours
and no margins: levels fire at their `at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SosPolicy, SpaceConfig
from bot.db.models import ScheduledStep
from bot.sos.deadlines import add_time
from bot.sos.quiet_hours import WakingHours, waking_hours

TRIAL_BELOW = timedelta(days=1)


def is_trial(policy: SosPolicy) -> bool:
    return policy.delay_td < TRIAL_BELOW


def waking_for(cfg: SpaceConfig) -> WakingHours:
    if is_trial(cfg.sos):
        return WakingHours.always()
    return waking_hours(cfg.timezone, cfg.sos.quiet_window, cfg.sos.quiet_weekends)


def latest_starts(cfg: SpaceConfig, start: datetime, deadline: datetime) -> list[datetime]:
    """The latest start of every level for a question whose clock started at `start`."""
    policy = cfg.sos
    levels = policy.levels
    nominal = [None if (off := lv.nominal_offset(policy.delay_td)) is None
               else add_time(start, off, policy, cfg.timezone) for lv in levels]
    starts: list[datetime] = [deadline] * len(levels)
    following = deadline
    if is_trial(policy):
        for i in reversed(range(len(levels))):
            following = starts[i] = max(start, min(following, nominal[i] or following))
        return starts
    waking = waking_for(cfg)
    for i in reversed(range(len(levels))):
        need = levels[i].ack_td or timedelta(0)
        t = waking.back(following, need) if need else following
        if nominal[i] is not None:
            t = min(t, nominal[i])
        t = _out_of_quiet_hours(waking, t, following, need, start)
        following = starts[i] = max(start, t)
    return starts


def _out_of_quiet_hours(waking: WakingHours, t: datetime, following: datetime, need: timedelta,
                        start: datetime) -> datetime:
    if not waking.is_quiet(t):
        return t
    later = waking.next_waking(t)
    if later < following and waking.between(later, following) >= need:
        return later
    earlier = waking.evening_before(t)
    return earlier if earlier >= start else min(later, following)


def due_after_trigger(cfg: SpaceConfig, trigger: datetime, latest: datetime) -> datetime:
    """A level triggered early (timeout, pass, lapsed claim): at once, or when quiet hours end, by `latest`."""
    return min(latest, waking_for(cfg).next_waking(trigger))


def timeout_of(cfg: SpaceConfig, fired: datetime, ack: timedelta | None) -> datetime | None:
    return waking_for(cfg).add(fired, ack) if ack else None


def defer_if_quiet(session: AsyncSession, cfg: SpaceConfig, step: ScheduledStep, now: datetime) -> bool:
    """A staff message falling due in quiet hours (late, after downtime) waits for the end of them."""
    waking = waking_for(cfg)
    if not waking.is_quiet(now):
        return False
    session.add(ScheduledStep(space_id=step.space_id, kind=step.kind, question_id=step.question_id,
                              declaration_id=step.declaration_id, note=step.note, due_at=waking.next_waking(now)))
    return True
