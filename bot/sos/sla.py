"""The SLA report: a query over questions, never counters kept in memory."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Question


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = q * (len(ordered) - 1)
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (index - low), 2)


@dataclass
class SlaReport:
    questions: int = 0
    answered: int = 0
    resolved: int = 0
    # Resolved by the FAQ (the asker accepted a similar resolved question): counted apart, neither a
    # human answer nor a breach, and left out of the in-time ratio.
    faq_resolved: int = 0
    open: int = 0
    breaches: int = 0
    answered_within_deadline_ratio: float | None = None
    median_first_response_hours: float | None = None
    p90_first_response_hours: float | None = None
    median_resolution_hours: float | None = None
    p90_resolution_hours: float | None = None
    per_week: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def by_faq(q: Question) -> bool:
    return q.resolution == "faq" and q.status == "resolved"


def _breached(q: Question, now: datetime) -> bool:
    if by_faq(q):
        return False
    if q.answered_at is not None:
        return q.answered_at > q.deadline_at
    return q.deadline_at <= now


def build_report(questions: list[Question], now: datetime) -> SlaReport:
    report = SlaReport(questions=len(questions))
    first: list[float] = []
    resolution: list[float] = []
    due = within = 0
    for q in questions:
        if q.first_response_at is not None:
            first.append(_hours(q.created_at, q.first_response_at))
        if q.answered_at is not None:
            report.answered += 1
        if q.resolved_at is not None:
            report.resolved += 1
            resolution.append(_hours(q.created_at, q.resolved_at))
        if q.status == "open":
            report.open += 1
        if by_faq(q):
            report.faq_resolved += 1
            continue
        # Only questions whose deadline has come (or that were answered) can be judged.
        if q.answered_at is not None or q.deadline_at <= now:
            due += 1
            if q.answered_at is not None and q.answered_at <= q.deadline_at:
                within += 1
    report.answered_within_deadline_ratio = round(within / due, 4) if due else None
    # A breach is a judged question not answered in time, whether or not a ladder was there to record it.
    report.breaches = due - within
    report.median_first_response_hours = round(statistics.median(first), 2) if first else None
    report.p90_first_response_hours = _quantile(first, 0.9)
    report.median_resolution_hours = round(statistics.median(resolution), 2) if resolution else None
    report.p90_resolution_hours = _quantile(resolution, 0.9)
    weeks: dict[str, list[Question]] = {}
    for q in questions:
        year, week, _ = q.created_at.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", []).append(q)
    for key in sorted(weeks):
        qs = weeks[key]
        fr = [_hours(q.created_at, q.first_response_at) for q in qs if q.first_response_at]
        report.per_week.append({
            "week": key, "questions": len(qs),
            "answered": sum(1 for q in qs if q.answered_at is not None),
            "faq_resolved": sum(1 for q in qs if by_faq(q)),
            "breaches": sum(1 for q in qs if _breached(q, now)),
            "median_first_response_hours": round(statistics.median(fr), 2) if fr else None,
        })
    return report


async def sla_report(
    session: AsyncSession, now: datetime, space_id: str | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> SlaReport:
    query = select(Question)
    if space_id is not None:
        query = query.where(Question.space_id == space_id)
    if since is not None:
        query = query.where(Question.created_at >= since)
    if until is not None:
        query = query.where(Question.created_at < until)
    questions = list((await session.execute(query.order_by(Question.created_at))).scalars())
    return build_report(questions, now)


async def open_questions(session: AsyncSession, space_id: str) -> list[Question]:
    rows = await session.execute(
        select(Question).where(Question.space_id == space_id, Question.status == "open")
        .order_by(Question.deadline_at)
    )
    return list(rows.scalars())
