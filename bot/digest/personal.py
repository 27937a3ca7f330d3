"""Personal digests (opt-in, DM): my open questions, my declarations, competences I could declare next.

Built for all recipients of a space at once with a few grouped queries (no per-member query), so a
space of thousands of members costs the same handful of round trips as a space of ten.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Declaration, Member, Post, Question, Role, Tag
from bot.digest.community import first_line, short_label

MAX_OPEN = 5
MAX_NEXT = 3


@dataclass
class PersonalDigest:
    member_id: int
    open_questions: list[dict[str, Any]] = field(default_factory=list)  # {title, deadline}
    declarations: list[dict[str, Any]] = field(default_factory=list)  # {id, code, state}
    next_competences: list[dict[str, Any]] = field(default_factory=list)  # {code, label, posts}

    @property
    def empty(self) -> bool:
        return not (self.open_questions or self.declarations or self.next_competences)

    def values(self) -> dict[str, Any]:
        return {"p": self, "empty": self.empty}


def recipients_query(space_id: str) -> Select[tuple[int]]:
    """Ids of the space's members who asked for the personal digest."""
    return (
        select(Member.id).join(Role, Role.member_id == Member.id)
        .where(Role.space_id == space_id, Member.digest_opt_in.is_(True), Member.erased_at.is_(None))
        .distinct()
    )


async def recipients(session: AsyncSession, space_id: str) -> list[Member]:
    rows = await session.execute(select(Member).where(Member.id.in_(recipients_query(space_id)))
                                 .order_by(Member.id))
    return list(rows.scalars())


async def personal_digests(session: AsyncSession, ref: Any, space_id: str, end: datetime,
                           member_ids: Select[tuple[int]] | None = None) -> dict[int, PersonalDigest]:
    """One digest per recipient (default: the opted-in members), from four grouped queries."""
    who = member_ids if member_ids is not None else recipients_query(space_id)
    out: dict[int, PersonalDigest] = {}

    def digest(member_id: int) -> PersonalDigest:
        if member_id not in out:
            out[member_id] = PersonalDigest(member_id)
        return out[member_id]

    for member_id in (await session.execute(who)).scalars():
        digest(member_id)

    rows = await session.execute(
        select(Question.asker_id, Question.title, Post.text, Question.deadline_at)
        .join(Post, Post.id == Question.post_id)
        .where(Question.space_id == space_id, Question.status == "open", Question.asker_id.in_(who))
        .order_by(Question.asker_id, Question.deadline_at, Question.id)
    )
    for asker_id, title, text, deadline in rows:
        items = digest(asker_id).open_questions
        if len(items) < MAX_OPEN:
            items.append({"title": title or first_line(text), "deadline": deadline})

    # Latest declaration per (member, code): a refused competence declared again shows its new state.
    latest: dict[int, dict[str, tuple[int, str]]] = defaultdict(dict)
    rows = await session.execute(
        select(Declaration.member_id, Declaration.code, Declaration.id, Declaration.state)
        .where(Declaration.space_id == space_id, Declaration.member_id.in_(who))
        .order_by(Declaration.member_id, Declaration.created_at, Declaration.id)
    )
    for member_id, code, decl_id, state in rows:
        latest[member_id][code] = (decl_id, state)
    for member_id, by_code in latest.items():
        digest(member_id).declarations = [{"id": i, "code": code, "state": state}
                                          for code, (i, state) in sorted(by_code.items())]

    posts = func.count(func.distinct(Tag.post_id))
    rows = await session.execute(
        select(Post.author_id, Tag.code, posts)
        .join(Post, Post.id == Tag.post_id)
        .where(Tag.space_id == space_id, Tag.removed.is_(False), Post.deleted_at.is_(None),
               Post.created_at < end, Post.author_id.in_(who))
        .group_by(Post.author_id, Tag.code)
    )
    candidates: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for author_id, code, count in rows:
        if code not in latest.get(author_id, {}) and ref.get(code) is not None:
            candidates[author_id].append((count, code))
    for author_id, items in candidates.items():
        items.sort(key=lambda item: (-item[0], item[1]))
        digest(author_id).next_competences = [{"code": code, "label": short_label(ref.get(code).label, 80),
                                                "posts": count}
                                               for count, code in items[:MAX_NEXT]]
    return out
