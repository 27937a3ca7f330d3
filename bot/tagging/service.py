"""Tagging in the bot: every contribution gets competence tags; trainers correct them.

* Post observer (order 40, before SOS question detection at 60, so a new question's tags exist
  when it is routed): each non-command post in a space is tagged with the space's referential —
  explicit codes first, then the text model — and stored as ``Tag`` rows (score, source
  ``explicit`` | ``model``, referential id and version).
* ``/tag <code> [code…]`` and ``/untag <code> [code…]``, in a thread, apply to the thread's root
  post; only tutors, trainers and coordinators may use them. ``/tag`` stores ``source="trainer"``
  rows (overriding a model/explicit row for that code, or reviving a removed one); ``/untag`` marks
  the row ``removed=True``. The tagger never rewrites these rows.
* A Tagger per space learns from the space's corrections: trainer rows not removed are positive
  examples ``(root post text, code)``, removed rows are negatives (the model subtracts them from the
  code's prototype and raises the code's threshold). Taggers are built off the event loop
  (:mod:`bot.tagging.builds`): a space's first post waits for its first model; after a correction
  (``/tag`` and ``/untag`` start the rebuild at once) posts are tagged with the previous model until
  the new one is ready. A change of the stored corrections by another instance is seen by a cheap
  count query per post.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.direct import execute_direct, execute_later
from bot.db.models import TAG_CORRECTIONS, Post, Space, Tag
from bot.event_failures import may_write_later
from bot.events import PostCreated
from bot.hooks import only_when, reads_along
from bot.referential.codes import closest_codes, normalise_code
from bot.referential.model import Referential
from bot.tagging.builds import builds_of
from bot.tagging.model import Tagger

log = logging.getLogger(__name__)

CORRECTING_ROLES = ("tutor", "trainer", "coordinator")
_TAG_COLUMNS = ("post_id", "space_id", "referential_id", "referential_version", "code", "score", "source", "removed",
                "created_at")
# A Core executemany, built once with every column bound (bot/db/direct.py sends it past SQLAlchemy's
# execution on SQLite; the ORM's bulk path costs more CPU still).
_TAGS_INSERT = Tag.__table__.insert().values({c: bindparam(c, type_=Tag.__table__.c[c].type) for c in _TAG_COLUMNS})
_TAGGING_HANDLER = f"{__name__}.tag_post"  # names the tags' write when it fails at the commit

__all__ = ["CORRECTING_ROLES", "Corrections", "load_corrections", "tagger_for", "tag_post"]


@dataclass(frozen=True)
class Corrections:
    positives: list[tuple[str, str]]  # (post text, code) a trainer added
    negatives: list[tuple[str, str]]  # (post text, code) a trainer removed


async def load_corrections(session: AsyncSession, space_id: str | None, referential_id: str) -> Corrections:
    """The space's corrections for this referential (all spaces when `space_id` is None)."""
    query = (
        select(Post.text, Tag.code, Tag.removed)
        .join(Post, Post.id == Tag.post_id)
        .where(Tag.referential_id == referential_id, sql_text(TAG_CORRECTIONS))
        .order_by(Tag.id)
    )
    if space_id is not None:
        query = query.where(Tag.space_id == space_id)
    positives: list[tuple[str, str]] = []
    negatives: list[tuple[str, str]] = []
    for text, code, removed in (await session.execute(query)).all():
        if text:  # a deleted post's words are gone, and so is the lesson
            (negatives if removed else positives).append((text, code))
    return Corrections(positives, negatives)


async def _corrections_stamp(session: AsyncSession, space_id: str, referential_id: str) -> tuple[int, int, int]:
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Tag.removed.is_(True), 1), else_=0)), 0),
                func.coalesce(func.max(Tag.id), 0),
            ).where(Tag.space_id == space_id, Tag.referential_id == referential_id, sql_text(TAG_CORRECTIONS))
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


STAMP_ALONG = ("tagging_corrections", "tagging_removed", "tagging_last")  # read with the member (bot/hooks.py)


