"""SOS commands: /sos, /resolu, /claim, /reouvrir, /sla."""

from __future__ import annotations

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Member, Post, Question
from bot.members import user_ref
from bot.sos.ladder import schedule_ladder
from bot.sos.questions import mark_resolved, open_question
from bot.sos.sla import open_questions, sla_report
from bot.sos.store import LADDER_KINDS, cancel_steps, question_in_thread, thread_of
from bot.templates import excerpt

STAFF = ("trainer", "coordinator")
CLAIMERS = ("tutor", "trainer", "coordinator")


async def _thread_question(ctx: Context) -> Question:
    question = await question_in_thread(ctx.session, ctx.thread) if ctx.thread and not ctx.is_direct else None
    if question is None:
        raise UserError("sos/not_a_question_thread")
    return question


@command("sos", "aide-tice", usage="/sos <votre question>", inline="end")
async def sos(ctx: Context, cmd: ParsedCommand) -> None:
    if ctx.space is None or ctx.is_direct or ctx.thread is None:
        raise UserError("sos/sos_where")
    if not cmd.args.strip():
        raise UserError("sos/sos_empty")
    if await question_in_thread(ctx.session, ctx.thread) is not None:
        raise UserError("sos/sos_in_question_thread")
    if ctx.post is None:  # a native command without a post: the adapter posts the text for us
        raise UserError("sos/sos_where")
    await open_question(ctx, title=cmd.args.strip().split("\n", 1)[0][:120])


@command("resolu", "résolu", "resolved", "solved", usage="/resolu")
async def resolu(ctx: Context, cmd: ParsedCommand) -> None:
    question = await _thread_question(ctx)
    if ctx.member.id != question.asker_id and not ctx.has_role(*STAFF):
        raise UserError("sos/refuse_resolve")
    if question.status == "resolved":
        raise UserError("sos/already_resolved")
    accepted = None
    if ctx.post is not None:
        from sqlalchemy import select

        accepted = (
            await ctx.session.execute(
                select(Post).where(
                    Post.platform == question.platform, Post.platform_channel_id == question.platform_channel_id,
                    Post.thread_root_id == question.thread_root_id, Post.author_id != question.asker_id,
                    Post.kind == "answer",
                ).order_by(Post.created_at.desc()).limit(1)
            )
        ).scalar_one_or_none()
    await mark_resolved(ctx, question, accepted)


@command("claim", "je-prends", "prendre", usage="/claim")
async def claim(ctx: Context, cmd: ParsedCommand) -> None:
    question = await _thread_question(ctx)
    if not ctx.has_role(*CLAIMERS):
        raise UserError("sos/refuse_claim")
    if question.status != "open":
        raise UserError("sos/claim_not_open")
    if question.claimed_by_id is not None:
        holder = await ctx.session.get(Member, question.claimed_by_id)
        raise UserError("sos/already_claimed", holder=user_ref(holder) if holder else ctx.user)
    question.claimed_by_id, question.claimed_at = ctx.member.id, ctx.now
    # The breach rung stays: a claim is a promise to answer, not an answer.
    await cancel_steps(ctx.session, question.id, ("sos.nudge", "sos.referent", "sos.trainers"))
    asker = await ctx.session.get(Member, question.asker_id)
    ctx.out.reply(thread_of(question), "sos/claimed", claimer=ctx.user,
                  asker=user_ref(asker) if asker else ctx.user, deadline=question.deadline_at)


@command("reouvrir", "réouvrir", "rouvrir", "reopen", usage="/reouvrir")
async def reouvrir(ctx: Context, cmd: ParsedCommand) -> None:
    question = await _thread_question(ctx)
    if ctx.member.id != question.asker_id:
        raise UserError("sos/refuse_reopen")
    if question.status == "open":
        raise UserError("sos/already_open")
    question.status = "open"
    question.answered_at = question.resolved_at = question.claimed_by_id = question.claimed_at = None
    await cancel_steps(ctx.session, question.id, LADDER_KINDS + ("sos.next_reply", "sos.solved_check"))
    schedule_ladder(ctx.session, ctx.space_config, question, ctx.now)
    ctx.out.reply(thread_of(question), "sos/reopened", asker=ctx.user, deadline=question.deadline_at)
    ctx.out.mark(thread_of(question), "open")


@command("sla", "delais", "délais", usage="/sla")
async def sla(ctx: Context, cmd: ParsedCommand) -> None:
    if ctx.space is None:
        raise UserError("errors/no_space")
    if not ctx.has_role(*STAFF):
        raise UserError("sos/refuse_sla")
    report = await sla_report(ctx.session, ctx.now, ctx.space.id)
    pending = []
    for q in await open_questions(ctx.session, ctx.space.id):
        asker = await ctx.session.get(Member, q.asker_id)
        post = await ctx.session.get(Post, q.post_id)
        pending.append({"asker": user_ref(asker) if asker else None, "remaining": q.deadline_at - ctx.now,
                        "overdue": q.deadline_at <= ctx.now, "claimed": q.claimed_by_id is not None,
                        "text": q.title or (excerpt(post.text or "", 80) if post else "")})
    ctx.private("sos/sla", report=report, pending=pending, space=ctx.space.id)
