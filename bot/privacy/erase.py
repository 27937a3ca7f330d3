"""Right to erasure: a member's personal data is deleted or irreversibly pseudonymised.

What stays is what aggregated figures and other people's records need, without the person: question
rows and their timestamps (SLA report), tags and declaration states (statistics, the validator's
history), the decisions a validator gave (their actor row is pseudonymised). The member row itself
stays as "membre effacé #…" with a random platform id, so the person can come back as someone new.
Erasure is logged with the member row id only.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Declaration,
    FaqEntry,
    KeyValue,
    Member,
    Outbox,
    Post,
    Question,
    Review,
    Role,
    ScheduledStep,
    Space,
)
from bot.db.sos_models import Assignment
from bot.hooks import StepRun, on_step
from bot.privacy.erase_more import erase_more
from bot.privacy.export import export_files_of

log = logging.getLogger(__name__)

SCRUB_STEP = "privacy.scrub_outbox"
MIN_NAME = 3  # shorter names are not searched for in other people's texts (too many false hits)
MIN_FRAGMENT = 20  # the member's own sentences quoted elsewhere (reply quotes, notifications)
# A partial quote: this many consecutive words of one of their texts inside a quote ("> " lines, « »,
# “ ”, "…"), or RUN_ANYWHERE outside one (common phrases of three or four words are not theirs).
RUN_IN_QUOTE = 4
RUN_ANYWHERE = 8
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_QUOTED_SPAN = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"\n]*\"|^[ \t]*>.*$", re.MULTILINE)


def _words(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end): case and apostrophe forms do not matter, offsets are the text's."""
    return [(m.group().casefold().replace("’", "'"), m.start(), m.end()) for m in _WORD.finditer(text)]


