"""What one level of the policy does: nudge the community, assign one named person, or alert the formateurs.

`act` returns False when the level reached nobody (everyone absent, already asked, or no such person),
and the engine then tries the next level at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Member, Post, Question
from bot.links import thread_link
from bot.members import user_ref
from bot.outbound import Outbound
from bot.refs import ChannelRef, MessageRef
from bot.sos import batch
from bot.sos.assignments import offer
from bot.sos.pings import record
from bot.sos.plan import timeout_of
from bot.sos.policy import PERSONAL_TARGETS, Level, step_kind
from bot.sos.replies import excerpt
from bot.sos.store import channel_of_kind, thread_of
from bot.sos.targets import first_available, formateurs_to_alert

# The private message each personal target gets (template names kept from the ladder where unchanged).
ASSIGNMENT_TEMPLATES = {"oncall": "sos/oncall", "referent": "sos/referent", "resource": "sos/resource",
                        "coordinator": "sos/coordinator_warning", "backup": "sos/backup"}
ASSIGNMENT_ACTIONS = ("claim", "pass")


@dataclass
class LevelRun:
    session: AsyncSession
    cfg: SpaceConfig
    question: Question
    asker: Member
    out: Outbound
    now: datetime
    due: datetime
    late: datetime | None
    index: int
    level: Level
    text: str  # the question, for messages to staff

    async def peer_reply(self) -> tuple[Post, Member] | None:
        post = await batch.peer_reply(self.session, self.question)  # a sweep batch read it already
        if post is None:
            return None
        author = await self.session.get(Member, post.author_id)
        return (post, author) if author is not None else None

    def common(self, peer: tuple[Post, Member] | None) -> dict[str, Any]:
        q = self.question
        return dict(asker=user_ref(self.asker), question=self.text, link=thread_link(thread_of(q), self.cfg),
                    deadline=q.deadline_at, remaining=q.deadline_at - self.now, late=self.late, number=q.id,
                    peer=None if peer is None else {"author": user_ref(peer[1]), "text": excerpt(peer[0].text)})


async def act(run: LevelRun) -> bool:
    reached = False
    peer = await run.peer_reply()
    for target in run.level.targets:
        if target == "community":
            await _nudge(run, peer)
            reached = True
        elif target == "trainers":
            reached = await _alert_formateurs(run, peer) or reached
    if run.level.personal and await _assign(run, peer):
        reached = True
    if reached and peer is not None and run.question.asker_asked_at is None:
        # The asker is asked once whether the reply solved it (the nudge asks it itself).
        run.question.asker_asked_at = run.now
        if "community" not in run.level.targets:
            run.out.reply(thread_of(run.question), "sos/peer_reply_check", asker=user_ref(run.asker),
                          helper=user_ref(peer[1]))
    return reached


async def _nudge(run: LevelRun, peer: tuple[Post, Member] | None) -> None:
    people = await batch.nudge_people(run.session, run.question)
    run.out.reply(thread_of(run.question), "sos/nudge", asker=user_ref(run.asker),
                  resources=[user_ref(m) for m in people], has_replies=peer is not None,
                  deadline=run.question.deadline_at, late=run.late)
    record(run.session, run.question, "sos.nudge", run.due, run.now, people, run.index)


async def _assign(run: LevelRun, peer: tuple[Post, Member] | None) -> bool:
    targets = [t for t in run.level.targets if t in PERSONAL_TARGETS]
    found = await first_available(run.session, run.cfg, run.question, targets, run.now)
    if found is None:
        return False
    member, target = found
    ack_due = timeout_of(run.cfg, run.now, run.level.ack_td)
    offer(run.session, run.question, member.id, target, run.index, run.now, ack_due)
    actions = ASSIGNMENT_ACTIONS + (("endorse",) if peer is not None else ())
    values = run.common(peer)
    reply = None if peer is None else MessageRef(ChannelRef(peer[0].platform, peer[0].platform_channel_id),
                                                 peer[0].platform_post_id)
    if target == "backup":
        # Someone of another space: the question's excerpt and link, nobody's name nor a peer's reply.
        values = dict(question=values["question"], link=values["link"], deadline=values["deadline"],
                      remaining=values["remaining"], late=values["late"], number=values["number"],
                      space=run.cfg.id)
        actions = ASSIGNMENT_ACTIONS
        reply = None
    run.out.direct(member, ASSIGNMENT_TEMPLATES[target], question_id=run.question.id, actions=actions,
                   endorse_reply=reply, ack_due=ack_due, **values)
    record(run.session, run.question, step_kind(target), run.due, run.now, [member], run.index)
    return True


async def _alert_formateurs(run: LevelRun, peer: tuple[Post, Member] | None) -> bool:
    q = run.question
    staff = await formateurs_to_alert(run.session, q, run.now, run.cfg.sos.alert_asked_again)
    if not staff:
        return False
    values = dict(trainers=[user_ref(m) for m in staff], **run.common(peer))
    room = await channel_of_kind(run.session, q.space_id, q.platform, "trainers")
    if room is not None:
        run.out.alert(room, ("trainer",), "sos/trainers_alert", **values)
    else:
        for trainer in staff:
            run.out.direct(trainer, "sos/trainers_alert", question_id=q.id, actions=("claim",), **values)
    record(run.session, q, "sos.trainers", run.due, run.now, staff, run.index)
    return True
