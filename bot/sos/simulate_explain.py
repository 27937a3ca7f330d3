"""`ticebot simulate --explain`: why each missed question was missed, and where the personal pings went.

Read from the run's database (questions, assignments, escalations, handovers) and the semester's staff
calendars, at the end of the run with the bot. A question is missed when it was not answered by its
deadline. Each miss gets the first cause that fits, in this order:

- `nobody there`: no staff member (of the space or its backup) read messages at any waking hour
  between the question and its deadline (holidays, weekends and absences together);
- `claimed, then forgotten`: someone took it (`/claim`) and did not answer in time;
- `asked people away (undeclared)`: everyone asked by name was away during their acknowledgement
  time, without having said so with `/absent`;
- `asked, there, not taken in time`: someone asked by name was there and did not take it (slow
  responder, let it go, or passed too late for the next level);
- `nobody asked by name`: no assignment at all (only the community nudge and the room alert).

Each miss is also tagged with what its delay touched (school holiday, weekend).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Escalation, Member, Question
from bot.db.sos_models import Assignment, Handover, RotaWarning
from bot.sos.simulate_model import PARIS, WAKING, Calendar, in_holidays

CAUSES = ("nobody there", "claimed, then forgotten", "asked people away (undeclared)",
          "asked, there, not taken in time", "nobody asked by name")


def reading_hours(cal: Calendar, start: datetime, end: datetime) -> int:
    """Whole waking hours between `start` and `end` on which this person reads messages."""
    hours, cursor = 0, start.astimezone(PARIS).replace(minute=0, second=0, microsecond=0)
    while cursor < end:
        if WAKING[0].hour <= cursor.hour < WAKING[1].hour and cal.reads_on(cursor.date()):
            hours += 1
        cursor += timedelta(hours=1)
    return hours


@dataclass
class Miss:
    number: int
    asked_at: datetime
    cause: str
    tags: list[str]
    staff_hours: int  # waking reading hours of all staff in the delay
    asked: list[str]  # who was asked by name, in order (state of their assignment)


@dataclass
class Explanation:
    questions: int = 0
    misses: list[Miss] = field(default_factory=list)
    pings: dict[str, float] = field(default_factory=dict)  # per question, by kind (handovers included)

    def as_dict(self) -> dict[str, Any]:
        causes = Counter(m.cause for m in self.misses)
        tags = Counter(t for m in self.misses for t in m.tags)
        return {"missed": len(self.misses), "causes": {c: causes.get(c, 0) for c in CAUSES},
                "tags": dict(sorted(tags.items())), "pings_per_question_by_kind": self.pings,
                "misses": [{"number": m.number, "asked_at": m.asked_at.astimezone(PARIS).strftime("%a %d/%m %H:%M"),
                            "cause": m.cause, "tags": m.tags, "staff_hours": m.staff_hours, "asked": m.asked}
                           for m in self.misses]}


def _missed(q: Question, now: datetime) -> bool:
    if q.answered_at is not None:
        return q.answered_at > q.deadline_at
    return q.deadline_at <= now


def _tags(start: datetime, end: datetime) -> list[str]:
    days = {(start + timedelta(hours=h)).astimezone(PARIS).date()
            for h in range(int((end - start).total_seconds() // 3600) + 1)}
    tags = []
    if any(in_holidays(d) for d in days):
        tags.append("holiday")
    if any(d.weekday() >= 5 for d in days):
        tags.append("weekend")
    return tags


def _cause(q: Question, assignments: list[Assignment], names: dict[int, str],
           calendars: dict[str, Calendar], staff_hours: int) -> str:
    if staff_hours == 0:
        return CAUSES[0]
    # The question was missed: a claim before the deadline means the claimer did not answer in time.
    if any(a.acknowledged_at is not None and a.acknowledged_at <= q.deadline_at for a in assignments):
        return CAUSES[1]
    named = [a for a in assignments if a.offered_at <= q.deadline_at]
    if not named:
        return CAUSES[4]

    def away(a: Assignment) -> bool:
        cal = calendars.get(names.get(a.member_id, ""))
        end = min(a.ack_due_at or q.deadline_at, q.deadline_at)
        return cal is not None and reading_hours(cal, a.offered_at, max(end, a.offered_at + timedelta(hours=1))) == 0
    if all(away(a) for a in named):
        return CAUSES[2]
    return CAUSES[3]


async def explain(session: AsyncSession, calendars: dict[str, Calendar], now: datetime,
                  extra_pings: dict[str, int] | None = None) -> Explanation:
    names = {m.id: m.platform_user_id for m in (await session.execute(select(Member))).scalars()}
    questions = list((await session.execute(select(Question).order_by(Question.id))).scalars())
    result = Explanation(questions=len(questions))
    for q in questions:
        if not _missed(q, now):
            continue
        assignments = list((await session.execute(select(Assignment).where(Assignment.question_id == q.id)
                                                  .order_by(Assignment.id))).scalars())
        staff_hours = sum(reading_hours(cal, q.clock_started_at, q.deadline_at) for cal in calendars.values())
        result.misses.append(Miss(
            q.id, q.created_at, _cause(q, assignments, names, calendars, staff_hours),
            _tags(q.clock_started_at, q.deadline_at), staff_hours,
            [f"{names.get(a.member_id, '?')}:{a.target}:{a.state}" for a in assignments]))
    kinds: Counter[str] = Counter()
    staff = set(calendars)
    for kind, member_id in (await session.execute(select(Escalation.kind, Escalation.member_id)
                                                  .where(Escalation.member_id.is_not(None)))).tuples():
        if names.get(member_id) in staff:
            kinds[kind] += 1
    kinds["handover"] = len(list((await session.execute(select(Handover.id))).scalars()))
    kinds["rota_hole"] = len(list((await session.execute(select(RotaWarning.id))).scalars()))
    kinds.update(extra_pings or {})
    if questions:
        result.pings = {k: round(v / len(questions), 3) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])}
    return result


def format_explanation(data: dict[str, Any]) -> str:
    out = ["", f"Questions manquées : {data['missed']}"]
    for cause, count in data["causes"].items():
        out.append(f"  {cause:34} {count:>4}")
    out.append("  délai touchant : " + ", ".join(f"{k} {v}" for k, v in data["tags"].items()))
    out.append("Messages personnels par question, par type :")
    out += [f"  {kind:34} {value:>6}" for kind, value in data["pings_per_question_by_kind"].items()]
    out.append("Détail (n°, posée, cause, délai, heures de lecture du personnel, personnes sollicitées) :")
    out += [f"  {m['number']:>4} {m['asked_at']}  {m['cause']:34} {','.join(m['tags']):16} {m['staff_hours']:>4}  "
            f"{' '.join(m['asked'])}" for m in data["misses"]]
    return "\n".join(out)
