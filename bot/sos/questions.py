"""SOS questions: detecting them, recognising answers, and reactions (the asker's ✅ or ❌, a staff ✅)."""

from __future__ import annotations

from sqlalchemy import String, bindparam, case, literal_column, select
from sqlalchemy.orm import aliased

from bot.context import Context
from bot.db.bulk_insert import insert_rows, take_new
from bot.db.models import Member, Post, Question, ScheduledStep
from bot.events import PostCreated, ReactionAdded
from bot.hooks import THREAD_PARAMS, KindSql, RowAlong, kind_at_insert, only_when, reads_thread_along
from bot.members import user_ref
from bot.sos.assignments import settle_answered
from bot.sos.chatter import is_chatter, looks_like_question
from bot.sos.deadlines import add_time
from bot.sos.ladder import schedule_ladder
from bot.sos.replies import ANSWERING_ROLES
from bot.sos.store import (
    LADDER_KINDS,
    cancel_steps,
    question_in_thread,
    question_in_thread_with_pending,
    schedule_after,
    thread_of,
)

ACCEPT_EMOJIS = {"✅", "✔️", "✔", "☑️", "white_check_mark", ":white_check_mark:", "heavy_check_mark"}
REJECT_EMOJIS = {"❌", "✖️", "✖", "x", ":x:", "negative_squared_cross_mark", "❎"}


async def open_question(ctx: Context, title: str = "") -> Question:
    """Create the question for the current post; its thread is the post's thread."""
    assert ctx.space is not None and ctx.post is not None and ctx.thread is not None
    cfg = ctx.space_config
    question = Question(
        space_id=ctx.space.id, post_id=ctx.post.id, asker_id=ctx.member.id,
        platform=ctx.thread.channel.platform, platform_channel_id=ctx.thread.channel.id,
        thread_root_id=ctx.thread.id, title=title, status="open", created_at=ctx.now,
        # The deadline schedule_ladder sets, known before the INSERT: no UPDATE of the row right after it.
        clock_started_at=ctx.now, deadline_at=add_time(ctx.now, cfg.sos.delay_td, cfg.sos, cfg.timezone),
    )
    ctx.post.kind = "question"
    ctx.session.add(question)
    await ctx.session.flush()
    schedule_ladder(ctx.session, cfg, question, ctx.now)
    # Its steps in one multi-row INSERT (the ORM sends one per row on SQLite, to read back ids nobody
    # reads here: the sweep loads them when due); in this savepoint, so they go if the observer fails.
    await insert_rows(ctx.session, take_new(ctx.session, (ScheduledStep,)))
    suggestions: list[dict[str, object]] = []
    if "faq" in ctx.core.registry.capabilities:  # similar resolved questions, linked in the acknowledgement
        from bot.faq.suggest import suggest_on_arrival

        suggestions = await suggest_on_arrival(ctx, question, "\n".join(filter(None, (title, ctx.post.text))))
    ctx.out.reply(ctx.thread, "sos/received", asker=ctx.user, deadline=question.deadline_at,
                  delay=question.deadline_at - ctx.now, suggestions=suggestions)
    ctx.out.mark(ctx.thread, "open")
    return question


async def mark_answered(ctx: Context, question: Question, answer: Post | None = None) -> None:
    """A staff reply, or a peer reply a staff member endorsed (then answered when it was written)."""
    question.status = "answered"
    question.answered_at = answer.created_at if answer is not None else ctx.now
    await settle_answered(ctx.session, question.id, ctx.member.id, ctx.now)
    await cancel_steps(ctx.session, question.id, LADDER_KINDS + ("sos.next_reply",))
    schedule_after(ctx.session, question, "sos.solved_check", ctx.space_config.sos.solved_check_after, ctx.now)


