"""Who a level reaches: the candidates for each target, in order, without the people to skip.

Skipped: the asker, erased members, people on another platform than the question, absent people,
and people already asked about this question in the current round (a `/passer` is not asked again).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Declaration, Escalation, Member, Question, Role, Tag
from bot.db.sos_models import Assignment
from bot.members import members_with_role, referents_of
from bot.sos.availability import absent_ids
from bot.sos.backup import backup_candidates
from bot.sos.oncall import oncall_now
from bot.sos.replies import ANSWERING_ROLES


async def resource_persons(session: AsyncSession, question: Question, limit: int = 3,
                           peers_only: bool = False) -> list[Member]:
    """People whose validated competences match the question's tags; else the space's volunteers.

    `peers_only` (the community nudge): without tutors, formateurs and coordinators, who are brought in
    by name through assignments, where their load is counted and bounded."""
    codes = list((await session.execute(
        select(Tag.code).where(Tag.post_id == question.post_id, Tag.removed.is_(False))
    )).scalars())
    chosen: list[Member] = []
    if codes:
        rows = await session.execute(
            select(Member)
            .join(Declaration, Declaration.member_id == Member.id)
            # Naming someone in a public thread for their validated competences needs their consent.
            .where(Declaration.space_id == question.space_id, Declaration.state == "validated",
                   Declaration.code.in_(codes), Member.id != question.asker_id, Member.erased_at.is_(None),
                   Member.consent_public.is_(True))
            .order_by(Declaration.updated_at.desc())
        )
        for member in rows.scalars():
            if member not in chosen:
                chosen.append(member)
    if len(chosen) < limit:
        for member in await members_with_role(session, question.space_id, "resource"):
            if member.id != question.asker_id and member not in chosen:
                chosen.append(member)
    if peers_only:
        staff = set((await session.execute(select(Role.member_id).where(
            Role.space_id == question.space_id, Role.role.in_(ANSWERING_ROLES)))).scalars())
        chosen = [m for m in chosen if m.id not in staff]
    return chosen[:limit]


async def asked_in_round(session: AsyncSession, question: Question) -> set[int]:
    """People already asked in this round of the policy: assigned (or who claimed) in this loop, and in the
    first loop also the formateurs mentioned by the formateurs' alert. In a later loop anyone may be asked
    again."""
    rows = await session.execute(
        select(Assignment.member_id).where(Assignment.question_id == question.id,
                                           Assignment.offered_at >= question.clock_started_at,
                                           Assignment.loop == question.policy_loop)
    )
    asked = set(rows.scalars())
    if question.policy_loop == 0:
        alerted = await session.execute(select(Escalation.member_id).where(
            Escalation.question_id == question.id, Escalation.kind == "sos.trainers",
            Escalation.fired_at >= question.clock_started_at, Escalation.member_id.is_not(None)))
        asked |= {m for m in alerted.scalars() if m is not None}
    return asked


async def _candidates(session: AsyncSession, cfg: SpaceConfig, question: Question, target: str,
                      now: datetime, asked: set[int]) -> list[Member]:
    if target == "oncall":
        person = await oncall_now(session, cfg, now)
        return [person] if person else []
    if target == "referent":
        return await referents_of(session, question.space_id, question.asker_id)
    if target == "resource":
        return await resource_persons(session, question)
    if target == "coordinator":
        return await members_with_role(session, question.space_id, "coordinator")
    if target == "backup":
        return await backup_candidates(session, cfg, question, asked, now)
    return []


async def first_available(session: AsyncSession, cfg: SpaceConfig, question: Question, targets: list[str],
                          now: datetime) -> tuple[Member, str] | None:
    """The person to assign: the first available candidate of the first target that has one."""
    asked = await asked_in_round(session, question)
    for target in targets:
        people = [m for m in await _candidates(session, cfg, question, target, now, asked)
                  if m.platform == question.platform and m.id != question.asker_id and m.erased_at is None
                  and m.id not in asked]
        away = await absent_ids(session, [m.id for m in people], now)
        for member in people:
            if member.id not in away:
                return member, target
    return None


async def formateurs_to_alert(session: AsyncSession, question: Question, now: datetime,
                              again: bool = False) -> list[Member]:
    """The present formateurs not asked yet in this round; when all were asked, all present ones again
    (`again`, the default) or nobody (the level is skipped: they already had their message)."""
    trainers = [m for m in await members_with_role(session, question.space_id, "trainer")
                if m.platform == question.platform and m.id != question.asker_id]
    away = await absent_ids(session, [m.id for m in trainers], now)
    present = [m for m in trainers if m.id not in away]
    asked = await asked_in_round(session, question)
    fresh = [m for m in present if m.id not in asked]
    return fresh or (present if again else [])
