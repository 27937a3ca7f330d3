"""What the community digest says: a few queries over one space for one period, as plain data.

Only members who consented (`Member.consent_public`) are named, and only for validations; everyone
else is counted. Nothing here ranks members or names anyone who stayed silent.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Declaration, FaqEntry, Member, Post, Question, Review, Tag
from bot.digest.periods import local_days, week_ending, weeks_ending
from bot.links import thread_link
from bot.sos.store import thread_of

URL = re.compile(r"https?://[^\s<>()\"']+")
TOP_COMPETENCES = 5
MAX_FAQ = 5
MAX_RESOURCES = 5
MAX_UNTOUCHED_PER_DOMAIN = 4
CHART_WEEKS = 8


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _in(value: datetime | None, start: datetime, end: datetime) -> bool:
    return value is not None and start <= value < end


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def short_label(label: str, limit: int = 60) -> str:
    label = label.strip().rstrip(".")
    return label if len(label) <= limit else label[: limit - 1].rstrip(" ,;") + "…"


def first_line(text: str | None, limit: int = 120) -> str:
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass
class WeekPoint:
    start: datetime
    asked: int
    answered: int
    judged: int  # questions asked this week whose fate is known (answered, or deadline passed)
    within: int  # ... of which answered within the deadline

    @property
    def within_ratio(self) -> float | None:
        return self.within / self.judged if self.judged else None


@dataclass
class CommunityDigest:
    space: str
    start: datetime
    end: datetime
    asked: int = 0
    answered: int = 0
    open: int = 0
    breached: int = 0
    median_first_response_h: float | None = None
    previous_median_h: float | None = None  # the 4 weeks before
    trending: list[dict[str, Any]] = field(default_factory=list)  # {code, label, count}
    untouched: list[dict[str, Any]] = field(default_factory=list)  # {domain, label, codes, more}
    faq: list[dict[str, str]] = field(default_factory=list)  # {title, link}
    faq_entries: list[dict[str, Any]] = field(default_factory=list)  # curated this week: {number, title, link}
    named_validations: list[dict[str, str]] = field(default_factory=list)  # {name, code, label}
    anonymous_validations: int = 0
    resources: int = 0
    resource_links: list[str] = field(default_factory=list)
    weeks: list[WeekPoint] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)  # {domain, covered, total}
    timezone: str = "Europe/Paris"

    @property
    def quiet(self) -> bool:
        """Nothing happened and nothing is waiting: one friendly line is enough."""
        return not (self.asked or self.answered or self.open or self.breached or self.trending or self.faq
                    or self.faq_entries or self.named_validations or self.anonymous_validations or self.resources)

    @property
    def has_chart_data(self) -> bool:
        return any(w.asked or w.answered for w in self.weeks) or any(c["covered"] for c in self.coverage)

    def values(self) -> dict[str, Any]:
        """Template values."""
        return {"d": self, "quiet": self.quiet, **local_days(self.start, self.end, self.timezone)}


def _by_faq(q: Question) -> bool:
    return q.status == "resolved" and q.resolution == "faq"


def _judge(q: Question, now: datetime) -> tuple[bool, bool]:
    """(its fate is known at `now`, answered within the deadline) — as in the SLA report."""
    if _by_faq(q):
        return False, False  # resolved by the FAQ: left out of the in-time share, as in the SLA report
    if q.answered_at is not None:
        return True, q.answered_at <= q.deadline_at
    return q.deadline_at <= now, False


def question_figures(digest: CommunityDigest, questions: list[Question], now: datetime, tz: str) -> None:
    start, end = digest.start, digest.end
    digest.asked = sum(1 for q in questions if _in(q.created_at, start, end))
    digest.answered = sum(1 for q in questions if _in(q.answered_at, start, end))
    # Still open when the period ended (a catch-up digest reports the week as it was).
    digest.open = sum(
        1 for q in questions
        if q.created_at < end and (q.answered_at is None or q.answered_at >= end)
        and (q.resolved_at is None or q.resolved_at >= end)
    )
    digest.breached = sum(
        1 for q in questions
        if _in(q.deadline_at, start, end) and q.deadline_at <= now and not _by_faq(q)
        and (q.answered_at is None or q.answered_at > q.deadline_at)
    )
    digest.median_first_response_h = _median(
        [_hours(q.created_at, q.first_response_at) for q in questions
         if q.first_response_at is not None and _in(q.first_response_at, start, end)])
    previous_start = week_ending(end, tz, 4)[0]  # the 4 weeks before this one
    digest.previous_median_h = _median(
        [_hours(q.created_at, q.first_response_at) for q in questions
         if q.first_response_at is not None and _in(q.first_response_at, previous_start, start)])
    digest.weeks = []
    for w_start, w_end in weeks_ending(end, CHART_WEEKS, tz):
        asked = [q for q in questions if _in(q.created_at, w_start, w_end)]
        fates = [_judge(q, now) for q in asked]
        digest.weeks.append(WeekPoint(
            w_start, len(asked), sum(1 for q in questions if _in(q.answered_at, w_start, w_end)),
            sum(1 for known, _ in fates if known), sum(1 for _, ok in fates if ok)))


async def _faq(session: AsyncSession, questions: list[Question], cfg: SpaceConfig,
               start: datetime, end: datetime) -> list[dict[str, str]]:
    resolved = sorted((q for q in questions if q.status == "resolved" and not _by_faq(q)
                       and _in(q.resolved_at, start, end)),
                      key=lambda q: (q.resolved_at, q.id))
    out = []
    for q in resolved[:MAX_FAQ]:
        post = await session.get(Post, q.post_id)
        title = q.title or first_line(post.text if post else "")
        if title:
            out.append({"title": title, "link": thread_link(thread_of(q), cfg)})
    return out


async def _faq_entries(session: AsyncSession, cfg: SpaceConfig, start: datetime, end: datetime
                       ) -> list[dict[str, Any]]:
    """Curated entries added this week and still in the FAQ."""
    rows = await session.execute(
        select(FaqEntry, Question).join(Question, Question.id == FaqEntry.question_id)
        .where(FaqEntry.space_id == cfg.id, FaqEntry.removed_at.is_(None), FaqEntry.created_at >= start,
               FaqEntry.created_at < end, FaqEntry.title != "")
        .order_by(FaqEntry.created_at, FaqEntry.id).limit(MAX_FAQ))
    return [{"number": e.id, "title": e.title, "link": thread_link(thread_of(q), cfg)} for e, q in rows.tuples()]


async def _competences(session: AsyncSession, digest: CommunityDigest, ref: Any, space_id: str) -> None:
    start, end = digest.start, digest.end
    rows = await session.execute(
        select(Tag.code, func.count(func.distinct(Tag.post_id)))
        .join(Post, Post.id == Tag.post_id)
        .where(Tag.space_id == space_id, Tag.removed.is_(False), Post.created_at >= start, Post.created_at < end,
               Post.deleted_at.is_(None))
        .group_by(Tag.code)
    )
    counts = sorted(((code, n) for code, n in rows if ref.get(code) is not None), key=lambda cn: (-cn[1], cn[0]))
    digest.trending = [{"code": code, "label": short_label(ref.get(code).label), "count": n}
                       for code, n in counts[:TOP_COMPETENCES]]
    tagged = set((await session.execute(
        select(Tag.code).where(Tag.space_id == space_id, Tag.removed.is_(False), Tag.created_at < end).distinct()
    )).scalars())
    declared = set((await session.execute(
        select(Declaration.code).where(Declaration.space_id == space_id, Declaration.created_at < end).distinct()
    )).scalars())
    touched = tagged | declared
    digest.untouched, digest.coverage = [], []
    for domain in ref.domains:
        codes = [c.code for c in domain.competences]
        missing = [code for code in codes if code not in touched]
        digest.coverage.append({"domain": domain.code, "label": domain.label,
                                "covered": len(codes) - len(missing), "total": len(codes)})
        if missing:
            digest.untouched.append({"domain": domain.code, "label": domain.label,
                                     "codes": missing[:MAX_UNTOUCHED_PER_DOMAIN],
                                     "more": max(0, len(missing) - MAX_UNTOUCHED_PER_DOMAIN)})


async def _validations(session: AsyncSession, digest: CommunityDigest, space_id: str) -> None:
    rows = await session.execute(
        select(Declaration.code, Declaration.label, Member.display_name, Member.consent_public, Member.erased_at)
        .join(Review, Review.declaration_id == Declaration.id)
        .join(Member, Member.id == Declaration.member_id)
        .where(Declaration.space_id == space_id, Review.to_state == "validated",
               Review.at >= digest.start, Review.at < digest.end, Declaration.is_private.is_(False))
        .order_by(Review.at, Review.id)
    )
    anonymous = 0
    for code, label, name, consent, erased_at in rows:
        if consent and erased_at is None:
            digest.named_validations.append({"name": name, "code": code, "label": label})
        else:
            anonymous += 1
    # Validations of private declarations are counted too, never named.
    anonymous += await session.scalar(
        select(func.count(Review.id)).join(Declaration, Declaration.id == Review.declaration_id)
        .where(Declaration.space_id == space_id, Review.to_state == "validated", Review.at >= digest.start,
               Review.at < digest.end, Declaration.is_private.is_(True))) or 0
    digest.anonymous_validations = anonymous


async def _resources(session: AsyncSession, digest: CommunityDigest, space_id: str) -> None:
    texts = (await session.execute(
        select(Post.text).where(Post.space_id == space_id, Post.created_at >= digest.start,
                                Post.created_at < digest.end, Post.deleted_at.is_(None),
                                Post.is_direct.is_(False), Post.kind != "command", Post.text.contains("http"))
        .order_by(Post.created_at, Post.id)
    )).scalars()
    links: list[str] = []
    for text in texts:
        found = [u.rstrip(".,;:!?") for u in URL.findall(text or "")]
        if found:
            digest.resources += 1
            links.extend(u for u in found if u not in links)
    digest.resource_links = links[:MAX_RESOURCES]


async def community_digest(session: AsyncSession, ref: Any, cfg: SpaceConfig, start: datetime, end: datetime,
                           now: datetime) -> CommunityDigest:
    """The community digest of `cfg.id` for [start, end), judged at `now`."""
    digest = CommunityDigest(space=cfg.id, start=start, end=end, timezone=cfg.timezone)
    questions = list((await session.execute(
        select(Question).where(Question.space_id == cfg.id, Question.created_at < end).order_by(Question.id)
    )).scalars())
    question_figures(digest, questions, now, cfg.timezone)
    digest.faq = await _faq(session, questions, cfg, start, end)
    digest.faq_entries = await _faq_entries(session, cfg, start, end)
    await _competences(session, digest, ref, cfg.id)
    await _validations(session, digest, cfg.id)
    await _resources(session, digest, cfg.id)
    return digest
