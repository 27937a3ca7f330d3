"""The formateur digest (DM): pending declarations oldest first, questions escalated to me, the SLA."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Escalation, Member, Post, Question
from bot.declarations.store import queue
from bot.digest.community import first_line
from bot.links import thread_link
from bot.members import members_with_role, referents_of
from bot.sos.sla import SlaReport, sla_report
from bot.sos.sla_staff import holders
from bot.sos.store import thread_of

MAX_PENDING = 15


@dataclass
class TrainerDigest:
    member_id: int
    pending: list[dict[str, Any]] = field(default_factory=list)  # {id, code, who, since, state}
    pending_more: int = 0
    escalated: list[dict[str, Any]] = field(default_factory=list)  # {title, asker, deadline, link, kind}
    # Open questions the SOS policy gave to this formateur (asked, or taken): the rows /sla shows as holders.
    assigned: list[dict[str, Any]] = field(default_factory=list)  # {number, title, asker, deadline, state, since}
    sla: SlaReport | None = None

    def values(self) -> dict[str, Any]:
        return {"t": self, "sla": self.sla}


async def trainer_digests(session: AsyncSession, cfg: SpaceConfig, start: datetime, end: datetime,
                          now: datetime) -> dict[int, tuple[Member, TrainerDigest]]:
    trainers = await members_with_role(session, cfg.id, "trainer")
    if not trainers:
        return {}
    pending = await queue(session, cfg.id)
    names = {m.id: m.display_name for m in (await session.execute(
        select(Member).where(Member.id.in_({d.member_id for d in pending})))).scalars()} if pending else {}
    report = await sla_report(session, now, cfg.id, since=start, until=end)
    rows = await session.execute(
        select(Question, Post.text, Escalation.kind)
        .join(Escalation, Escalation.question_id == Question.id)
        .join(Post, Post.id == Question.post_id)
        .where(Question.space_id == cfg.id, Question.status == "open",
               Escalation.kind.in_(("sos.referent", "sos.trainers")))
        .order_by(Question.deadline_at, Question.id)
    )
    escalated: dict[int, tuple[Question, str, set[str]]] = {}
    for question, text, kind in rows:
        escalated.setdefault(question.id, (question, text or "", set()))[2].add(kind)
    askers = {m.id: m for m in (await session.execute(
        select(Member).where(Member.id.in_({q.asker_id for q, _, _ in escalated.values()})))).scalars()
    } if escalated else {}
    referents: dict[int, set[int]] = {}
    for question, _, _ in escalated.values():
        if question.asker_id not in referents:
            referents[question.asker_id] = {m.id for m in await referents_of(session, cfg.id, question.asker_id)}
    held = [h for h in await holders(session, cfg.id) if h.holder is not None]
    held_askers = {m.id: m for m in (await session.execute(
        select(Member).where(Member.id.in_({h.question.asker_id for h in held}))))
        .scalars()} if held else {}
    out: dict[int, tuple[Member, TrainerDigest]] = {}
    for trainer in trainers:
        digest = TrainerDigest(trainer.id, sla=report)
        for h in held:
            if h.holder is not None and h.holder.id == trainer.id:
                q, asker = h.question, held_askers.get(h.question.asker_id)
                post = await session.get(Post, q.post_id)
                digest.assigned.append({
                    "number": q.id, "title": q.title or first_line(post.text or "" if post else ""),
                    "asker": asker.display_name if asker else "?", "deadline": q.deadline_at,
                    "overdue": q.deadline_at <= now, "state": h.state, "since": h.since,
                    "link": thread_link(thread_of(q), cfg)})
        mine = [d for d in pending if d.member_id != trainer.id]
        digest.pending = [{"id": d.id, "code": d.code, "who": names.get(d.member_id, "?"), "since": d.created_at,
                           "state": d.state} for d in mine[:MAX_PENDING]]
        digest.pending_more = max(0, len(mine) - MAX_PENDING)
        for question, text, kinds in escalated.values():
            if "sos.trainers" in kinds or trainer.id in referents.get(question.asker_id, set()):
                asker = askers.get(question.asker_id)
                digest.escalated.append({
                    "title": question.title or first_line(text), "asker": asker.display_name if asker else "?",
                    "deadline": question.deadline_at, "overdue": question.deadline_at <= now,
                    "claimed": question.claimed_by_id is not None,
                    "link": thread_link(thread_of(question), cfg)})
        out[trainer.id] = (trainer, digest)
    return out