async def mark_resolved(ctx: Context, question: Question, accepted: Post | None = None) -> None:
    if question.answered_at is None:
        question.answered_at = accepted.created_at if accepted is not None else ctx.now
    question.status = "resolved"
    question.resolved_at = ctx.now
    question.resolution = None  # a human answer
    question.accepted_post_id = accepted.id if accepted is not None else None
    await settle_answered(ctx.session, question.id, accepted.author_id if accepted else None, ctx.now)
    await cancel_steps(ctx.session, question.id, LADDER_KINDS + ("sos.next_reply", "sos.solved_check"))
    asker = await ctx.session.get(Member, question.asker_id)
    ctx.out.reply(thread_of(question), "sos/resolved", asker=user_ref(asker) if asker else ctx.user)
    ctx.out.mark(thread_of(question), "resolved")


# Built once: the thread's values are bound per post (sos_kind), so the core reuses the INSERT around it.
_IN_QUESTION_THREAD = case((select(Question.id).where(
    Question.platform == bindparam("kind_thread_platform", type_=Question.platform.type),
    Question.platform_channel_id == bindparam("kind_thread_channel", type_=Question.platform_channel_id.type),
    Question.thread_root_id == bindparam("kind_thread_id", type_=Question.thread_root_id.type)).exists(), "answer"),
    else_="post")


# A new question's post (what open_question sets), stored so by its INSERT: no UPDATE right after it.
# Taken back to "post" if sos_on_post fails (its savepoint then holds no question row). Rendered in the
# SQL, not bound: an anonymous bound value in INSERT … VALUES takes its column's name, and the post's
# own "kind" parameter would then fill it.
_AS_QUESTION = KindSql(literal_column("'question'", String), {}, undo="post")


# A reply's thread question and whether a follow-up step of it is armed, read with the member (the
# question_in_thread_with_pending query, riding in the member read's round trip): one statement less
# per reply. The question is an ORM load like any other; its changes are flushed as UPDATEs.
_THREAD_QUESTION = aliased(Question, name="thread_question")
_platform, _channel, _root = THREAD_PARAMS
QUESTION_ALONG = RowAlong(
    "sos_thread_question", _THREAD_QUESTION,
    (_THREAD_QUESTION.platform == bindparam(_platform, type_=Question.platform.type))
    & (_THREAD_QUESTION.platform_channel_id == bindparam(_channel, type_=Question.platform_channel_id.type))
    & (_THREAD_QUESTION.thread_root_id == bindparam(_root, type_=Question.thread_root_id.type)),
    (select(ScheduledStep.id)
     .where(ScheduledStep.question_id == _THREAD_QUESTION.id, ScheduledStep.state == "pending",
            ScheduledStep.kind == "sos.next_reply")
     .exists().label("sos_follow_up_armed"),))

# A reply whose thread question was read with the member: its kind is known before the INSERT.
_AS_ANSWER = KindSql(literal_column("'answer'", String), {})


def _question_read_along(ctx: Context) -> tuple[Question | None, bool] | None:
    """The thread's question and whether a follow-up is armed, when they were read with the member."""
    found = ctx.read_along.get(QUESTION_ALONG.label)
    return None if found is None else (found[0], bool(found[1]))


def opens_question(ctx: Context, event: PostCreated) -> bool:
    """A top-level post in the SOS channel is a question, unless it is staff news or small talk."""
    return (event.thread is None and ctx.channel_kind == "sos" and not ctx.has_role("trainer", "coordinator")
            and not is_chatter(event.text))


def sos_kind(ctx: Context, event: PostCreated) -> KindSql | None:
    """What sos_on_post will make of the post, said by its INSERT: a new question, or an answer when it
    is a reply in a question's thread."""
    if ctx.space is None or ctx.is_direct:
        return None
    if event.thread is None:
        return _AS_QUESTION if opens_question(ctx, event) else None
    known = _question_read_along(ctx)
    if known is not None:
        return _AS_ANSWER if known[0] is not None else None
    return KindSql(_IN_QUESTION_THREAD, {"kind_thread_platform": event.thread.channel.platform,
                                         "kind_thread_channel": event.thread.channel.id,
                                         "kind_thread_id": event.thread.id})


