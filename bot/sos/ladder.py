"""The escalation engine: start a question's policy, fire its levels, move on early when nobody takes it.

The policy of a question is rows: at most one pending level step (`sos.nudge`, `sos.oncall`, …, its
note "level:loop"), the breach at the deadline, and a claim's chase (`bot/sos/claims.py`). The sweep
fires them once each, so a restart or a second instance loses and duplicates nothing. When a level
fires it records what it sent (`escalations`), then arms the next level: at its latest start
(`bot/sos/plan.py`), or earlier when this level's acknowledgement timeout runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Member, Post, Question, ScheduledStep, Space
from bot.hooks import StepHandler, StepRun, on_step
from bot.outbound import Outbound
from bot.sos import batch
from bot.sos.deadlines import add_time
from bot.sos.levels import LevelRun, act
from bot.sos.plan import defer_if_quiet, due_after_trigger, latest_starts, timeout_of, waking_for
from bot.sos.store import LEVEL_KINDS, cancel_steps, thread_of

LATE_AFTER = timedelta(minutes=5)  # a level fired later than this says when it was due


def schedule_ladder(session: AsyncSession, cfg: SpaceConfig, question: Question, start: datetime) -> None:
    """Start (or restart) the question's policy with its clock starting at `start`."""
    policy = cfg.sos
    question.clock_started_at = start
    question.deadline_at = add_time(start, policy.delay_td, policy, cfg.timezone)
    question.policy_level, question.policy_loop = -1, 0
    if policy.levels:
        _schedule(session, cfg, question, 0, 0, latest_starts(cfg, start, question.deadline_at)[0])
    # note set like the level's: rows with the same columns go in one multi-row INSERT (bulk_insert)
    session.add(ScheduledStep(space_id=question.space_id, kind="sos.breach", question_id=question.id,
                              due_at=question.deadline_at, note=""))


def _schedule(session: AsyncSession, cfg: SpaceConfig, question: Question, index: int, loop: int,
              due: datetime) -> None:
    step = ScheduledStep(space_id=question.space_id, kind=cfg.sos.levels[index].kind,
                         question_id=question.id, due_at=due, note=f"{index}:{loop}")
    session.add(step)
    batch.armed(session, step)


def next_level(cfg: SpaceConfig, index: int, loop: int) -> tuple[int, int] | None:
    """The level after `index`; after the last one, the first personal level again while loops remain."""
    levels = cfg.sos.levels
    if index + 1 < len(levels):
        return index + 1, loop
    if loop < cfg.sos.loop:
        first = next((i for i, lv in enumerate(levels) if lv.personal), None)
        return (first, loop + 1) if first is not None else None
    return None


def _arm(session: AsyncSession, cfg: SpaceConfig, question: Question, step: tuple[int, int],
         trigger: datetime | None) -> None:
    """Arm level `step` by its latest start, or after `trigger` when that comes first."""
    index, loop = step
    if loop == question.policy_loop:
        latest = latest_starts(cfg, question.clock_started_at, question.deadline_at)[index]
        due = latest if trigger is None else due_after_trigger(cfg, trigger, latest)
    elif trigger is not None:  # a new loop: the latest starts are behind us
        due = waking_for(cfg).next_waking(trigger)
    else:
        return
    _schedule(session, cfg, question, index, loop, due)


async def move_on(session: AsyncSession, cfg: SpaceConfig, question: Question, trigger: datetime) -> bool:
    """Nobody took it at the current level (pass, lapsed claim, absence): the next level, at once."""
    await cancel_steps(session, question.id, LEVEL_KINDS)
    step = next_level(cfg, question.policy_level, question.policy_loop)
    if step is None:
        return False
    _arm(session, cfg, question, step, trigger)
    return True


def _parse_note(step: ScheduledStep, cfg: SpaceConfig) -> tuple[int, int] | None:
    index, _, loop = step.note.partition(":")
    if index.isdigit() and int(index) < len(cfg.sos.levels):
        return int(index), int(loop or 0)
    # A rung armed by the ladder of an earlier version (no note): the first level reaching that target.
    target = "community" if step.kind == "sos.nudge" else step.kind.removeprefix("sos.")
    same = [i for i, lv in enumerate(cfg.sos.levels) if target in lv.targets]
    return (same[0], 0) if same else None


async def question_text(session: AsyncSession, question: Question) -> str:
    post = await batch.get(session, Post, question.post_id)
    text = (post.text or "") if post else ""
    return question.title or (text[:280] + ("…" if len(text) > 280 else ""))


async def fire(run: StepRun) -> None:
    question = await batch.get(run.session, Question, run.step.question_id)
    if question is None or question.status != "open" or question.claimed_by_id is not None:
        return  # answered, or held by a claim (whose chase re-arms the policy if it lapses)
    space = await batch.get(run.session, Space, question.space_id)
    asker = await batch.get(run.session, Member, question.asker_id)
    if space is None or asker is None:
        return
    cfg = run.core.space_config(space)
    step = _parse_note(run.step, cfg)
    if step is None or defer_if_quiet(run.session, cfg, run.step, run.now):
        return
    # One pending level per question: this one arms the next (rungs of an earlier version, all armed at
    # once, are folded into the policy here).
    # In a sweep batch both UPDATEs are sent once for the whole batch (bot/sos/batch.py).
    await batch.cancel_levels(run.session, question.id)
    await batch.expire_offers(run.session, question.id, run.now)
    out = Outbound(run.session, run.now, space.language)
    late = run.step.due_at if run.now - run.step.due_at > LATE_AFTER else None
    text = await question_text(run.session, question)
    first_staff = not any(lv.targets != ["community"] for lv in cfg.sos.levels[:question.policy_level + 1])
    current: tuple[int, int] | None = step
    while current is not None:
        index, loop = current
        question.policy_level, question.policy_loop = index, loop
        level = cfg.sos.levels[index]
        if await act(LevelRun(run.session, cfg, question, asker, out, run.now, run.step.due_at, late, index,
                              level, text)):
            break
        current = next_level(cfg, index, loop)  # nobody to reach here: the next level, at once
    batch.same_update(run.session, question)
    if current is None:
        return
    level = cfg.sos.levels[current[0]]
    if first_staff and level.targets != ["community"]:
        out.mark(thread_of(question), "escalated")
    following = next_level(cfg, *current)
    if following is not None:
        _arm(run.session, cfg, question, following, timeout_of(cfg, run.now, level.ack_td))


def _level_handler(kind: str) -> StepHandler:
    async def handler(run: StepRun) -> None:
        await fire(run)

    handler.__name__ = handler.__qualname__ = kind.replace(".", "_")
    return on_step(kind)(handler)


nudge, oncall, referent, resource, trainers, coordinator, backup = (_level_handler(kind) for kind in LEVEL_KINDS)