class _Runs:
    """Runs of the person's words inside someone else's text (see RUN_IN_QUOTE, RUN_ANYWHERE)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.grams: set[tuple[str, ...]] = set()
        for text in texts:
            words = [w for w, _, _ in _words(text)]
            self.grams.update(tuple(words[i:i + RUN_IN_QUOTE]) for i in range(len(words) - RUN_IN_QUOTE + 1))

    def spans(self, text: str) -> list[tuple[int, int]]:
        words = _words(text)
        if not self.grams or len(words) < RUN_IN_QUOTE:
            return []
        quoted = [(m.start(), m.end()) for m in _QUOTED_SPAN.finditer(text)]
        found: list[tuple[int, int]] = []
        i = 0
        while i <= len(words) - RUN_IN_QUOTE:
            if tuple(w for w, _, _ in words[i:i + RUN_IN_QUOTE]) not in self.grams:
                i += 1
                continue
            j = i  # extend while the next window is theirs too
            while j + 1 <= len(words) - RUN_IN_QUOTE and \
                    tuple(w for w, _, _ in words[j + 1:j + 1 + RUN_IN_QUOTE]) in self.grams:
                j += 1
            start, end = words[i][1], words[j + RUN_IN_QUOTE - 1][2]
            length = j - i + RUN_IN_QUOTE
            in_quote = any(q0 <= start < q1 for q0, q1 in quoted)
            if length >= (RUN_IN_QUOTE if in_quote else RUN_ANYWHERE):
                found.append((start, end))
            i = j + RUN_IN_QUOTE
        return found

    def cut(self, text: str) -> str:
        for start, end in reversed(self.spans(text)):
            text = f"{text[:start]}[…]{text[end:]}"
        return text


@dataclass
class Erasure:
    member_id: int
    pseudonym: str
    config_spaces: list[str] = field(default_factory=list)  # spaces whose ticebot.toml still lists the person
    counts: dict[str, int] = field(default_factory=dict)


class _Scrubber:
    """Replaces the person's name and platform id in other people's texts; spots their own sentences."""

    def __init__(self, names: Iterable[str], ids: Iterable[str], fragments: Iterable[str], pseudonym: str) -> None:
        words = sorted({n for n in names if len(n) >= MIN_NAME} | {i for i in ids if len(i) >= MIN_NAME},
                       key=len, reverse=True)
        self.pattern = re.compile("|".join(rf"(?<!\w)@?{re.escape(w)}(?!\w)" for w in words), re.IGNORECASE) \
            if words else None
        self.fragments = sorted({f.strip() for f in fragments if len(f.strip()) >= MIN_FRAGMENT}, key=len,
                                reverse=True)
        self.runs = _Runs(self.fragments)
        self.pseudonym = pseudonym

    def hits(self, text: str | None) -> bool:
        if not text:
            return False
        return (bool(self.pattern and self.pattern.search(text)) or any(f in text for f in self.fragments)
                or bool(self.runs.spans(text)))

    def clean(self, text: str) -> str:
        for fragment in self.fragments:
            text = text.replace(fragment, "[…]")
        text = self.runs.cut(text)
        return self.pattern.sub(self.pseudonym, text) if self.pattern else text

    def clean_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.clean(value)
        if isinstance(value, list):
            return [self.clean_json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.clean_json(v) for k, v in value.items()}
        return value


def _concerns(payload: dict[str, Any], platform: str, ident: str) -> bool:
    people = [payload.get("user") or {}, *(payload.get("mentions") or [])]
    return any(p.get("platform") == platform and p.get("id") == ident for p in people if isinstance(p, dict))


async def _scrub_column(session: AsyncSession, column: Any, scrub: _Scrubber, skip: Any = None) -> int:
    """Clean one text column in every row where the person appears (scanned in Python: accents, case)."""
    model = column.class_
    query = select(model.id, column).where(column.is_not(None), column != "")
    if skip is not None:
        query = query.where(skip)
    changed = 0
    for row_id, text in (await session.execute(query)).all():
        if scrub.hits(text):
            await session.execute(update(model).where(model.id == row_id).values({column.key: scrub.clean(text)}))
            changed += 1
    return changed


async def erase_member(session: AsyncSession, member: Member, now: datetime) -> Erasure:
    """Erase one member in the caller's transaction. Idempotent on an already erased member."""
    if member.erased_at is not None and member.platform == "erased":
        return Erasure(member.id, member.display_name)
    platform, ident, name = member.platform, member.platform_user_id, member.display_name
    pseudonym = f"membre effacé #{secrets.token_hex(3)}"
    result = Erasure(member.id, pseudonym)
    counts = result.counts

    own_posts = (await session.execute(select(Post).where(Post.author_id == member.id))).scalars().all()
    own_decls = (await session.execute(
        select(Declaration).where(Declaration.member_id == member.id))).scalars().all()
    own_questions = (await session.execute(select(Question).where(Question.asker_id == member.id))).scalars().all()
    own_reviews = (await session.execute(select(Review).where(Review.actor_id == member.id))).scalars().all()
    fragments = [p.text for p in own_posts if p.text] + [p.title for p in own_posts if p.title]
    fragments += [d.trace_text for d in own_decls if d.trace_text] + [q.title for q in own_questions if q.title]
    fragments += [r.comment for r in own_reviews if r.comment]
    # Lines of long posts are quoted alone too; shorter cuts (an excerpt, a hand-made partial quote) are
    # found as runs of their words (_Runs).
    fragments += [line for text in list(fragments) for line in text.splitlines()]
    scrub = _Scrubber([name], [ident], fragments, pseudonym)

    # Private conversations: the DM channel id can carry the person's name (console) or link to them.
    channels = {p.platform_channel_id: f"efface-{secrets.token_hex(6)}" for p in own_posts if p.is_direct}
    channels.update({d.platform_channel_id: channels.get(d.platform_channel_id) or f"efface-{secrets.token_hex(6)}"
                     for d in own_decls if d.is_private})
    for old, new in channels.items():
        for model in (Post, Declaration, Question):
            await session.execute(update(model).where(model.platform_channel_id == old).values(platform_channel_id=new))

    for post in own_posts:
        post.text, post.title = None, ""
    for question in own_questions:
        question.title = ""  # the row, its status and timestamps stay: the SLA report is unchanged
    for decl in own_decls:
        decl.trace_text = None
    decl_ids = [d.id for d in own_decls]
    if decl_ids:
        await session.execute(update(Review).where(Review.declaration_id.in_(decl_ids)).values(comment=None))
    # Decisions they gave as a validator keep their state and date; their words go, the actor is the pseudonym.
    await session.execute(update(Review).where(Review.actor_id == member.id).values(comment=None))
    counts.update(posts=len(own_posts), questions=len(own_questions), declarations=len(own_decls),
                  reviews_given=len(own_reviews))

    # Pending steps about them (ladder for their questions, reminders for their declarations) stop.
    question_ids = [q.id for q in own_questions]
    for column, ids in ((ScheduledStep.question_id, question_ids), (ScheduledStep.declaration_id, decl_ids)):
        if ids:
            await session.execute(update(ScheduledStep).where(column.in_(ids), ScheduledStep.state == "pending")
                                  .values(state="cancelled"))
    counts["roles"] = (await session.execute(delete(Role).where(Role.member_id == member.id))).rowcount or 0
    await session.flush()

    # Their name and id in other people's texts (a "merci @alice", a quoted sentence) become the pseudonym.
    counts["others_texts"] = sum([
        await _scrub_column(session, Post.text, scrub, Post.author_id != member.id),
        await _scrub_column(session, Post.title, scrub, Post.author_id != member.id),
        await _scrub_column(session, Question.title, scrub),
        await _scrub_column(session, Declaration.trace_text, scrub),
        await _scrub_column(session, Review.comment, scrub),
        await _scrub_column(session, Assignment.reason, scrub, Assignment.member_id != member.id),
        # FAQ entries copy a question's first line and an answer's (then edited by a curator).
        await _scrub_column(session, FaqEntry.title, scrub),
        await _scrub_column(session, FaqEntry.summary, scrub),
    ])
    counts.update(await erase_more(session, member, [p.id for p in own_posts]))
    # Every instance's FAQ index was built from the texts just erased: rebuilt on its next search.
    from bot.faq.documents import bump_generation

    await bump_generation(session)

    # Outgoing messages: delivered ones naming or quoting them are deleted (the delivery is done, the
    # record is not needed); pending ones to them are dropped, pending ones to others are redacted.
    deleted = redacted = 0
    for row in (await session.execute(select(Outbox))).scalars().all():
        payload = row.payload or {}
        to_them = (payload.get("user") or {}).get("id") == ident and row.platform == platform
        text = " ".join(str(payload.get(k) or "") for k in ("text", "attachment_path"))
        if not (_concerns(payload, platform, ident) or scrub.hits(text)):
            continue
        if row.status in ("sent", "failed") or to_them:
            await session.delete(row)
            deleted += 1
        else:
            cleaned = scrub.clean_json(payload)
            cleaned["mentions"] = [m for m in payload.get("mentions") or []
                                   if not (m.get("platform") == platform and m.get("id") == ident)]
            row.payload, row.last_error = cleaned, None
            redacted += 1
    counts.update(outbox_deleted=deleted, outbox_redacted=redacted)

    # Adapter state naming them (Matrix DM rooms) and privacy bookkeeping keyed by their row id.
    kv_rows = (await session.execute(select(KeyValue))).scalars().all()
    suffix = f":{member.id}"
    for kv in kv_rows:
        if ident in kv.key or kv.value == ident or (kv.key.startswith("privacy.") and kv.key.endswith(suffix)):
            await session.delete(kv)

    # The space's stored configuration: the TOML file itself is the administrator's to edit.
    for raw in (ident, f"{platform}:{ident}"):
        for space in (await session.execute(select(Space))).scalars().all():
            settings = dict(space.settings or {})
            touched = False
            roles = {role: [p for p in people if p != raw] for role, people in (settings.get("roles") or {}).items()}
            if roles != (settings.get("roles") or {}):
                touched = True
            groups = {g: {k: [p for p in v if p != raw] for k, v in spec.items()}
                      for g, spec in (settings.get("groups") or {}).items()}
            if groups != (settings.get("groups") or {}):
                touched = True
            if touched:
                settings["roles"], settings["groups"] = roles, groups
                space.settings = settings
                if space.id not in result.config_spaces:
                    result.config_spaces.append(space.id)

    member.display_name = pseudonym
    member.platform_user_id = secrets.token_hex(16)
    member.language = None
    member.consent_public = member.declarations_public = member.digest_opt_in = False
    member.welcomed_at = None
    member.erased_at = now
    await session.flush()
    for path in export_files_of(member.id):
        path.unlink(missing_ok=True)
    log.info("privacy: member %d erased", member.id)
    if result.config_spaces:
        log.warning("privacy: erased member %d is still listed in the configuration of space(s) %s",
                    member.id, ", ".join(result.config_spaces))
    return result


def schedule_outbox_scrub(session: AsyncSession, space_id: str, outbox_id: int, due: datetime) -> None:
    """The farewell message carries the person's platform id until delivered: delete it once sent."""
    session.add(ScheduledStep(space_id=space_id, kind=SCRUB_STEP, due_at=due, note=str(outbox_id)))


@on_step(SCRUB_STEP)
async def scrub_outbox(run: StepRun) -> None:
    row = await run.session.get(Outbox, int(run.step.note or 0))
    if row is None:
        return
    if row.status in ("sent", "failed"):
        await run.session.delete(row)
        return
    schedule_outbox_scrub(run.session, run.step.space_id, row.id, run.now + timedelta(minutes=5))
