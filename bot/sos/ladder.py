"""The escalation ladder: scheduling its rungs for a question and firing each one when due.

Rungs are rows (ScheduledStep); the sweep fires them. Each fired rung is also written to `escalations`
with its due and fired times, so late firings after downtime are visible in the SLA report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Declaration, Escalation, Member, Post, Question, ScheduledStep, Space, Tag
from bot.durations import parse_duration
from bot.hooks import StepRun, on_step
from bot.links import thread_link
from bot.members import members_with_role, referents_of, user_ref
from bot.outbound import Outbound
from bot.sos.deadlines import add_time
from bot.sos.store import LADDER_KINDS, cancel_steps, channel_of_kind, thread_of

LATE_AFTER = timedelta(minutes=5)  # a rung fired later than this says when it was due


def schedule_ladder(session: AsyncSession, cfg: SpaceConfig, question: Question, start: datetime) -> None:
    policy = cfg.sos
    question.clock_started_at = start
    question.deadline_at = add_time(start, policy.delay_td, policy, cfg.timezone)
    for rung in policy.ladder:
        due = add_time(start, rung.offset(policy.delay_td), policy, cfg.timezone)
        session.add(ScheduledStep(space_id=question.space_id, kind=f"sos.{rung.kind}",
                                  question_id=question.id, due_at=due))


def schedule_after(session: AsyncSession, question: Question, kind: str, delay: str, now: datetime) -> None:
    session.add(ScheduledStep(space_id=question.space_id, kind=kind, question_id=question.id,
                              due_at=now + parse_duration(delay)))


async def _load(run: StepRun) -> tuple[Question, Space, SpaceConfig, Member, Outbound] | None:
    question = await run.session.get(Question, run.step.question_id)
    if question is None:
        return None
    space = await run.session.get(Space, question.space_id)
    asker = await run.session.get(Member, question.asker_id)
    if space is None or asker is None:
        return None
    cfg = run.core.space_config(space)
    run.session.add(Escalation(question_id=question.id, kind=run.step.kind, due_at=run.step.due_at,
                               fired_at=run.now))
    return question, space, cfg, asker, Outbound(run.session, run.now, space.language)


def _late(run: StepRun) -> datetime | None:
    return run.step.due_at if run.now - run.step.due_at > LATE_AFTER else None


async def _question_text(session: AsyncSession, question: Question) -> str:
    post = await session.get(Post, question.post_id)
    text = (post.text or "") if post else ""
    return question.title or (text[:280] + ("…" if len(text) > 280 else ""))


async def resource_persons(session: AsyncSession, question: Question, limit: int = 3) -> list[Member]:
    """People whose validated competences match the question's tags; else the space's volunteers."""
    codes = list(
        (await session.execute(
            select(Tag.code).where(Tag.post_id == question.post_id, Tag.removed.is_(False))
        )).scalars()
    )
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
    return chosen[:limit]


def _open(question: Question) -> bool:
    return question.status == "open"


@on_step("sos.nudge")
async def nudge(run: StepRun) -> None:
    loaded = await _load(run)
    if loaded is None or not _open(loaded[0]):
        return
    question, _space, _cfg, asker, out = loaded
    people = await resource_persons(run.session, question)
    out.reply(thread_of(question), "sos/nudge", asker=user_ref(asker),
              resources=[user_ref(m) for m in people], has_replies=question.first_response_at is not None,
              deadline=question.deadline_at, late=_late(run))


@on_step("sos.referent")
async def referent(run: StepRun) -> None:
    loaded = await _load(run)
    if loaded is None or not _open(loaded[0]) or loaded[0].claimed_by_id:
        return
    question, _space, cfg, asker, out = loaded
    text = await _question_text(run.session, question)
    for trainer in await referents_of(run.session, question.space_id, question.asker_id):
        if trainer.platform != question.platform:
            continue
        out.direct(trainer, "sos/referent", asker=user_ref(asker), question=text,
                   link=thread_link(thread_of(question), cfg), deadline=question.deadline_at, late=_late(run))


@on_step("sos.trainers")
async def trainers(run: StepRun) -> None:
    loaded = await _load(run)
    if loaded is None or not _open(loaded[0]) or loaded[0].claimed_by_id:
        return
    question, _space, cfg, asker, out = loaded
    text = await _question_text(run.session, question)
    staff = [m for m in await members_with_role(run.session, question.space_id, "trainer")
             if m.platform == question.platform]
    room = await channel_of_kind(run.session, question.space_id, question.platform, "trainers")
    values = dict(asker=user_ref(asker), question=text, link=thread_link(thread_of(question), cfg),
                  deadline=question.deadline_at, trainers=[user_ref(m) for m in staff], late=_late(run))
    if room is not None:
        out.alert(room, ("trainer",), "sos/trainers_alert", **values)
    else:
        for trainer in staff:
            out.direct(trainer, "sos/trainers_alert", **values)
    out.mark(thread_of(question), "escalated")


@on_step("sos.breach")
async def breach(run: StepRun) -> None:
    loaded = await _load(run)
    if loaded is None or not _open(loaded[0]):
        return
    question, _space, cfg, asker, out = loaded
    question.breached_at = run.step.due_at
    text = await _question_text(run.session, question)
    coordinators = [m for m in await members_with_role(run.session, question.space_id, "coordinator")
                    if m.platform == question.platform]
    claimer = await run.session.get(Member, question.claimed_by_id) if question.claimed_by_id else None
    on_it = [claimer] if claimer else coordinators or await referents_of(
        run.session, question.space_id, question.asker_id)
    link = thread_link(thread_of(question), cfg)
    for coordinator in coordinators:
        out.direct(coordinator, "sos/breach_coordinator", asker=user_ref(asker), question=text, link=link,
                   created=question.created_at, claimer=user_ref(claimer) if claimer else None, late=_late(run))
    out.reply(thread_of(question), "sos/breach_thread", asker=user_ref(asker),
              on_it=[user_ref(m) for m in on_it if m.platform == question.platform])


@on_step("sos.next_reply")
async def next_reply(run: StepRun) -> None:
    """The asker followed up after an answer and nobody replied: the ladder starts again."""
    question = await run.session.get(Question, run.step.question_id)
    if question is None or question.status != "answered":
        return
    space = await run.session.get(Space, question.space_id)
    if space is None:
        return
    cfg = run.core.space_config(space)
    question.status = "open"
    question.answered_at = None
    await cancel_steps(run.session, question.id, LADDER_KINDS + ("sos.solved_check",))
    # Resume "from the nudge": the clock is placed so that the first rung is due now.
    first = min((r.offset(cfg.sos.delay_td) for r in cfg.sos.ladder), default=timedelta(0))
    schedule_ladder(run.session, cfg, question, run.now - first)


@on_step("sos.solved_check")
async def solved_check(run: StepRun) -> None:
    question = await run.session.get(Question, run.step.question_id)
    if question is None or question.status != "answered":
        return
    asker = await run.session.get(Member, question.asker_id)
    space = await run.session.get(Space, question.space_id)
    if asker is None or space is None:
        return
    Outbound(run.session, run.now, space.language).reply(
        thread_of(question), "sos/solved_check", asker=user_ref(asker))
