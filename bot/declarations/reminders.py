"""Review reminders: one scheduled step per pending declaration, to validators then to the coordinator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Declaration, Member, ScheduledStep, Space
from bot.declarations.store import AWAITING_VALIDATOR, thread_of
from bot.durations import parse_duration
from bot.hooks import StepRun, on_step
from bot.links import thread_link
from bot.members import members_with_role, referents_of, user_ref
from bot.outbound import Outbound

KIND = "declaration.reminder"
TO_VALIDATORS, TO_COORDINATOR = "validators", "coordinator"


def schedule_reminder(session: AsyncSession, cfg: SpaceConfig, decl: Declaration, now: datetime,
                      stage: str = TO_VALIDATORS) -> None:
    session.add(ScheduledStep(space_id=decl.space_id, kind=KIND, declaration_id=decl.id,
                              due_at=now + parse_duration(cfg.review.delay), note=stage))


async def cancel_reminders(session: AsyncSession, declaration_id: int) -> None:
    await session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.declaration_id == declaration_id, ScheduledStep.kind == KIND,
               ScheduledStep.state == "pending")
        .values(state="cancelled")
    )


async def validators_for(session: AsyncSession, cfg: SpaceConfig, decl: Declaration) -> list[Member]:
    """The member's referent trainers; without trainers, anyone holding a validator role (not the member)."""
    people = await referents_of(session, decl.space_id, decl.member_id)
    if not people:
        for role in cfg.review.validators:
            people += [m for m in await members_with_role(session, decl.space_id, role) if m not in people]
    return [m for m in people if m.id != decl.member_id and m.platform == decl.platform]


@on_step(KIND)
async def remind(run: StepRun) -> None:
    decl = await run.session.get(Declaration, run.step.declaration_id)
    if decl is None or decl.state not in AWAITING_VALIDATOR:
        return  # decided, or waiting for the member's answer: nothing to remind
    space = await run.session.get(Space, decl.space_id)
    author = await run.session.get(Member, decl.member_id)
    if space is None or author is None:
        return
    cfg = run.core.space_config(space)
    out = Outbound(run.session, run.now, space.language)
    link = "" if decl.is_private else thread_link(thread_of(decl), cfg)
    values = dict(who=user_ref(author), id=decl.id, code=decl.code, label=decl.label,
                  since=decl.created_at, waited=run.now - decl.created_at, link=link)
    if run.step.note == TO_COORDINATOR:
        for coordinator in await members_with_role(run.session, decl.space_id, "coordinator"):
            if coordinator.id != decl.member_id and coordinator.platform == decl.platform:
                out.direct(coordinator, "declarations/reminder_coordinator", declaration_id=decl.id, **values)
        return
    for validator in await validators_for(run.session, cfg, decl):
        out.direct(validator, "declarations/reminder", declaration_id=decl.id, **values)
    schedule_reminder(run.session, cfg, decl, run.now, TO_COORDINATOR)