@reads_thread_along(QUESTION_ALONG)
@kind_at_insert(sos_kind)
@only_when(lambda ctx, event: ctx.space is not None and not ctx.is_direct and ctx.post is not None
           and (event.thread is not None or ctx.channel_kind == "sos"))
async def sos_on_post(ctx: Context, event: PostCreated) -> None:
    if ctx.space is None or ctx.is_direct or ctx.post is None:
        return
    if event.thread is None:
        if opens_question(ctx, event):
            await open_question(ctx, title=event.title)
        return
    known = _question_read_along(ctx)
    question, follow_up_armed = known or await question_in_thread_with_pending(ctx.session, event.thread,
                                                                               ("sos.next_reply",))
    if question is None:
        return
    ctx.post.kind = "answer"
    if ctx.member.id == question.asker_id:
        await _asker_wrote(ctx, question, event)
        return
    if question.status == "resolved":
        if looks_like_question(event.text):
            ctx.out.reply(event.thread, "sos/new_question_invite", who=ctx.user)
        return
    if question.first_response_at is None:
        question.first_response_at = ctx.now
        question.first_responder_id = ctx.member.id
    if follow_up_armed:  # read with the question: most replies have no follow-up step to cancel
        await cancel_steps(ctx.session, question.id, ("sos.next_reply",))
    # The person holding it (someone of a backup space, who has no role here) answers for the staff too.
    if question.status == "open" and (ctx.has_role(*ANSWERING_ROLES) or question.claimed_by_id == ctx.member.id):
        await mark_answered(ctx, question)


async def _asker_wrote(ctx: Context, question: Question, event: PostCreated) -> None:
    question.last_asker_post_at = ctx.now
    if is_chatter(event.text):
        return  # "merci !", "up": neither a new question nor an answer
    if question.status == "answered":
        # A follow-up ("ça ne marche toujours pas"): if nobody replies in time, the ladder resumes.
        # The asker told us it is not solved: asking "is it solved?" would be tone-deaf.
        await cancel_steps(ctx.session, question.id, ("sos.next_reply", "sos.solved_check"))
        schedule_after(ctx.session, question, "sos.next_reply", ctx.space_config.sos.next_reply_delay, ctx.now)
    elif question.status == "resolved" and looks_like_question(event.text):
        assert event.thread is not None
        ctx.out.reply(event.thread, "sos/new_question_invite", who=ctx.user)


@only_when(lambda ctx, event: ctx.post is not None and ctx.thread is not None
           and (event.emoji in ACCEPT_EMOJIS or event.emoji in REJECT_EMOJIS))
async def sos_on_reaction(ctx: Context, event: ReactionAdded) -> None:
    if ctx.post is None or ctx.thread is None:
        return
    accept, reject = event.emoji in ACCEPT_EMOJIS, event.emoji in REJECT_EMOJIS
    if not accept and not reject:
        return
    question = await question_in_thread(ctx.session, ctx.thread)
    if question is None or question.status == "resolved" and not reject:
        return
    if ctx.member.id != question.asker_id:
        from bot.sos.endorse import endorse

        if accept and (ctx.has_role(*ANSWERING_ROLES) or question.claimed_by_id == ctx.member.id):
            await endorse(ctx, question, ctx.post)
        return
    if reject:
        from bot.sos.endorse import not_solved

        await not_solved(ctx, question)
        return
    accepted = ctx.post if ctx.post.author_id != question.asker_id else None
    if accepted is None:
        # The asker ticked their own post: take the latest reply by someone else as the answer.
        accepted = (
            await ctx.session.execute(
                select(Post)
                .where(Post.platform == question.platform, Post.platform_channel_id == question.platform_channel_id,
                       Post.thread_root_id == question.thread_root_id, Post.author_id != question.asker_id)
                .order_by(Post.created_at.desc()).limit(1)
            )
        ).scalar_one_or_none()
    await mark_resolved(ctx, question, accepted)
