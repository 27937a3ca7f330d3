"""Rota holes warned ahead: the coordinators hear of a coming week without cover while they can still
name someone (`/permanence <formateur> <date>`).

A hole in a week is either
- `oncall`: the person on call that week is declared absent on some of its working days (the stand-in,
  the next available rota member, is named, and told it is their week), or
- `nobody`: working days when every formateur of the space is declared absent.

Checked at two moments: when someone declares an absence (`/absent`, for the weeks it touches, up to
`LOOKAHEAD_WEEKS`), and each `rota_check` (Friday 10:00 by default) for the coming week. A
`sos_rota_warnings` row per person and week keeps the same holes from being told twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Member, ScheduledStep, Space
from bot.db.sos_models import RotaWarning
from bot.digest.periods import next_fire
from bot.hooks import StepRun, on_step
from bot.members import members_with_role, user_ref
from bot.outbound import Outbound
from bot.sos.availability import absent_ids
from bot.sos.oncall import has_rota, oncall_now, oncall_of_week, week_start
from bot.sos.weekly_steps import arm_every_space, ensure_weekly

if TYPE_CHECKING:
    from bot.core import Core

KIND = "sos.rota_check"
LOOKAHEAD_WEEKS = 4  # an absence declared for longer is checked week by week on Fridays
NOON = time(12)


@dataclass
class WeekHoles:
    week: date
    oncall: Member | None = None  # the person on call, declared absent on `oncall_days`
    oncall_days: list[date] = field(default_factory=list)
    stand_in: Member | None = None
    nobody_days: list[date] = field(default_factory=list)  # no formateur present

    def __bool__(self) -> bool:
        return bool(self.oncall_days or self.nobody_days)

    def summary(self) -> str:
        """What the warning says, as a key: the same holes are not told twice."""
        parts = []
        if self.oncall_days:
            parts.append(f"oncall:{self.oncall.id if self.oncall else '-'}:"
                         f"{','.join(d.isoformat() for d in self.oncall_days)}:"
                         f"{self.stand_in.id if self.stand_in else '-'}")
        if self.nobody_days:
            parts.append("nobody:" + ",".join(d.isoformat() for d in self.nobody_days))
        return ";".join(parts)[:500]


def _at(day: date, tz: str) -> datetime:
    return datetime.combine(day, NOON, ZoneInfo(tz))


async def holes_of_week(session: AsyncSession, cfg: SpaceConfig, week: date, now: datetime) -> WeekHoles:
    holes = WeekHoles(week)
    trainers = await members_with_role(session, cfg.id, "trainer")
    info = await oncall_of_week(session, cfg, week, now)
    for day in (week + timedelta(days=k) for k in range(5)):
        at = _at(day, cfg.timezone)
        if at < now:
            continue
        away = await absent_ids(session, [m.id for m in trainers] + ([info.member.id] if info.member else []), at)
        if info.member is not None and info.member.id in away:
            holes.oncall = info.member
            holes.oncall_days.append(day)
            if holes.stand_in is None:
                holes.stand_in = await oncall_now(session, cfg, at)
        if trainers and all(m.id in away for m in trainers):
            holes.nobody_days.append(day)
    return holes


async def _coordinators(session: AsyncSession, cfg: SpaceConfig, now: datetime) -> list[Member]:
    people = await members_with_role(session, cfg.id, "coordinator")
    away = await absent_ids(session, [m.id for m in people], now)
    return [m for m in people if m.id not in away] or people  # all absent: they read it when back


async def warn(session: AsyncSession, cfg: SpaceConfig, language: str, holes: WeekHoles, reason: str,
               now: datetime, skip: int | None = None) -> int:
    """Tell the coordinators (and the stand-in) about `holes`, once per person and description."""
    if not holes:
        return 0
    summary = holes.summary()
    people = await _coordinators(session, cfg, now)
    if holes.stand_in is not None and holes.stand_in not in people:
        people.append(holes.stand_in)
    told = set((await session.execute(select(RotaWarning.member_id).where(
        RotaWarning.space_id == cfg.id, RotaWarning.week_start == holes.week, RotaWarning.holes == summary)))
        .scalars())
    out = Outbound(session, now, language)
    sent = 0
    for person in people:
        if person.id in told or person.id == skip or person.erased_at is not None:
            continue
        session.add(RotaWarning(space_id=cfg.id, week_start=holes.week, member_id=person.id, reason=reason,
                                holes=summary, sent_at=now))
        out.direct(person, "sos/rota_hole", space=cfg.id, week=holes.week, reason=reason,
                   stand_in_told=person == holes.stand_in,
                   oncall=user_ref(holes.oncall) if holes.oncall else None, oncall_days=holes.oncall_days,
                   stand_in=user_ref(holes.stand_in) if holes.stand_in else None, nobody_days=holes.nobody_days)
        sent += 1
    return sent


async def warn_for_absence(session: AsyncSession, core: Core, member: Member, until: datetime,
                           now: datetime, starts: datetime | None = None) -> int:
    """At `/absent`: the holes this absence opens in the weeks it touches, in every space of the person.

    An absence declared ahead is checked at once too, from its first week (up to `LOOKAHEAD_WEEKS` of
    it): the earlier the coordinators hear of a hole, the easier it is to name someone."""
    from bot.members import spaces_of

    sent = 0
    for space_id in await spaces_of(session, member.id):
        space = await session.get(Space, space_id)
        if space is None:
            continue
        cfg = core.space_config(space)
        if not cfg.sos.levels:
            continue
        first = week_start(max(starts or now, now), cfg.timezone)
        # `until` is the midnight after the last day: the week of that last day is the last one touched.
        last = min(week_start(until - timedelta(seconds=1), cfg.timezone),
                   first + timedelta(weeks=LOOKAHEAD_WEEKS - 1))
        week = first
        while week <= last:
            holes = await holes_of_week(session, cfg, week, now)
            concerns = holes.nobody_days or (holes.oncall is not None and holes.oncall.id == member.id)
            if concerns:
                sent += await warn(session, cfg, space.language, holes, "declared", now, skip=member.id)
            week += timedelta(weeks=1)
    return sent


async def ensure_armed(session: AsyncSession, cfg: SpaceConfig, now: datetime) -> None:
    # Like the handover, the weekly check is for spaces with a rota (an absence is checked when declared).
    wanted = bool(cfg.sos.rota_check) and bool(cfg.sos.levels) and await has_rota(session, cfg)
    await ensure_weekly(session, cfg, KIND, cfg.sos.rota_check, wanted, now)


async def arm_rota_checks(core: Core) -> None:
    await arm_every_space(core, ensure_armed)


@on_step(KIND)
async def rota_check(run: StepRun) -> None:
    space = await run.session.get(Space, run.step.space_id)
    if space is None:
        return
    cfg = run.core.space_config(space)
    coming = week_start(run.now, cfg.timezone) + timedelta(weeks=1)
    await warn(run.session, cfg, space.language, await holes_of_week(run.session, cfg, coming, run.now), "check",
               run.now)
    run.session.add(ScheduledStep(space_id=cfg.id, kind=KIND, note=run.step.note,
                                  due_at=next_fire(run.step.note or cfg.sos.rota_check,
                                                   max(run.now, run.step.due_at), cfg.timezone)))