def stamp_along(space: Space) -> dict[str, Any]:
    """`_corrections_stamp` as three scalar subqueries the core reads with the post's member: the same
    rows and partial index, in the post's transaction, without a round trip of their own (issue 17)."""
    where = (Tag.space_id == space.id, Tag.referential_id == space.referential_id, sql_text(TAG_CORRECTIONS))
    count, removed, last = STAMP_ALONG
    return {
        count: select(func.count()).select_from(Tag).where(*where).scalar_subquery(),
        removed: select(func.count()).select_from(Tag).where(*where, Tag.removed.is_(True)).scalar_subquery(),
        last: select(func.coalesce(func.max(Tag.id), 0)).where(*where).scalar_subquery(),
    }


def _stamp_read_along(ctx: Context) -> tuple[int, int, int] | None:
    values = [ctx.read_along.get(label) for label in STAMP_ALONG]
    if any(v is None for v in values) or ctx.space is None:
        return None
    return int(values[0]), int(values[1]), int(values[2])  # type: ignore[arg-type]


def _stamp_key(ref: Referential, counts: tuple[int, int, int]) -> tuple[str, str, int, int, int]:
    return (ref.id, ref.version, *counts)


async def tagger_for(ctx: Context, counts: tuple[int, int, int] | None = None) -> Tagger:
    """The Tagger to use now for a post of the context's space (see :mod:`bot.tagging.builds`);
    `counts`: the corrections stamp when it was already read in this transaction."""
    assert ctx.space is not None
    space_id = ctx.space.id
    ref: Referential = ctx.core.referential_for(ctx.space)
    if counts is None:
        counts = await _corrections_stamp(ctx.session, space_id, ref.id)
    stamp = _stamp_key(ref, counts)
    builds = builds_of(ctx.core)
    current = builds.current(space_id, stamp)
    if current is not None:
        return current

    async def load() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        corrections = await load_corrections(ctx.session, space_id, ref.id)
        return corrections.positives, corrections.negatives

    return await builds.tagger(space_id, stamp, ref, load)


async def _rebuild_now(ctx: Context, ref: Referential) -> None:
    """Start the space's rebuild from the corrections as they stand in this transaction."""
    assert ctx.space is not None
    builds = builds_of(ctx.core)
    if builds.building(ctx.space.id):
        return  # the next post after that build sees the new stamp and starts another
    stamp = _stamp_key(ref, await _corrections_stamp(ctx.session, ctx.space.id, ref.id))
    corrections = await load_corrections(ctx.session, ctx.space.id, ref.id)
    builds.start(ctx.space.id, stamp, ref, corrections.positives, corrections.negatives)


async def tag_post(ctx: Context, post: Post, text: str,
                   counts: tuple[int, int, int] | None = None) -> list[dict[str, Any]]:
    """Tag `post` and store the tags; existing rows for a code (a trainer's) are left alone."""
    assert ctx.space is not None
    tagger = await tagger_for(ctx, counts)
    ref = tagger.referential
    existing: set[str] = set()
    if not (ctx.post_is_new and post is ctx.post):  # a post stored by this very event has no tags yet
        existing = set((await ctx.session.execute(select(Tag.code).where(Tag.post_id == post.id))).scalars())
    rows = [dict(post_id=post.id, space_id=ctx.space.id, referential_id=ref.id, referential_version=ref.version,
                 code=result.code, score=float(result.score), source=result.source, removed=False,
                 created_at=ctx.now)
            for result in tagger.tag(text) if result.code not in existing]
    # One executemany, no ORM objects: nothing reads these rows back in the event. On SQLite, without
    # savepoints, it rides with the COMMIT (one trip to SQLite's thread less per post, issue 17).
    if rows and not (may_write_later(ctx.session)
                     and await execute_later(ctx.session, _TAGS_INSERT, rows, _TAGGING_HANDLER)):
        await execute_direct(ctx.session, _TAGS_INSERT, rows)
    return rows


async def prepare_taggers(core: Any) -> None:
    """Build the models of the configured spaces' referentials before any event is handled."""
    async with core.db.transaction() as session:
        ids = set((await session.execute(select(Space.referential_id).distinct())).scalars())
    await builds_of(core).prepare([core.referentials[i] for i in sorted(ids) if i in core.referentials])


@reads_along(stamp_along)
@only_when(lambda ctx, event: ctx.space is not None and not ctx.is_direct and ctx.post is not None
           and bool((event.text or "").strip()))
