"""What the FAQ index is made of, read from the database: resolved questions and curated entries.

One `FaqDoc` per resolved thread (the curated entry replaces the plain question when there is one).
Everything shown comes from these rows as they are now: an erased or purged text is simply absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.direct import execute_direct
from bot.db.faq_models import FaqVersion
from bot.db.models import FaqEntry, KeyValue, Post, Question

GENERATION_KEY = "faq.generation"  # bumped by erasure and retention: texts changed under the index


@dataclass(frozen=True)
class FaqDoc:
    question_id: int
    space_id: str
    entry_id: int | None  # a curated entry (ranks first)
    title: str  # the entry's title, else the question's title or first line
    summary: str  # the entry's summary, else the accepted answer's first line
    text: str  # everything matched: title, summary, question, accepted answer
    resolved_at: datetime
    answerer_id: int | None
    platform: str
    channel_id: str
    thread_id: str

    @property
    def curated(self) -> bool:
        return self.entry_id is not None


def first_line(text: str | None, limit: int = 200) -> str:
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# Built once, the spaces bound (expanding); the counters' read (`_version_for`, before every search on the
# event loop) has one bound value per space instead.
_SPACES = bindparam("faq_spaces", expanding=True)
_GENERATION = select(KeyValue.value).where(KeyValue.key == GENERATION_KEY).scalar_subquery()


@lru_cache(maxsize=16)
def _version_for(spaces: int) -> Any:
    """The counters' read for that many spaces, each a bound value of its own: no IN list to expand per
    execution, so the statement is compiled once and goes by the direct path on SQLite (bot/db/direct.py)."""
    ids = [bindparam(f"faq_space_{i}", type_=FaqVersion.space_id.type) for i in range(spaces)]
    return select(func.coalesce(func.sum(FaqVersion.version), 0), func.coalesce(func.sum(FaqVersion.resolutions), 0),
                  func.count(FaqVersion.space_id), _GENERATION).where(FaqVersion.space_id.in_(ids))
_QUESTIONS = select(func.count(Question.id).label("n"), func.max(Question.resolved_at).label("last"),
                    func.max(Question.id).label("top")).where(
    Question.space_id.in_(_SPACES), Question.status == "resolved").subquery()
_ENTRIES = select(func.count(FaqEntry.id).label("n"), func.max(FaqEntry.updated_at).label("updated"),
                  func.max(FaqEntry.removed_at).label("removed")).where(FaqEntry.space_id.in_(_SPACES)).subquery()
_SIGNATURE = select(*_QUESTIONS.c, *_ENTRIES.c, _GENERATION).select_from(_QUESTIONS.join(_ENTRIES, true()))


@dataclass(frozen=True)
class Version:
    """The spaces' FAQ counters (sums over the spaces: each only grows) and the erasure generation."""

    changes: int  # anything but a new resolution: the documents must be read again
    resolutions: int  # questions that became resolved: appended
    generation: str

    def only_resolutions_since(self, old: Version) -> int:
        """How many questions became resolved since `old` when nothing else changed; else 0."""
        if (self.changes, self.generation) != (old.changes, old.generation):
            return 0
        return max(0, self.resolutions - old.resolutions)


async def version(session: AsyncSession, space_ids: Sequence[str]) -> Version | None:
    """The spaces' FAQ counters (bumped by the database's triggers with every change the index depends
    on, migration 0011) and the erasure generation, in one primary-key read; None when a space has no
    counter row yet (no change since the migration, or a schema without the triggers): then only the
    full `signature` tells. Read before anything else of the search, so a change committed meanwhile
    is seen as a change at the next search, never missed."""
    ids = sorted(set(space_ids))
    statement = _version_for(len(ids))
    found = await execute_direct(session, statement, {f"faq_space_{i}": space for i, space in enumerate(ids)})
    changes, resolutions, rows, generation = found[0]
    return Version(int(changes), int(resolutions), generation or "0") if rows == len(ids) else None


async def signature(session: AsyncSession, space_ids: Sequence[str]) -> tuple[object, ...]:
    """A cheap fingerprint of everything the index depends on; another instance's change alters it.
    One statement (it was three): resolved questions, curated entries, the erasure generation."""
    row = (await session.execute(_SIGNATURE, {"faq_spaces": list(space_ids)})).one()
    return (*row[:6], row[6] or "0")


async def bump_generation(session: AsyncSession) -> None:
    """Texts changed in place (erasure, retention): every instance's index is rebuilt on its next search."""
    row = await session.get(KeyValue, GENERATION_KEY)
    if row is None:
        session.add(KeyValue(key=GENERATION_KEY, value="1"))
    else:
        row.value = str(int(row.value or "0") + 1)
    await session.flush()


async def accepted_answer(session: AsyncSession, question: Question) -> Post | None:
    """The post that resolved it: recorded since the FAQ exists, else the last reply by someone else."""
    if question.accepted_post_id is not None:
        return await session.get(Post, question.accepted_post_id)
    query = select(Post).where(
        Post.platform == question.platform, Post.platform_channel_id == question.platform_channel_id,
        Post.thread_root_id == question.thread_root_id, Post.author_id != question.asker_id,
        Post.kind == "answer", Post.deleted_at.is_(None))
    if question.resolved_at is not None:
        query = query.where(Post.created_at <= question.resolved_at)
    return (await session.execute(query.order_by(Post.created_at.desc(), Post.id.desc()).limit(1))
            ).scalar_one_or_none()


