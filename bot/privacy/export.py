"""Right of access: everything stored about one member, as JSON and as a readable Markdown summary.

Other people appear only through what belongs to the member's own record, never by name: a review
of the member's declaration says `by: "validator"`; a review the member gave shows the declaration's
code, not its author.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Declaration, FaqEntry, FaqSuggestion, Member, Outbox, Post, Question, Review, Role, Tag
from bot.privacy.export_more import collect_more
from bot.refs import UserRef
from bot.templates import render

EXPORT_PREFIX = "ticebot-donnees-"


def data_dir() -> Path:
    """Where export files are written: $TICEBOT_DATA_DIR, else ./exports/ (created, owner-only)."""
    path = Path(os.environ.get("TICEBOT_DATA_DIR") or "exports")
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(0o700)
    except OSError:  # pragma: no cover - a directory we do not own; the files stay 0600
        pass
    return path


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _is_to(payload: dict[str, Any], user: UserRef) -> bool:
    to = payload.get("user") or {}
    return to.get("platform") == user.platform and to.get("id") == user.id


async def collect(session: AsyncSession, member: Member, space_id: str | None = None) -> dict[str, Any]:
    """The member's whole record (optionally one space's part of it), JSON-ready."""
    def in_space(column: Any) -> Any:
        return true() if space_id is None else column == space_id

    roles = (await session.execute(
        select(Role).where(Role.member_id == member.id, in_space(Role.space_id)).order_by(Role.space_id, Role.role)
    )).scalars().all()
    posts = (await session.execute(
        select(Post).where(Post.author_id == member.id, in_space(Post.space_id)).order_by(Post.created_at, Post.id)
    )).scalars().all()
    post_ids = [p.id for p in posts]
    tags = (await session.execute(
        select(Tag).where(Tag.post_id.in_(post_ids)).order_by(Tag.post_id, Tag.code)
    )).scalars().all() if post_ids else []
    questions = (await session.execute(
        select(Question).where(Question.asker_id == member.id, in_space(Question.space_id))
        .order_by(Question.created_at, Question.id)
    )).scalars().all()
    answered = (await session.execute(
        select(Question).where(or_(Question.first_responder_id == member.id, Question.claimed_by_id == member.id),
                               in_space(Question.space_id)).order_by(Question.created_at, Question.id)
    )).scalars().all()
    # FAQ: entries made from their threads or curated by them, and what was suggested to them.
    question_ids = [q.id for q in questions]
    post_question_ids = [q.id for q in answered]
    faq_entries = (await session.execute(
        select(FaqEntry).where(or_(FaqEntry.created_by_id == member.id,
                                   FaqEntry.question_id.in_(question_ids + post_question_ids)),
                               in_space(FaqEntry.space_id)).order_by(FaqEntry.id)
    )).scalars().all()
    faq_suggestions = (await session.execute(
        select(FaqSuggestion).where(FaqSuggestion.question_id.in_(question_ids)).order_by(FaqSuggestion.id)
    )).scalars().all() if question_ids else []
    declarations = (await session.execute(
        select(Declaration).where(Declaration.member_id == member.id, in_space(Declaration.space_id))
        .order_by(Declaration.created_at, Declaration.id)
    )).scalars().all()
    decl_ids = [d.id for d in declarations]
    reviews_of_mine = (await session.execute(
        select(Review).where(Review.declaration_id.in_(decl_ids)).order_by(Review.at, Review.id)
    )).scalars().all() if decl_ids else []
    given = (await session.execute(
        select(Review, Declaration).join(Declaration, Declaration.id == Review.declaration_id)
        .where(Review.actor_id == member.id, Declaration.member_id != member.id, in_space(Declaration.space_id))
        .order_by(Review.at, Review.id)
    )).all()
    me = UserRef(member.platform, member.platform_user_id)
    messages = [
        {"id": row.id, "template": row.template, "status": row.status, "created_at": _iso(row.created_at),
         "sent_at": _iso(row.sent_at), "failed_at": _iso(row.failed_at), "why_not_delivered": row.last_error,
         "text": (row.payload or {}).get("text") if row.status == "failed" else None}
        for row in (await session.execute(
            select(Outbox).where(Outbox.kind == "send_direct", Outbox.platform == member.platform)
            .order_by(Outbox.created_at, Outbox.id)
        )).scalars()
        if _is_to(row.payload or {}, me)
    ]
    by_decl: dict[int, list[dict[str, Any]]] = {}
    for r in reviews_of_mine:
        by_decl.setdefault(r.declaration_id, []).append({
            "from": r.from_state, "to": r.to_state, "at": _iso(r.at), "comment": r.comment,
            "by": "self" if r.actor_id == member.id else ("validator" if r.actor_id else "system"),
        })
    return {
        "format": "ticebot-member-export/1",
        "scope": {"space": space_id} if space_id else {"space": "all"},
        "member": {
            "id": member.id, "platform": member.platform, "platform_user_id": member.platform_user_id,
            "display_name": member.display_name, "language": member.language, "created_at": _iso(member.created_at),
            "welcomed_at": _iso(member.welcomed_at), "erased_at": _iso(member.erased_at),
        },
        "consents": {
            "consent_public": member.consent_public, "declarations_public": member.declarations_public,
            "digest_opt_in": member.digest_opt_in,
        },
        "roles": [{"space": r.space_id, "role": r.role, "group": r.group, "source": r.source} for r in roles],
        "posts": [
            {"id": p.id, "space": p.space_id, "platform": p.platform, "channel": p.platform_channel_id,
             "post_id": p.platform_post_id, "thread": p.thread_root_id, "kind": p.kind, "direct": p.is_direct,
             "title": p.title, "text": p.text, "created_at": _iso(p.created_at), "edited_at": _iso(p.edited_at),
             "deleted_at": _iso(p.deleted_at)}
            for p in posts
        ],
        "tags": [
            {"post": t.post_id, "referential": t.referential_id, "code": t.code, "score": round(t.score, 4),
             "source": t.source, "removed": t.removed, "created_at": _iso(t.created_at)}
            for t in tags
        ],
        "questions": [
            {"id": q.id, "space": q.space_id, "post": q.post_id, "title": q.title, "status": q.status,
             "created_at": _iso(q.created_at), "deadline_at": _iso(q.deadline_at),
             "first_response_at": _iso(q.first_response_at), "answered_at": _iso(q.answered_at),
             "resolved_at": _iso(q.resolved_at), "breached_at": _iso(q.breached_at), "resolution": q.resolution}
            for q in questions
        ],
        "faq_entries": [
            {"id": e.id, "space": e.space_id, "question": e.question_id, "title": e.title, "summary": e.summary,
             "curated_by_you": e.created_by_id == member.id, "created_at": _iso(e.created_at),
             "updated_at": _iso(e.updated_at), "removed_at": _iso(e.removed_at)}
            for e in faq_entries
        ],
        "faq_suggestions": [
            {"question": s.question_id, "suggested_question": s.source_question_id, "entry": s.entry_id,
             "rank": s.rank, "score": s.score, "shown_at": _iso(s.shown_at)}
            for s in faq_suggestions
        ],
        "questions_answered": [
            {"id": q.id, "space": q.space_id, "first_response": q.first_responder_id == member.id,
             "claimed": q.claimed_by_id == member.id, "first_response_at": _iso(q.first_response_at),
             "claimed_at": _iso(q.claimed_at)}
            for q in answered
        ],
        "declarations": [
            {"id": d.id, "space": d.space_id, "referential": d.referential_id, "version": d.referential_version,
             "code": d.code, "label": d.label, "trace": d.trace_text, "trace_post": d.trace_post_id,
             "private": d.is_private, "state": d.state, "created_at": _iso(d.created_at),
             "updated_at": _iso(d.updated_at), "reviews": by_decl.get(d.id, [])}
            for d in declarations
        ],
        "reviews_given": [
            {"declaration": d.id, "space": d.space_id, "code": d.code, "from": r.from_state, "to": r.to_state,
             "comment": r.comment, "at": _iso(r.at)}
            for r, d in given
        ],
        "messages_received": messages,
        **await collect_more(session, member, space_id),
    }


def write_files(data: dict[str, Any], lang: str, out: Path | None = None, now: datetime | None = None
                ) -> tuple[Path, Path]:
    """Write `<name>.json` and `<name>.md` (0600); the name holds the member row id, nothing personal."""
    if out is None:
        stamp = (now or datetime.now()).strftime("%Y%m%dT%H%M%S")
        out = data_dir() / f"{EXPORT_PREFIX}{data['member']['id']}-{stamp}-{secrets.token_hex(4)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    md = out.with_suffix(".md")
    summary = render(lang, "privacy/export_file", data=data).text + "\n"
    for path, content in ((out, json.dumps(data, ensure_ascii=False, indent=2)), (md, summary)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
    return out, md


def export_files_of(member_id: int) -> list[Path]:
    """Export files already written for a member (deleted on erasure)."""
    root = Path(os.environ.get("TICEBOT_DATA_DIR") or "exports")
    if not root.is_dir():
        return []
    return sorted(root.glob(f"{EXPORT_PREFIX}{member_id}-*"))
