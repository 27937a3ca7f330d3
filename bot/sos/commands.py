"""SOS commands about one question: /sos, /resolu, /claim, /passer, /pas-resolu, /reouvrir.

In a question's thread they act on that question. `/claim` and `/passer` also work in a private
message to the bot, on the question the person was asked to take (or `/claim 12` for question n°12).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Member, Post, Question, Space
from bot.members import roles_of, spaces_of, user_ref
from bot.sos.assignments import end_open, member_open_assignments, open_assignment_of
from bot.sos.claims import give_up, take
from bot.sos.endorse import not_solved
from bot.sos.ladder import question_text, schedule_ladder
from bot.sos.questions import mark_resolved, open_question
from bot.sos.store import LADDER_KINDS, cancel_steps, question_in_thread, thread_of
from bot.sos.tag_question import tag_question

STAFF = ("trainer", "coordinator")
CLAIMERS = ("tutor", "trainer", "coordinator")
_NUMBER = re.compile(r"^#?(\d+)\b\s*")


async def _thread_question(ctx: Context) -> Question:
    question = await question_in_thread(ctx.session, ctx.thread) if ctx.thread and not ctx.is_direct else None
    if question is None:
        raise UserError("sos/not_a_question_thread")
    return question


async def _question_for_me(ctx: Context, cmd: ParsedCommand) -> tuple[Question, str]:
    """The thread's question; in a DM, question n°N, or the one the person was asked to take.

    Returns the question and the rest of the arguments (a reason)."""
    rest = cmd.args.strip()
    if not ctx.is_direct:
        return await _thread_question(ctx), rest
    number = _NUMBER.match(rest)
    if number:
        question = await ctx.session.get(Question, int(number.group(1)))
        if question is None or (question.space_id not in await spaces_of(ctx.session, ctx.member.id)
                                and await open_assignment_of(ctx.session, question.id, ctx.member.id) is None):
            # Someone of a backup space sees only the questions they were asked to take.
            raise UserError("sos/no_such_question", number=number.group(1))
        return question, rest[number.end():].strip()
    mine = await member_open_assignments(ctx.session, ctx.member.id)
    if not mine:
        raise UserError("sos/no_assignment", command=cmd.name)
    if len(mine) > 1:
        raise UserError("sos/which_question", command=cmd.name,
                        questions=[{"number": q.id, "title": await question_text(ctx.session, q),
                                    "deadline": q.deadline_at} for _a, q in mine])
    return mine[0][1], rest


async def _space_roles(ctx: Context, question: Question) -> set[str]:
    if ctx.space is not None and ctx.space.id == question.space_id:
        return ctx.roles
    return await roles_of(ctx.session, question.space_id, ctx.member.id)


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
    await tag_question(ctx, cmd.args)


@command("resolu", "résolu", "resolved", "solved", usage="/resolu")
async def resolu(ctx: Context, cmd: ParsedCommand) -> None:
    question = await _thread_question(ctx)
    if ctx.member.id != question.asker_id and not ctx.has_role(*STAFF):
        raise UserError("sos/refuse_resolve")
    if question.status == "resolved":
        raise UserError("sos/already_resolved")
    if ctx.member.id == question.asker_id and "faq" in ctx.core.registry.capabilities:
        from bot.faq.resolve import may_resolve_by_faq, resolve_by_faq

        if await may_resolve_by_faq(ctx, question):  # a suggested thread helped, nobody replied yet
            await resolve_by_faq(ctx, question)
            return
    accepted = None
    if ctx.post is not None:
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


@command("claim", "je-prends", "prendre", "take", usage="/claim")
async def claim(ctx: Context, cmd: ParsedCommand) -> None:
    question, _rest = await _question_for_me(ctx, cmd)
    if not (await _space_roles(ctx, question)) & set(CLAIMERS) and \
            await open_assignment_of(ctx.session, question.id, ctx.member.id) is None:  # a backup may take it
        raise UserError("sos/refuse_claim")
    if question.status != "open":
        raise UserError("sos/claim_not_open")
    if question.claimed_by_id is not None:
        holder = await ctx.session.get(Member, question.claimed_by_id)
        raise UserError("sos/already_claimed", holder=user_ref(holder) if holder else ctx.user)
    # The breach stays: a claim is a promise to answer, not an answer; it is chased (bot/sos/claims.py).
    assignment = await take(ctx.session, ctx.core.space_config(await _space(ctx, question)), question,
                            ctx.member, ctx.now)
    asker = await ctx.session.get(Member, question.asker_id)
    ctx.out.reply(thread_of(question), "sos/claimed", claimer=ctx.user,
                  asker=user_ref(asker) if asker else ctx.user, deadline=question.deadline_at)
    if ctx.is_direct:
        ctx.private("sos/claim_noted", number=question.id, answer_by=assignment.answer_by,
                    deadline=question.deadline_at)


@command("passer", "pass", "je-passe", usage="/passer [raison]")
async def passer(ctx: Context, cmd: ParsedCommand) -> None:
    question, reason = await _question_for_me(ctx, cmd)
    assignment = await open_assignment_of(ctx.session, question.id, ctx.member.id)
    if assignment is None or question.status != "open":
        raise UserError("sos/refuse_pass")
    cfg = ctx.core.space_config(await _space(ctx, question))
    await give_up(ctx.session, cfg, question, assignment, "passed", ctx.now, reason or None)
    ctx.private("sos/passed", number=question.id, reason=reason)


@command("pas-resolu", "pas-résolu", "non-resolu", "non-résolu", "not-solved", "unsolved", usage="/pas-resolu")
async def pas_resolu(ctx: Context, cmd: ParsedCommand) -> None:
    question = await _thread_question(ctx)
    if ctx.member.id != question.asker_id:
        raise UserError("sos/refuse_not_solved")
    await not_solved(ctx, question)


@command("reouvrir", "réouvrir", "rouvrir", "reopen", usage="/reouvrir")
async def reouvrir(ctx: Context, cmd: ParsedCommand) -> None:
    question = await _thread_question(ctx)
    if ctx.member.id != question.asker_id:
        raise UserError("sos/refuse_reopen")
    if question.status == "open":
        raise UserError("sos/already_open")
    question.status = "open"
    question.answered_at = question.resolved_at = question.claimed_by_id = question.claimed_at = None
    question.resolution = question.accepted_post_id = None
    question.not_solved_at = ctx.now
    await cancel_steps(ctx.session, question.id, LADDER_KINDS + ("sos.next_reply", "sos.solved_check"))
    await end_open(ctx.session, question.id, ctx.now, "released")
    schedule_ladder(ctx.session, ctx.space_config, question, ctx.now)
    ctx.out.reply(thread_of(question), "sos/reopened", asker=ctx.user, deadline=question.deadline_at)
    ctx.out.mark(thread_of(question), "open")


async def _space(ctx: Context, question: Question) -> Space:
    space = await ctx.session.get(Space, question.space_id)
    if space is None:
        raise UserError("errors/no_space")
    return space
