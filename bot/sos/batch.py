"""What a sweep batch reads once for all its ladder steps, and writes once for all of them.

Firing 1,000 due rungs used to cost ~13 statements each (issue 17): the cancel of the question's other
level steps, its open offers, its latest peer reply, its tags and validated competences, the space's
volunteers and staff. In a batch (`bot/sweep.py`) these are read in one query per batch, the two
per-step UPDATEs are sent once at the end of the batch, and the new rows in multi-row INSERTs.

Why the answers stay exact:
- A batch holds at most one step per question (a question's second step waits for the next batch),
  so a question's rows are read and changed by one handler only.
- People's rows (roles, erasure) do not change in a ladder handler. Any other kind of step (a purge, a
  digest) runs after the deferred writes so far are done, and the reads are made again after it.
- The deferred UPDATEs repeat their condition (`state = 'pending'` / `'offered'`) when they run, and
  exclude what this batch itself created, so they cancel what the immediate UPDATE would have cancelled.
Outside a sweep batch (events, commands, tests calling handlers) every function here is the plain query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.util import identity_key

from bot.db.bulk_insert import insert_rows, take_new
from bot.db.models import Declaration, Escalation, Member, Outbox, Post, Question, Role, ScheduledStep, Tag
from bot.db.sos_models import Assignment
from bot.members import members_with_role
from bot.sos.assignments import expire_offers as expire_offers_now
from bot.sos.replies import ANSWERING_ROLES, unconfirmed_peer_reply
from bot.sos.store import LEVEL_KINDS, cancel_steps
from bot.sos.targets import resource_persons

KEY = "ticebot.sweep_batch"
T = TypeVar("T")


@dataclass
class LadderBatch:
    now: datetime
    loaded: set[int] = field(default_factory=set)  # the batch's questions (one step each)
    peer_replies: dict[int, Post | None] = field(default_factory=dict)  # question id → latest candidate
    tags: dict[int, list[str]] = field(default_factory=dict)  # question post id → its tag codes
    staff: dict[str, set[int]] = field(default_factory=dict)  # space → tutors, formateurs, coordinators
    offered: dict[int, list[int]] = field(default_factory=dict)  # question id → its offered assignments
    role_members: dict[tuple[str, str], list[Member]] = field(default_factory=dict)
    validated: list[tuple[str, str, Member]] = field(default_factory=list)  # (space, code, person), in order
    cancel_levels_of: set[int] = field(default_factory=set)  # questions whose older level steps end
    expire_offers_of: set[int] = field(default_factory=set)
    armed: list[ScheduledStep] = field(default_factory=list)  # level steps armed in this batch
    _authors: list[Member] = field(default_factory=list)  # held: the identity map keeps rows weakly

    async def load(self, session: AsyncSession, questions: Iterable[Question]) -> None:
        """One query each for the batch's peer replies (with their authors), tags, staff and offers."""
        qs = list(questions)
        # Called again after another kind of step ran (it may have changed people's rows): start afresh.
        self.loaded, self.peer_replies, self.tags, self.staff, self.offered = {q.id for q in qs}, {}, {}, {}, {}
        self.role_members, self._authors, self.validated = {}, [], []
        if not qs:
            return
        spaces = {q.space_id for q in qs}
        staff: dict[str, set[int]] = defaultdict(set)
        for space_id, member_id in (await session.execute(
                select(Role.space_id, Role.member_id)
                .where(Role.space_id.in_(spaces), Role.role.in_(ANSWERING_ROLES)))).tuples():
            staff[space_id].add(member_id)
        self.staff = {s: staff[s] for s in spaces}
        tags: dict[int, list[str]] = defaultdict(list)
        for post_id, code in (await session.execute(
                select(Tag.post_id, Tag.code).where(Tag.post_id.in_({q.post_id for q in qs}),
                                                    Tag.removed.is_(False)))).tuples():
            tags[post_id].append(code)
        self.tags = {q.post_id: tags[q.post_id] for q in qs}
        await self._load_validated(session, qs)
        offered: dict[int, list[int]] = defaultdict(list)
        for assignment_id, question_id in (await session.execute(
                select(Assignment.id, Assignment.question_id)
                .where(Assignment.question_id.in_({q.id for q in qs}), Assignment.state == "offered"))).tuples():
            offered[question_id].append(assignment_id)
        self.offered = dict(offered)
        await self._load_replies(session, qs)

    async def _load_validated(self, session: AsyncSession, qs: list[Question]) -> None:
        """The consenting people with a validated competence among the tagged questions' codes."""
        codes = {c for q in qs for c in self.tags.get(q.post_id, ())}
        spaces = {q.space_id for q in qs if self.tags.get(q.post_id)}
        if not codes:
            return
        rows = (await session.execute(
            select(Declaration.id, Declaration.space_id, Declaration.code, Declaration.updated_at, Member)
            .join(Member, Declaration.member_id == Member.id)
            .where(Declaration.space_id.in_(spaces), Declaration.state == "validated", Declaration.code.in_(codes),
                   Member.erased_at.is_(None), Member.consent_public.is_(True)))).tuples()
        # `resource_persons` orders by the declaration's last change, newest first (ties: oldest row).
        ordered = sorted(rows, key=lambda r: r[0])
        ordered.sort(key=lambda r: r[3], reverse=True)
        self.validated = [(space_id, code, member) for _id, space_id, code, _at, member in ordered]

    async def _load_replies(self, session: AsyncSession, qs: list[Question]) -> None:
        # Grouped by channel so that each query uses the thread index (platform, channel, root).
        by_channel: dict[tuple[str, str], set[str]] = defaultdict(set)
        for q in qs:
            by_channel[(q.platform, q.platform_channel_id)].add(q.thread_root_id)
        replies: dict[tuple[str, str, str], list[Post]] = defaultdict(list)
        for (platform, channel), roots in by_channel.items():
            for post in (await session.execute(select(Post).where(
                    Post.platform == platform, Post.platform_channel_id == channel,
                    Post.thread_root_id.in_(roots), Post.kind == "answer", Post.deleted_at.is_(None)))).scalars():
                replies[(platform, channel, post.thread_root_id or "")].append(post)
        authors: set[int] = set()
        for q in qs:
            staff = self.staff.get(q.space_id, set())
            # The conditions of `unconfirmed_peer_reply`, in the same order of preference.
            candidates = [p for p in replies.get((q.platform, q.platform_channel_id, q.thread_root_id), ())
                          if p.id != q.post_id and p.author_id is not None and p.author_id != q.asker_id
                          and p.author_id not in staff
                          and (q.not_solved_at is None or p.created_at > q.not_solved_at)]
            latest = max(candidates, key=lambda p: (p.created_at, p.id), default=None)
            self.peer_replies[q.id] = latest
            if latest is not None and latest.author_id is not None:
                authors.add(latest.author_id)
        if authors:  # into the session: the handler's `session.get(Member, …)` finds them there
            self._authors = list((await session.execute(select(Member).where(Member.id.in_(authors)))).scalars())

    async def finish(self, session: AsyncSession) -> None:
        """The deferred UPDATEs, then the batch's new outbox, escalation and step rows in multi-row
        INSERTs (`bot/db/bulk_insert.py`): the UPDATEs cannot touch rows inserted after them. Run at the
        end of the batch, and before any other kind of step, which then finds the database as if each
        step had written its rows itself."""
        new_rows = take_new(session, (Outbox, Escalation, ScheduledStep))
        await session.flush()  # the rest: the fired steps marked done, questions, offers
        if self.cancel_levels_of:
            # Armed in this batch and flushed early (a query's autoflush): they stay pending.
            mine = [s.id for s in self.armed if s.id is not None and s.question_id in self.cancel_levels_of]
            query = update(ScheduledStep).where(
                ScheduledStep.question_id.in_(self.cancel_levels_of), ScheduledStep.state == "pending",
                ScheduledStep.kind.in_(LEVEL_KINDS))
            if mine:
                query = query.where(ScheduledStep.id.not_in(mine))
            await session.execute(query.values(state="cancelled").execution_options(synchronize_session=False))
        ids = [a for q in self.expire_offers_of for a in self.offered.get(q, ())]
        if ids:  # only offers that existed when the batch started: those it made itself stay open
            await session.execute(
                update(Assignment).where(Assignment.id.in_(ids), Assignment.state == "offered")
                .values(state="expired", ended_at=self.now).execution_options(synchronize_session=False))
        await insert_rows(session, new_rows)
        self.cancel_levels_of, self.expire_offers_of, self.armed = set(), set(), []


