"""Endorsement and "not solved".

- A ✅ by a tutor, formateur or coordinator on someone else's reply answers the question, like an
  accepted answer: the policy stops; the question counts as answered when the reply was written.
- The asker's ❌ or `/pas-resolu` says the replies so far did not solve it: an answered question is
  opened again and the policy resumes with the time that is left (the next level is tried at once; if
  the deadline has already passed, a new delay starts, as with `/reouvrir`). On an open question the
  peer replies so far stop counting as "to be checked".
"""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Context
from bot.db.models import Member, Post, Question, ScheduledStep
from bot.members import user_ref
from bot.sos.ladder import move_on, schedule_ladder
from bot.sos.questions import mark_answered
from bot.sos.store import LADDER_KINDS, cancel_steps, thread_of


async def endorse(ctx: Context, question: Question, post: Post) -> None:
    if post.id == question.post_id or post.kind != "answer" or post.author_id in (ctx.member.id, question.asker_id):
        return  # the question, a command, one's own reply or the asker's follow-up: nothing to confirm
    if question.status != "open":
        return
    await mark_answered(ctx, question, answer=post)
    helper = await ctx.session.get(Member, post.author_id)
    asker = await ctx.session.get(Member, question.asker_id)
    ctx.out.reply(thread_of(question), "sos/endorsed", endorser=ctx.user,
                  helper=user_ref(helper) if helper else None, asker=user_ref(asker) if asker else None)


async def not_solved(ctx: Context, question: Question) -> None:
    question.not_solved_at = ctx.now
    restarted = False
    if question.status != "open":
        question.status = "open"
        question.answered_at = question.resolved_at = question.claimed_by_id = question.claimed_at = None
        question.resolution = question.accepted_post_id = None
        await cancel_steps(ctx.session, question.id, LADDER_KINDS + ("sos.next_reply", "sos.solved_check"))
        cfg = ctx.space_config
        if question.deadline_at <= ctx.now:
            schedule_ladder(ctx.session, cfg, question, ctx.now)
            restarted = True
        else:
            await _keep_breach(ctx, question)
            await move_on(ctx.session, cfg, question, ctx.now)
        ctx.out.mark(thread_of(question), "open")
    ctx.out.reply(thread_of(question), "sos/not_solved", asker=ctx.user, deadline=question.deadline_at,
                  restarted=restarted)


async def _keep_breach(ctx: Context, question: Question) -> None:
    pending = await ctx.session.scalar(select(ScheduledStep.id).where(
        ScheduledStep.question_id == question.id, ScheduledStep.kind == "sos.breach",
        ScheduledStep.state == "pending"))
    if pending is None:
        ctx.session.add(ScheduledStep(space_id=question.space_id, kind="sos.breach", question_id=question.id,
                                      due_at=question.deadline_at))
