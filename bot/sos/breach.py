"""The deadline: the breach is recorded at 100 % and said honestly in the thread; coordinators are told.

The thread hears it at the deadline, whatever the hour (the record must be true); the coordinators'
private message waits for the end of quiet hours (`sos.breach_coordinator`).
"""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Escalation, Member, Question, ScheduledStep, Space
from bot.hooks import StepRun, on_step
from bot.links import thread_link
from bot.members import members_with_role, referents_of, user_ref
from bot.outbound import Outbound
from bot.sos.ladder import LATE_AFTER, question_text
from bot.sos.pings import record
from bot.sos.plan import waking_for
from bot.sos.replies import unconfirmed_peer_reply
from bot.sos.store import thread_of


async def _warned_at(run: StepRun, question: Question) -> Escalation | None:
    return (await run.session.execute(
        select(Escalation).where(Escalation.question_id == question.id, Escalation.kind == "sos.coordinator",
                                 Escalation.fired_at >= question.clock_started_at)
        .order_by(Escalation.fired_at).limit(1)
    )).scalar_one_or_none()


@on_step("sos.breach")
async def breach(run: StepRun) -> None:
    question = await run.session.get(Question, run.step.question_id)
    if question is None or question.status != "open":
        return
    space = await run.session.get(Space, question.space_id)
    asker = await run.session.get(Member, question.asker_id)
    if space is None or asker is None:
        return
    cfg = run.core.space_config(space)
    question.breached_at = run.step.due_at
    coordinators = [m for m in await members_with_role(run.session, question.space_id, "coordinator")
                    if m.platform == question.platform]
    claimer = await run.session.get(Member, question.claimed_by_id) if question.claimed_by_id else None
    on_it = [claimer] if claimer else coordinators or await referents_of(
        run.session, question.space_id, question.asker_id)
    warned = await _warned_at(run, question)
    peer = await unconfirmed_peer_reply(run.session, question)
    out = Outbound(run.session, run.now, space.language)
    out.reply(thread_of(question), "sos/breach_thread", asker=user_ref(asker),
              on_it=[user_ref(m) for m in on_it if m.platform == question.platform],
              warned=warned.fired_at if warned else None, has_peer_reply=peer is not None)
    # The thread names who is on it without pinging them: the coordinators get their own message.
    record(run.session, question, "sos.breach", run.step.due_at, run.now)
    when = waking_for(cfg).next_waking(run.now)
    if when > run.now:
        run.session.add(ScheduledStep(space_id=question.space_id, kind="sos.breach_coordinator",
                                      question_id=question.id, due_at=when))
    else:
        await _tell_coordinators(run, question, coordinators, claimer)


@on_step("sos.breach_coordinator")
async def breach_coordinator(run: StepRun) -> None:
    """The coordinators' message about a breach that happened during quiet hours."""
    question = await run.session.get(Question, run.step.question_id)
    if question is None or question.breached_at is None:
        return
    coordinators = [m for m in await members_with_role(run.session, question.space_id, "coordinator")
                    if m.platform == question.platform]
    claimer = await run.session.get(Member, question.claimed_by_id) if question.claimed_by_id else None
    await _tell_coordinators(run, question, coordinators, claimer)


async def _tell_coordinators(run: StepRun, question: Question, coordinators: list[Member],
                             claimer: Member | None) -> None:
    space = await run.session.get(Space, question.space_id)
    asker = await run.session.get(Member, question.asker_id)
    if space is None or asker is None or not coordinators:
        return
    cfg = run.core.space_config(space)
    out = Outbound(run.session, run.now, space.language)
    late = question.breached_at if question.breached_at and run.now - question.breached_at > LATE_AFTER else None
    text = await question_text(run.session, question)
    link = thread_link(thread_of(question), cfg)
    for coordinator in coordinators:
        out.direct(coordinator, "sos/breach_coordinator", asker=user_ref(asker), question=text, link=link,
                   created=question.created_at, claimer=user_ref(claimer) if claimer else None, late=late,
                   answered=question.status != "open")
    record(run.session, question, "sos.breach_coordinator", question.breached_at or run.now, run.now, coordinators)