async def get(session: AsyncSession, model: type[T], pk: object) -> T | None:
    """`session.get`, answered from the session's identity map without a trip through the driver's
    greenlet when the row is there and fresh (a sweep batch loaded it): four per step saved."""
    if pk is not None:
        found = session.identity_map.get(identity_key(model, pk))
        if isinstance(found, model):
            state = inspect(found)
            if not state.expired_attributes and not state.deleted and not state.was_deleted:
                return found
    return await session.get(model, pk)


# The question columns a level's firing may change. Written together for every question of a batch,
# the flush sends the batch's question UPDATEs as one executemany instead of one UPDATE per run of
# questions with the same changed columns (a third of the nudges also stamp `asker_asked_at`).
QUESTION_COLUMNS = ("policy_level", "policy_loop", "asker_asked_at")


def same_update(session: AsyncSession, question: Question) -> None:
    if current(session) is not None:
        for column in QUESTION_COLUMNS:
            flag_modified(question, column)


def current(session: AsyncSession) -> LadderBatch | None:
    batch = session.info.get(KEY)
    return batch if isinstance(batch, LadderBatch) else None


async def cancel_levels(session: AsyncSession, question_id: int) -> None:
    """End the question's pending level steps (the one firing is already done)."""
    batch = current(session)
    if batch is None or question_id not in batch.loaded:
        await cancel_steps(session, question_id, LEVEL_KINDS)
    else:
        batch.cancel_levels_of.add(question_id)


