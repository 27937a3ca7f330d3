"""Similar resolved questions linked in the acknowledgement of a new SOS question."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from bot.context import Context
from bot.db.models import FaqSuggestion, Member, Question, Space
from bot.faq.documents import FaqDoc
from bot.faq.index import SUGGEST_THRESHOLD, Hit, index_for
from bot.faq.visibility import searchable_spaces
from bot.links import thread_link
from bot.privacy.consent import may_name
from bot.refs import ChannelRef, ThreadRef

MAX_SUGGESTIONS = 3
# Built once: the answerers of a new question's suggestions, read in the event (consent is current).
_MEMBERS = select(Member).where(Member.id.in_(bindparam("answerers", expanding=True)))


def thread_of_doc(doc: FaqDoc) -> ThreadRef:
    return ThreadRef(ChannelRef(doc.platform, doc.channel_id), doc.thread_id)


async def describe(ctx: Context, hits: list[Hit]) -> list[dict[str, Any]]:
    """Template values of each hit. The answerer is named only with their consent (`/consentement public`)."""
    ids = sorted({hit.doc.answerer_id for hit in hits if hit.doc.answerer_id is not None})
    # One read for all of them, not one per hit (read in the event: their consent as it is now).
    answerers = {m.id: m for m in (await ctx.session.execute(_MEMBERS, {"answerers": ids})).scalars()} if ids else {}
    out = []
    for hit in hits:
        doc = hit.doc
        answerer = answerers.get(doc.answerer_id) if doc.answerer_id else None
        space = await ctx.session.get(Space, doc.space_id)
        cfg = ctx.core.space_config(space) if space is not None else None
        out.append({
            "number": doc.entry_id if doc.curated else doc.question_id, "curated": doc.curated,
            "title": doc.title, "answer": doc.summary, "date": doc.resolved_at,
            "link": thread_link(thread_of_doc(doc), cfg),
            "by": answerer.display_name if may_name(answerer) and answerer is not None else "",
            "space": (cfg.display_name if cfg is not None else doc.space_id)
            if ctx.space is not None and doc.space_id != ctx.space.id else "",
        })
    return out


async def suggest_on_arrival(ctx: Context, question: Question, text: str) -> list[dict[str, Any]]:
    """Up to 3 resolved questions of this space (or of spaces sharing with it) resembling the new one;
    each is recorded as a `faq_suggestions` row (what the asker's ✅ or `/resolu` refers to)."""
    if ctx.space is None or not text.strip():
        return []
    index = await index_for(ctx.session, ctx.core, await searchable_spaces(ctx.session, ctx.core, ctx.space))
    hits = index.search(text, SUGGEST_THRESHOLD, MAX_SUGGESTIONS, exclude=frozenset({question.id}))
    if hits:  # one executemany without RETURNING (the ORM sends one INSERT per row on SQLite)
        await ctx.session.execute(FaqSuggestion.__table__.insert(), [
            dict(question_id=question.id, source_question_id=hit.doc.question_id, entry_id=hit.doc.entry_id,
                 rank=rank, score=round(hit.score, 4), shown_at=ctx.now) for rank, hit in enumerate(hits)])
    return await describe(ctx, hits)


async def suggestions_shown(ctx: Context, question: Question) -> bool:
    row = (await ctx.session.execute(
        select(FaqSuggestion.id).where(FaqSuggestion.question_id == question.id).limit(1))).first()
    return row is not None
