"""The Monday handover: the person on call gets the open questions and their deadlines, once a week.

One pending `sos.handover` step per space with a rota, armed at start-up (and when a coordinator sets
the rota) from the `handover` cron; a `sos_handovers` row per space and week makes it go out once even
after a restart or with two instances.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Member, Question, ScheduledStep, Space
from bot.db.sos_models import Handover
from bot.digest.periods import next_fire
from bot.hooks import StepRun, on_step
from bot.links import thread_link
from bot.members import user_ref
from bot.outbound import Outbound
from bot.sos.assignments import open_assignments
from bot.sos.oncall import has_rota, oncall_now, week_start
from bot.sos.store import thread_of
from bot.sos.weekly_steps import arm_every_space, ensure_weekly

if TYPE_CHECKING:
    from bot.core import Core

KIND = "sos.handover"


async def ensure_armed(session: AsyncSession, cfg: SpaceConfig, now: datetime) -> None:
    wanted = bool(cfg.sos.handover) and await has_rota(session, cfg)
    await ensure_weekly(session, cfg, KIND, cfg.sos.handover, wanted, now)


async def arm_handovers(core: Core) -> None:
    await arm_every_space(core, ensure_armed)


async def open_questions_with_holders(session: AsyncSession, cfg: SpaceConfig) -> list[dict[str, Any]]:
    questions = (await session.execute(select(Question).where(
        Question.space_id == cfg.id, Question.status == "open").order_by(Question.deadline_at))).scalars()
    items = []
    for q in questions:
        holders = await open_assignments(session, q.id)
        holder = await session.get(Member, holders[0].member_id) if holders else None
        items.append({"number": q.id, "title": q.title or "", "deadline": q.deadline_at,
                      "holder": user_ref(holder) if holder else None,
                      "claimed": bool(holders) and holders[0].state == "acknowledged",
                      "link": thread_link(thread_of(q), cfg)})
    return items


@on_step(KIND)
async def handover(run: StepRun) -> None:
    space = await run.session.get(Space, run.step.space_id)
    if space is None:
        return
    cfg = run.core.space_config(space)
    await _send(run, space, cfg)
    run.session.add(ScheduledStep(space_id=cfg.id, kind=KIND, note=run.step.note,
                                  due_at=next_fire(run.step.note or cfg.sos.handover, max(run.now, run.step.due_at),
                                                   cfg.timezone)))


async def _send(run: StepRun, space: Space, cfg: SpaceConfig) -> None:
    week = week_start(run.step.due_at, cfg.timezone)
    person = await oncall_now(run.session, cfg, run.now)
    if person is None or await run.session.scalar(
            select(Handover.id).where(Handover.space_id == cfg.id, Handover.week_start == week)) is not None:
        return
    items = await open_questions_with_holders(run.session, cfg)
    if not cfg.sos.handover_when_empty and all(item["claimed"] for item in items):
        return  # nothing for them to do this week: a message saying so is a ping for nothing
    try:
        async with run.session.begin_nested():
            run.session.add(Handover(space_id=cfg.id, week_start=week, member_id=person.id,
                                     open_questions=len(items), sent_at=run.now))
    except IntegrityError:
        return  # another instance sent it
    Outbound(run.session, run.now, space.language).direct(
        person, "sos/handover", person=user_ref(person), week=week, questions=items, space=cfg.id)
