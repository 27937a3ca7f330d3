"""The member answers a validator's question in the declaration's thread (or by DM): back to in_review."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Context
from bot.db.models import Declaration, Member
from bot.declarations.reminders import cancel_reminders, schedule_reminder
from bot.declarations.review import Conflict, transition
from bot.declarations.store import last_review
from bot.events import PostCreated
from bot.hooks import only_when


@only_when(lambda ctx, event: ctx.space is not None and ctx.post is not None and ctx.awaits_info is not False
           and (ctx.is_direct or event.thread is not None))
async def member_answered(ctx: Context, event: PostCreated) -> None:
    if ctx.space is None or ctx.post is None:
        return
    query = select(Declaration).where(
        Declaration.member_id == ctx.member.id, Declaration.state == "needs_info",
        Declaration.platform == ctx.channel.platform, Declaration.platform_channel_id == ctx.channel.id,
    )
    if ctx.is_direct:
        query = query.where(Declaration.is_private.is_(True))
    elif event.thread is not None:
        query = query.where(Declaration.thread_root_id == event.thread.id, Declaration.is_private.is_(False))
    else:
        return
    answered = []
    for decl in (await ctx.session.execute(query.order_by(Declaration.id))).scalars():
        asked = await last_review(ctx.session, decl.id, "needs_info")
        try:
            await transition(ctx.session, decl, "in_review", ctx.member.id, ctx.now, (event.text or "")[:2000])
        except Conflict:
            continue
        await cancel_reminders(ctx.session, decl.id)
        schedule_reminder(ctx.session, ctx.space_config, decl, ctx.now)
        answered.append(decl)
        validator = await ctx.session.get(Member, asked.actor_id) if asked and asked.actor_id else None
        if validator is not None:
            ctx.out.direct(validator, "declarations/info_received", declaration_id=decl.id, who=ctx.user,
                           id=decl.id, code=decl.code, label=decl.label, question=asked.comment or "",
                           answer=(event.text or "")[:500], private=decl.is_private)
    if answered:
        ctx.say("declarations/answer_noted", who=ctx.user,
                items=[{"id": d.id, "code": d.code} for d in answered])
