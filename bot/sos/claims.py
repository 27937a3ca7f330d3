"""A claim is a promise: the claimer is reminded once if they have not answered by a set time, then the
next level is tried (the claim lapses): `claim_grace` after the reminder, or at the reminder itself with
`claim_handover = true` (the reminder then says so, and the claimer may still answer).

Reminder time: `claim_answer_within` of waking time after the claim, but no later than the latest start
of the last level (the coordinator) when the reminder hands on at once (`claim_handover`), or
`claim_grace` before it otherwise (and before the deadline for a claim at the last level); never sooner
than an hour after the claim. While a claim holds, no level fires (the breach still does).
Passing (`/passer`) ends an assignment and moves on at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Member, Question, ScheduledStep, Space
from bot.db.sos_models import Assignment
from bot.durations import parse_duration
from bot.hooks import StepRun, on_step
from bot.links import thread_link
from bot.members import user_ref
from bot.outbound import Outbound
from bot.sos.assignments import end_open, open_assignment_of
from bot.sos.ladder import move_on, question_text
from bot.sos.pings import record
from bot.sos.plan import defer_if_quiet, latest_starts, waking_for
from bot.sos.store import CLAIM_KINDS, LEVEL_KINDS, cancel_steps, thread_of

MIN_ANSWER_TIME = timedelta(hours=1)


def reminder_time(cfg: SpaceConfig, question: Question, claimed: datetime) -> datetime:
    waking = waking_for(cfg)
    policy = cfg.sos
    # The claim stands in for the levels in between; it must lapse in time for the last level (the
    # coordinator, by default) to start by its latest start.
    following = question.deadline_at
    if question.policy_level + 1 < len(policy.levels):
        following = latest_starts(cfg, question.clock_started_at, question.deadline_at)[-1]
    # With `claim_handover` the hand-on is the reminder itself: it may wait for that latest start (not
    # for the deadline, when no level follows: the reminder must leave the claimer time to answer).
    handed_on = policy.claim_handover and following != question.deadline_at
    latest = following if handed_on else waking.back(following, parse_duration(policy.claim_grace))
    wanted = min(waking.add(claimed, parse_duration(policy.claim_answer_within)), latest)
    return max(wanted, waking.add(claimed, MIN_ANSWER_TIME))


async def take(session: AsyncSession, cfg: SpaceConfig, question: Question, member: Member,
               now: datetime) -> Assignment:
    """`member` takes the question: their assignment is acknowledged (or a claim recorded) and chased."""
    assignment = await open_assignment_of(session, question.id, member.id)
    if assignment is None:
        assignment = Assignment(question_id=question.id, member_id=member.id, target="claim",
                                level=question.policy_level, loop=question.policy_loop, state="acknowledged",
                                offered_at=now)
        session.add(assignment)
    assignment.state, assignment.acknowledged_at = "acknowledged", now
    await end_open(session, question.id, now, "released", keep_member=member.id)
    question.claimed_by_id, question.claimed_at = member.id, now
    await cancel_steps(session, question.id, LEVEL_KINDS + CLAIM_KINDS)
    assignment.answer_by = reminder_time(cfg, question, now)
    session.add(ScheduledStep(space_id=question.space_id, kind="sos.claim_reminder", question_id=question.id,
                              due_at=assignment.answer_by, note=str(member.id)))
    return assignment


async def give_up(session: AsyncSession, cfg: SpaceConfig, question: Question, assignment: Assignment,
                  state: str, now: datetime, reason: str | None = None) -> None:
    """End an open assignment without an answer (passed, lapsed, absent) and try the next level at once."""
    assignment.state, assignment.ended_at, assignment.reason = state, now, reason
    if question.claimed_by_id == assignment.member_id:
        question.claimed_by_id = question.claimed_at = None
    await cancel_steps(session, question.id, CLAIM_KINDS)
    await move_on(session, cfg, question, now)


async def _held(run: StepRun) -> tuple[Question, Space, Member, Assignment] | None:
    """The question, if still open and held by the claimer this step was armed for."""
    question = await run.session.get(Question, run.step.question_id)
    if question is None or question.status != "open" or str(question.claimed_by_id) != run.step.note:
        return None
    space = await run.session.get(Space, question.space_id)
    claimer = await run.session.get(Member, question.claimed_by_id)
    assignment = await open_assignment_of(run.session, question.id, question.claimed_by_id)
    if space is None or claimer is None or assignment is None:
        return None
    return question, space, claimer, assignment


@on_step("sos.claim_reminder")
async def claim_reminder(run: StepRun) -> None:
    held = await _held(run)
    if held is None:
        return
    question, space, claimer, assignment = held
    cfg = run.core.space_config(space)
    if defer_if_quiet(run.session, cfg, run.step, run.now):
        return
    assignment.reminded_at = run.now
    handover = cfg.sos.claim_handover
    lapse = run.now if handover else waking_for(cfg).add(run.now, parse_duration(cfg.sos.claim_grace))
    asker = await run.session.get(Member, question.asker_id)
    Outbound(run.session, run.now, space.language).direct(
        claimer, "sos/claim_reminder", question_id=question.id, actions=("pass",),
        asker=user_ref(asker) if asker else None, question=await question_text(run.session, question),
        link=thread_link(thread_of(question), cfg), claimed=question.claimed_at, deadline=question.deadline_at,
        lapse=lapse, number=question.id, handed_over=handover)
    record(run.session, question, "sos.claim_reminder", run.step.due_at, run.now, [claimer], question.policy_level)
    if handover:  # the next level now; the claimer's answer, if it comes, still answers the question
        await give_up(run.session, cfg, question, assignment, "lapsed", run.now, "reminded")
        return
    run.session.add(ScheduledStep(space_id=question.space_id, kind="sos.claim_lapse", question_id=question.id,
                                  due_at=lapse, note=run.step.note))


@on_step("sos.claim_lapse")
async def claim_lapse(run: StepRun) -> None:
    held = await _held(run)
    if held is None:
        return
    question, space, _claimer, assignment = held
    await give_up(run.session, run.core.space_config(space), question, assignment, "lapsed", run.now)
