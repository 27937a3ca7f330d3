"""The policy side of the SLA report: who holds each open question, acknowledgement times, whether the
coordinator was warned in time, and staff load. A query over `sos_assignments`, `escalations` and
`sos_handovers`, never counters kept in memory.

- A *personal ping* is a policy message written to, or naming, a tutor, formateur or coordinator of the
  space (one `escalations` row with that person; a backup space's formateur counts too), a Monday
  handover, or a rota-hole warning (`sos_rota_warnings`). Replies to their own commands are not pings.
- *Acknowledgement time*: from the private message asking a person to take the question to their
  `/claim`, endorsement or reply.
- The coordinator was *warned in time* when the warning came at least `WARNING_LEAD` before the
  deadline; it is counted over the questions that needed it (warned, or past their deadline unanswered).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Escalation, Member, Question, Role
from bot.db.sos_models import Assignment, Handover, RotaWarning
from bot.sos.replies import ANSWERING_ROLES

WARNING_LEAD = timedelta(hours=6)


@dataclass
class StaffReport:
    pings: int = 0
    pings_per_question: float | None = None
    acknowledged: int = 0
    median_ack_hours: float | None = None
    coordinator_needed: int = 0
    coordinator_warned_in_time: int = 0
    coordinator_warned_in_time_ratio: float | None = None
    load: list[dict[str, object]] = field(default_factory=list)  # per person: name, pings, questions
    holders: list[dict[str, object]] = field(default_factory=list)  # per open question

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _scope(query: Select[Any], space_id: str | None, since: datetime | None, until: datetime | None) -> Select[Any]:
    """Only the questions of a space, asked in [since, until)."""
    if space_id is not None:
        query = query.where(Question.space_id == space_id)
    if since is not None:
        query = query.where(Question.created_at >= since)
    if until is not None:
        query = query.where(Question.created_at < until)
    return query


async def staff_report(session: AsyncSession, now: datetime, space_id: str | None = None,
                       since: datetime | None = None, until: datetime | None = None) -> StaffReport:
    report = StaffReport()
    questions = list((await session.execute(_scope(select(Question), space_id, since, until))).scalars())
    staff_role = and_(Role.member_id == Escalation.member_id, Role.space_id == Question.space_id,
                      Role.role.in_(ANSWERING_ROLES))
    pings: Sequence[Row[tuple[int, int]]] = (await session.execute(_scope(
        select(Escalation.member_id, Escalation.question_id)
        .join(Question, Question.id == Escalation.question_id)
        # A backup space's formateur has no role here, and is staff all the same.
        .where(Escalation.member_id.is_not(None),
               or_(select(Role.member_id).where(staff_role).exists(), Escalation.kind == "sos.backup")),
        space_id, since, until))).all()
    handovers = select(Handover.member_id)
    if space_id is not None:
        handovers = handovers.where(Handover.space_id == space_id)
    if since is not None:
        handovers = handovers.where(Handover.sent_at >= since)
    if until is not None:
        handovers = handovers.where(Handover.sent_at < until)
    handed = list((await session.execute(handovers)).scalars())
    warnings = select(RotaWarning.member_id)
    if space_id is not None:
        warnings = warnings.where(RotaWarning.space_id == space_id)
    if since is not None:
        warnings = warnings.where(RotaWarning.sent_at >= since)
    if until is not None:
        warnings = warnings.where(RotaWarning.sent_at < until)
    handed += list((await session.execute(warnings)).scalars())  # not about one question, like handovers
    report.pings = len(pings) + len(handed)
    report.pings_per_question = round(report.pings / len(questions), 3) if questions else None
    await _load(session, report, pings, handed)
    await _acks(session, report, space_id, since, until)
    await _coordinator(session, report, questions, now)
    return report


async def _load(session: AsyncSession, report: StaffReport, pings: Sequence[Row[tuple[int, int]]],
                handed: list[int]) -> None:
    per: dict[int, tuple[int, set[int]]] = {}
    for member_id, question_id in pings:
        count, qs = per.get(member_id, (0, set()))
        per[member_id] = (count + 1, qs | {question_id})
    for member_id in handed:
        count, qs = per.get(member_id, (0, set()))
        per[member_id] = (count + 1, qs)
    names = {m.id: m.display_name for m in (await session.execute(
        select(Member).where(Member.id.in_(list(per))))).scalars()} if per else {}
    rows = sorted(per.items(), key=lambda item: (-item[1][0], names.get(item[0], "?")))
    report.load = [{"name": names.get(k, "?"), "pings": c, "questions": len(q)} for k, (c, q) in rows]


async def _acks(session: AsyncSession, report: StaffReport, space_id: str | None, since: datetime | None,
                until: datetime | None) -> None:
    rows = (await session.execute(_scope(
        select(Assignment.offered_at, Assignment.acknowledged_at).join(Question, Question.id == Assignment.question_id)
        .where(Assignment.target != "claim", Assignment.acknowledged_at.is_not(None)), space_id, since, until))).all()
    hours = [(ack - offered).total_seconds() / 3600 for offered, ack in rows]
    report.acknowledged = len(hours)
    report.median_ack_hours = round(statistics.median(hours), 2) if hours else None


async def _coordinator(session: AsyncSession, report: StaffReport, questions: list[Question], now: datetime) -> None:
    ids = [q.id for q in questions]
    first_warning: dict[int, datetime] = {}
    if ids:
        rows = await session.execute(
            select(Escalation.question_id, func.min(Escalation.fired_at))
            .where(Escalation.question_id.in_(ids), Escalation.kind == "sos.coordinator",
                   Escalation.member_id.is_not(None))
            .group_by(Escalation.question_id))
        first_warning = {qid: at if at.tzinfo else at.replace(tzinfo=UTC) for qid, at in rows.tuples()}
    for q in questions:
        if q.resolution == "faq" and q.status == "resolved":
            late = False  # resolved by the FAQ: not late, whatever its deadline
        else:
            late = q.answered_at > q.deadline_at if q.answered_at else q.deadline_at <= now
        warned = first_warning.get(q.id)
        if warned is None and not late:
            continue
        report.coordinator_needed += 1
        if warned is not None and warned <= q.deadline_at - WARNING_LEAD:
            report.coordinator_warned_in_time += 1
    if report.coordinator_needed:
        report.coordinator_warned_in_time_ratio = round(
            report.coordinator_warned_in_time / report.coordinator_needed, 4)


@dataclass
class Holding:
    question: Question
    holder: Member | None  # None: still with the community
    state: str  # offered (asked, not yet acknowledged) | acknowledged (took it) | community
    since: datetime


async def holders(session: AsyncSession, space_id: str) -> list[Holding]:
    """Each open question, most urgent first: who holds it (asked or took it) and since when."""
    rows = await session.execute(
        select(Question, Assignment, Member)
        .outerjoin(Assignment, and_(Assignment.question_id == Question.id,
                                    Assignment.state.in_(("offered", "acknowledged"))))
        .outerjoin(Member, Member.id == Assignment.member_id)
        .where(Question.space_id == space_id, Question.status == "open")
        .order_by(Question.deadline_at, Question.id))
    return [Holding(q, m, a.state, a.acknowledged_at or a.offered_at) if a is not None
            else Holding(q, None, "community", q.clock_started_at) for q, a, m in rows.tuples()]
