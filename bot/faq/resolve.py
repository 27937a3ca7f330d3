"""Resolution by the FAQ: the asker's ✅ on the acknowledgement that carried suggestions, or `/resolu`
while suggestions were shown and nobody has replied yet.

Its own category (`questions.resolution = "faq"`): not a human answer (answered_at stays empty), not a
breach; the SLA report counts it apart. Every step still scheduled for the question stops.
"""

from __future__ import annotations

from bot.context import Context
from bot.db.models import Question
from bot.events import ReactionAdded
from bot.faq.suggest import suggestions_shown
from bot.sos.assignments import settle_answered
from bot.sos.questions import ACCEPT_EMOJIS
from bot.sos.store import LADDER_KINDS, cancel_steps, question_in_thread, thread_of

FAQ = "faq"
ACKNOWLEDGEMENT = "sos/received"


async def may_resolve_by_faq(ctx: Context, question: Question, on_acknowledgement: bool = False) -> bool:
    """Suggestions were shown and no human answer exists. `/resolu` also needs that nobody but the asker
    wrote in the thread yet (else it accepts that reply, as always); a ✅ on the acknowledgement itself
    says which one helped, so an unconfirmed peer reply does not stand in its way."""
    if question.status != "open" or question.answered_at is not None:
        return False
    if not on_acknowledgement and question.first_response_at is not None:
        return False
    return await suggestions_shown(ctx, question)


async def resolve_by_faq(ctx: Context, question: Question) -> None:
    question.status = "resolved"
    question.resolution = FAQ
    question.resolved_at = ctx.now
    await settle_answered(ctx.session, question.id, None, ctx.now)
    await cancel_steps(ctx.session, question.id, LADDER_KINDS + ("sos.next_reply", "sos.solved_check"))
    ctx.out.reply(thread_of(question), "faq/resolved_by_faq", asker=ctx.user)
    ctx.out.mark(thread_of(question), "resolved")


async def faq_on_reaction(ctx: Context, event: ReactionAdded) -> None:
    """The asker's ✅ on the bot's acknowledgement (a message of the bot, so no stored post)."""
    if ctx.post is not None or ctx.bot_template != ACKNOWLEDGEMENT or ctx.thread is None:
        return
    if event.emoji not in ACCEPT_EMOJIS:
        return
    question = await question_in_thread(ctx.session, ctx.thread)
    if question is None or question.asker_id != ctx.member.id:
        return
    if await may_resolve_by_faq(ctx, question, on_acknowledgement=True):
        await resolve_by_faq(ctx, question)