# Built once (the spaces, the time and the questions bound): a third of new questions on a busy space
# find questions resolved since the last search, and building these selects cost more than running them.
_RESOLVED_SINCE = select(Question.id, Question.resolved_at).where(
    Question.space_id.in_(_SPACES), Question.status == "resolved",
    Question.resolved_at >= bindparam("faq_since", type_=Question.resolved_at.type))
_ANSWER_POST = aliased(Post)
_DOCUMENTS = (
    select(Question, Post, FaqEntry, _ANSWER_POST)
    .join(Post, Post.id == Question.post_id)
    .outerjoin(FaqEntry, and_(FaqEntry.question_id == Question.id, FaqEntry.removed_at.is_(None)))
    .outerjoin(_ANSWER_POST, _ANSWER_POST.id == Question.accepted_post_id)
    .where(Question.space_id.in_(_SPACES), Question.status == "resolved",
           Question.resolution.is_(None), Post.is_direct.is_(False), Post.deleted_at.is_(None))
    .order_by(Question.id))
_DOCUMENTS_OF = _DOCUMENTS.where(Question.id.in_(bindparam("faq_only", expanding=True)))


async def resolved_since(session: AsyncSession, space_ids: Sequence[str],
                         since: datetime) -> list[tuple[int, datetime]]:
    """(id, resolution time) of the questions of these spaces resolved at or after `since`."""
    return [(int(i), at) for i, at in (await session.execute(
        _RESOLVED_SINCE, {"faq_spaces": list(space_ids), "faq_since": since})).all()]


LEGACY_CHUNK = 500  # threads per query: well under SQLite's bound-parameter limit


async def _answers_of_legacy(session: AsyncSession, questions: Sequence[Question]) -> dict[int, Post]:
    """`accepted_answer` for many questions resolved before the FAQ recorded it: one query per channel
    and chunk of threads (on `ix_posts_thread`) instead of one per question — a first index over years
    of threads read them one by one."""
    by_channel: dict[tuple[str, str], list[Question]] = {}
    for q in {q.id: q for q in questions}.values():
        by_channel.setdefault((q.platform, q.platform_channel_id), []).append(q)
    found: dict[int, Post] = {}
    for (platform, channel), threads in by_channel.items():
        for start in range(0, len(threads), LEGACY_CHUNK):
            chunk = threads[start:start + LEGACY_CHUNK]
            posts = (await session.execute(select(Post).where(
                Post.platform == platform, Post.platform_channel_id == channel,
                Post.thread_root_id.in_({q.thread_root_id for q in chunk}), Post.kind == "answer",
                Post.deleted_at.is_(None)))).scalars().all()
            in_thread: dict[str, list[Post]] = {}
            for post in posts:
                in_thread.setdefault(post.thread_root_id, []).append(post)
            for q in chunk:
                candidates = [p for p in in_thread.get(q.thread_root_id, []) if p.author_id != q.asker_id
                              and (q.resolved_at is None or p.created_at <= q.resolved_at)]
                if candidates:
                    found[q.id] = max(candidates, key=lambda p: (p.created_at, p.id))
    return found


async def load_documents(session: AsyncSession, space_ids: Sequence[str],
                         only: Sequence[int] | None = None) -> list[FaqDoc]:
    """Resolved questions (by a human answer) asked in a space's thread, and live curated entries.

    One query with the accepted answer joined; only questions resolved before the FAQ existed (no
    `accepted_post_id`) look their answer up one by one. With `only`: just these questions."""
    if only is None:
        rows = (await session.execute(_DOCUMENTS, {"faq_spaces": list(space_ids)})).all()
    else:
        rows = (await session.execute(_DOCUMENTS_OF, {"faq_spaces": list(space_ids), "faq_only": list(only)})).all()
    docs: list[FaqDoc] = []
    seen: set[int] = set()
    legacy = await _answers_of_legacy(session, [q for q, *_ in rows if q.accepted_post_id is None])
    for question, post, entry, answer in rows:
        if question.id in seen:
            continue  # two live entries for one thread: the first one
        seen.add(question.id)
        if question.accepted_post_id is None:
            answer = legacy.get(question.id)
        answer_text = answer.text if answer is not None and answer.deleted_at is None else None
        question_text = post.text or ""
        if not question_text.strip() and entry is None:
            continue  # erased or purged: nothing left to match or show
        title = (entry.title if entry is not None and entry.title else
                 question.title or post.title or first_line(question_text))
        summary = entry.summary if entry is not None and entry.summary else first_line(answer_text)
        if not title.strip():
            continue
        text = "\n".join(t for t in (title, summary, question.title, question_text, answer_text or "") if t)
        docs.append(FaqDoc(
            question_id=question.id, space_id=question.space_id, entry_id=entry.id if entry is not None else None,
            title=title, summary=summary, text=text, resolved_at=question.resolved_at or question.created_at,
            answerer_id=answer.author_id if answer is not None else None, platform=question.platform,
            channel_id=question.platform_channel_id, thread_id=question.thread_root_id))
    return docs