async def tagging_on_post(ctx: Context, event: PostCreated) -> None:
    # No savepoint of its own here: the core already runs every observer in one, and records a failure
    # (replayable) instead of only logging it; two statements per post saved (issue 17). The corrections
    # stamp was read with the member, in this transaction (a /tag taken as a command never gets here).
    if ctx.post is not None and ctx.space is not None and not ctx.is_direct and (event.text or "").strip():
        await tag_post(ctx, ctx.post, event.text or "", _stamp_read_along(ctx))


async def tag_words(ctx: Context, post: Post, text: str) -> None:
    """Tag a post's words (an observed post, or the question of a `/sos` command)."""
    if ctx.space is None or ctx.is_direct or not text.strip():
        return
    try:
        async with ctx.session.begin_nested():
            await tag_post(ctx, post, text)
    except Exception:  # tagging is an extra: never lose the post or the SOS routing because of it
        log.exception("tagging failed for post %s", post.id)


# ---- corrections -------------------------------------------------------------------------------


async def _root_post(ctx: Context) -> Post:
    """The root post of the thread the command was written in."""
    if ctx.space is None:
        raise UserError("errors/no_space")
    if not ctx.has_role(*CORRECTING_ROLES):
        raise UserError("tagging/refused")
    thread = ctx.thread
    if ctx.is_direct or thread is None:
        raise UserError("tagging/no_thread")
    root = (
        await ctx.session.execute(
            select(Post).where(Post.platform == thread.channel.platform,
                               Post.platform_channel_id == thread.channel.id,
                               Post.platform_post_id == thread.id)
        )
    ).scalar_one_or_none()
    if root is None or root.kind == "command" or (ctx.post is not None and root.id == ctx.post.id):
        raise UserError("tagging/no_thread")
    return root


def _codes(ref: Referential, argv: Sequence[str], usage: str) -> list[str]:
    words = [w for w in argv if w.strip(",;")]
    if not words:
        raise UserError("tagging/usage", usage=usage)
    codes: list[str] = []
    for word in words:
        code = normalise_code(word.strip(",;"), ref)
        if code is None:
            raise UserError("tagging/unknown_code", written=word,
                            suggestions=[{"code": c.code, "label": c.label}
                                         for c in closest_codes(word, ref)])
        if code not in codes:
            codes.append(code)
    return codes


def _described(ref: Referential, codes: Sequence[str]) -> list[dict[str, str]]:
    return [{"code": c, "label": comp.label if (comp := ref.get(c)) else ""} for c in codes]


@command("tag", "etiqueter", "étiqueter", usage="/tag <code> [code…]")
async def tag_command(ctx: Context, parsed: ParsedCommand) -> None:
    root = await _root_post(ctx)
    assert ctx.space is not None
    ref: Referential = ctx.core.referential_for(ctx.space)
    codes = _codes(ref, parsed.argv, "/tag <code> [code…]")
    rows = {t.code: t for t in (await ctx.session.execute(select(Tag).where(Tag.post_id == root.id))).scalars()}
    for code in codes:
        row = rows.get(code)
        if row is None:
            ctx.session.add(Tag(post_id=root.id, space_id=ctx.space.id, referential_id=ref.id,
                                referential_version=ref.version, code=code, score=1.0, source="trainer",
                                removed=False, created_at=ctx.now))
        else:
            row.source, row.removed, row.score = "trainer", False, 1.0
            row.referential_id, row.referential_version = ref.id, ref.version
    await ctx.session.flush()
    await _rebuild_now(ctx, ref)
    ctx.say("tagging/tagged", tags=_described(ref, codes))


@command("untag", "desetiqueter", "désétiqueter", usage="/untag <code> [code…]")
async def untag_command(ctx: Context, parsed: ParsedCommand) -> None:
    root = await _root_post(ctx)
    assert ctx.space is not None
    ref: Referential = ctx.core.referential_for(ctx.space)
    codes = _codes(ref, parsed.argv, "/untag <code> [code…]")
    rows = {t.code: t for t in (await ctx.session.execute(select(Tag).where(Tag.post_id == root.id))).scalars()}
    removed = [c for c in codes if c in rows and not rows[c].removed]
    missing = [c for c in codes if c not in removed]
    for code in removed:
        rows[code].removed = True
    await ctx.session.flush()
    if removed:
        await _rebuild_now(ctx, ref)
    ctx.say("tagging/untagged", removed=_described(ref, removed), missing=missing)
