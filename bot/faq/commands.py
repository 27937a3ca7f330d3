"""`/faq <mots>` (members search: private in a DM, in the thread in a room), and the curation verbs
`/faq ajouter [titre | résumé]`, `/faq modifier <n°> titre: … résumé: …`, `/faq retirer <n°>` (formateurs
and coordinators of the entry's space)."""

from __future__ import annotations

from sqlalchemy import select

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import FaqEntry, Post
from bot.faq.documents import accepted_answer, first_line
from bot.faq.index import SEARCH_THRESHOLD, index_for
from bot.faq.parsing import TITLE_MAX, FaqRequest, entry_number, parse
from bot.faq.suggest import describe
from bot.faq.visibility import searchable_spaces
from bot.members import roles_of
from bot.sos.store import question_in_thread

CURATORS = ("trainer", "coordinator")
MAX_RESULTS = 5


@command("faq", "foire-aux-questions", usage="/faq <mots> | /faq ajouter [titre | résumé] | /faq modifier <n°> "
         "titre: … résumé: … | /faq retirer <n°>")
async def faq(ctx: Context, cmd: ParsedCommand) -> None:
    request = parse(cmd.args)
    if request.verb == "usage":
        raise UserError("faq/usage")
    if request.verb == "search":
        await _search(ctx, request)
    elif request.verb == "add":
        await _add(ctx, request)
    else:
        await _edit_or_remove(ctx, request)


async def _search(ctx: Context, request: FaqRequest) -> None:
    if ctx.space is None:
        raise UserError("faq/no_space")
    index = await index_for(ctx.session, ctx.core, await searchable_spaces(ctx.session, ctx.core, ctx.space))
    hits = index.search(request.text, SEARCH_THRESHOLD, MAX_RESULTS)
    # ctx.say: in a DM the answer stays private; in a room it goes to the thread, for everyone there.
    ctx.say("faq/results", written=request.text, hits=await describe(ctx, hits))


async def _add(ctx: Context, request: FaqRequest) -> None:
    question = None
    if ctx.thread is not None and not ctx.is_direct:
        question = await question_in_thread(ctx.session, ctx.thread)
    if question is None or question.status != "resolved" or question.resolution is not None:
        raise UserError("faq/not_resolved_thread")
    if not ctx.has_role(*CURATORS):
        raise UserError("faq/refuse_curate")
    existing = (await ctx.session.execute(select(FaqEntry).where(
        FaqEntry.question_id == question.id, FaqEntry.removed_at.is_(None)))).scalars().first()
    if existing is not None:
        raise UserError("faq/already_entry", number=existing.id)
    if request.title is not None and len(request.title) > TITLE_MAX:
        raise UserError("faq/edit_usage")
    root = await ctx.session.get(Post, question.post_id)
    answer = await accepted_answer(ctx.session, question)
    title = request.title or question.title or (root.title if root else "") or first_line(root.text if root else "")
    summary = request.summary or first_line(answer.text if answer is not None else "", 1000) or None
    entry = FaqEntry(space_id=question.space_id, question_id=question.id, title=title[:TITLE_MAX], summary=summary,
                     created_by_id=ctx.member.id, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(entry)
    await ctx.session.flush()
    ctx.say("faq/added", number=entry.id, title=entry.title)


async def _entry(ctx: Context, typed: str) -> FaqEntry:
    number = entry_number(typed)
    entry = await ctx.session.get(FaqEntry, number) if number is not None else None
    if entry is None or entry.removed_at is not None or not await _may_see(ctx, entry):
        raise UserError("faq/no_such_entry", number=typed or "?")
    return entry


async def _may_see(ctx: Context, entry: FaqEntry) -> bool:
    """Someone of the entry's space (never confirms that another space's entry exists)."""
    if ctx.space is not None and ctx.space.id == entry.space_id:
        return True
    return bool(await roles_of(ctx.session, entry.space_id, ctx.member.id))


async def _edit_or_remove(ctx: Context, request: FaqRequest) -> None:
    if request.verb == "edit" and request.title is None and request.summary is None:
        raise UserError("faq/edit_usage")
    entry = await _entry(ctx, request.number)
    roles = ctx.roles if ctx.space is not None and ctx.space.id == entry.space_id else \
        await roles_of(ctx.session, entry.space_id, ctx.member.id)
    if not set(roles) & set(CURATORS):
        raise UserError("faq/refuse_curate")
    if request.verb == "remove":
        entry.removed_at = ctx.now
        entry.updated_at = ctx.now
        ctx.say("faq/removed", number=entry.id)
        return
    if request.title is not None:
        if not request.title or len(request.title) > TITLE_MAX:
            raise UserError("faq/edit_usage")
        entry.title = request.title
    if request.summary is not None:
        entry.summary = request.summary or None
    entry.updated_at = ctx.now
    ctx.say("faq/edited", number=entry.id, title=entry.title)