def armed(session: AsyncSession, step: ScheduledStep) -> None:
    """A level step armed by the handler: the deferred cancel must leave it pending."""
    batch = session.info.get(KEY)
    if isinstance(batch, LadderBatch):
        batch.armed.append(step)


async def expire_offers(session: AsyncSession, question_id: int, now: datetime) -> None:
    batch = current(session)
    if batch is None or question_id not in batch.loaded:
        await expire_offers_now(session, question_id, now)
    else:
        batch.expire_offers_of.add(question_id)


async def peer_reply(session: AsyncSession, question: Question) -> Post | None:
    batch = current(session)
    if batch is None or question.id not in batch.peer_replies:
        return await unconfirmed_peer_reply(session, question)
    return batch.peer_replies[question.id]


async def nudge_people(session: AsyncSession, question: Question, limit: int = 3) -> list[Member]:
    """`resource_persons(peers_only=True)` from the batch's reads: the same people in the same order."""
    batch = current(session)
    codes = None if batch is None else batch.tags.get(question.post_id)
    if batch is None or codes is None or question.space_id not in batch.staff:
        return await resource_persons(session, question, limit=limit, peers_only=True)
    chosen: list[Member] = []
    for space_id, code, member in batch.validated if codes else ():
        if space_id == question.space_id and code in codes and member.id != question.asker_id \
                and member not in chosen:
            chosen.append(member)
    if len(chosen) < limit:
        key = (question.space_id, "resource")
        if key not in batch.role_members:
            batch.role_members[key] = await members_with_role(session, question.space_id, "resource")
        chosen += [m for m in batch.role_members[key]
                   if m.id != question.asker_id and m.erased_at is None and m not in chosen]
    staff = batch.staff[question.space_id]
    return [m for m in chosen if m.id not in staff][:limit]
