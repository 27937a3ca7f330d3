"""The traffic bench_ingest feeds through Core.handle: a seeded mix of what a community writes.

Per 20 events: 2 new SOS questions, 6 replies in recent question threads, 8 general posts, 2 reactions
(✅ by the asker on a reply, 👍 on a general post) and 2 commands (/portfolio, /aide), from a pool of
members who mostly already wrote (a steady state, not a launch day). Texts are recombined sentences of
the tagging development set, so tagging sees realistic lengths and vocabulary.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func as sqlfunc
from sqlalchemy import insert, select, text

from bot.db.database import Database
from bot.db.models import Member, Post, ProcessedEvent, Question, Role, ScheduledStep, Tag
from bot.events import CommandInvoked, CoreEvent, PostCreated, ReactionAdded
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging_dev.jsonl"
SOS = ChannelRef("console", "sos")
GENERAL = ChannelRef("console", "general")
TRAINERS = ChannelRef("console", "formateurs")
PATTERN = ["question", "reply", "general", "reply", "general", "reply", "general", "reaction", "general",
           "command", "question", "reply", "general", "reply", "general", "reply", "general", "reaction",
           "general", "command"]
NOW = datetime(2026, 9, 7, 7, 0, tzinfo=UTC)


def synth_texts(n: int, seed: int = 0) -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences = [s for r in rows for s in re.split(r"(?<=[.!?])\s+", r["text"]) if s]
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, rng.randint(1, 4))) for _ in range(n)]


def user(i: int) -> UserRef:
    return UserRef("console", f"u{i}", f"Membre {i}")


class Mix:
    """Generates events; `prefix` keeps ids unique across the windows of one run."""

    def __init__(self, members: int = 300, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.texts = synth_texts(500, seed)
        self.members = members
        self.questions: list[tuple[str, int]] = []  # (root message id, asker)
        self.replies: list[tuple[str, str, int]] = []  # (reply id, root id, asker)
        self.generals: list[str] = []
        self.seq = 0

    def _id(self, kind: str) -> str:
        self.seq += 1
        return f"{kind}{self.seq}"

    def events(self, n: int) -> Iterator[tuple[str, CoreEvent]]:
        for i in range(n):
            kind = PATTERN[i % len(PATTERN)]
            if kind in ("reply", "reaction") and not self.questions:
                kind = "question"
            yield kind, self.make(kind)

    def make(self, kind: str) -> CoreEvent:
        rng, text = self.rng, self.rng.choice(self.texts)
        who = rng.randrange(self.members)
        eid = self._id("e")
        if kind == "question":
            mid = self._id("q")
            self.questions = (self.questions + [(mid, who)])[-50:]
            return PostCreated(eid, user(who), SOS, MessageRef(SOS, mid), text.rstrip(".") + " ?",
                               title=text[:60])
        if kind == "reply":
            root, asker = rng.choice(self.questions)
            mid = self._id("r")
            replier = (asker + 1 + rng.randrange(self.members - 1)) % self.members
            self.replies = (self.replies + [(mid, root, asker)])[-50:]
            return PostCreated(eid, user(replier), SOS, MessageRef(SOS, mid), text, thread=ThreadRef(SOS, root))
        if kind == "general":
            mid = self._id("g")
            self.generals = (self.generals + [mid])[-50:]
            return PostCreated(eid, user(who), GENERAL, MessageRef(GENERAL, mid), text)
        if kind == "reaction":
            if self.replies and rng.random() < 0.5:
                mid, _root, asker = rng.choice(self.replies)
                return ReactionAdded(eid, user(asker), MessageRef(SOS, mid), "✅")
            if self.generals:
                return ReactionAdded(eid, user(who), MessageRef(GENERAL, rng.choice(self.generals)), "👍")
            return self.make("general")
        if kind == "command":
            name = "portfolio" if rng.random() < 0.5 else "aide"
            return CommandInvoked(eid, user(who), GENERAL, name)
        raise ValueError(kind)


async def settle_statistics(db: Database) -> None:
    """PostgreSQL: `VACUUM ANALYZE`, what autovacuum does within a minute or so of a bulk load like the
    prefill's. In the bot's life 100,000 posts take months and autovacuum keeps the planner's statistics
    current; measured right after the prefill (stale statistics, or hint bits and visibility map not yet
    set on the new rows; which one mattered was not isolated), ingest at
    100,000 posts ran 0.86× its rate at 10,000 (0.99× after this, same code, same minutes). SQLite keeps no
    statistics unless asked (`ANALYZE`), and the bot never asks: nothing to do there."""
    if db.is_sqlite:
        return
    async with db.engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM refuses a transaction
        await autocommit.execute(text("VACUUM ANALYZE"))


async def prefill(db: Database, total_posts: int, members: int, space: str = "demo", batch: int = 5000) -> None:
    """Bulk rows up to `total_posts` posts, shaped like months of traffic: one question in ten with
    its ladder steps (done), two tags per post, one processed event per post. Inserted directly (the
    bench measures ingest with that history present, not the time to build it)."""
    async with db.transaction() as s:
        have = await s.scalar(select(sqlfunc.count()).select_from(Post)) or 0
        ids = dict((await s.execute(select(Member.platform_user_id, Member.id))).all())
        missing = [i for i in range(members) if f"u{i}" not in ids]
        if missing:  # regulars: already welcomed, with their member role (steady state, not launch day)
            await s.execute(insert(Member), [dict(platform="console", platform_user_id=f"u{i}",
                                                  display_name=f"Membre {i}", welcomed_at=NOW - timedelta(days=90),
                                                  created_at=NOW - timedelta(days=90)) for i in missing])
            ids = dict((await s.execute(select(Member.platform_user_id, Member.id))).all())
            await s.execute(insert(Role), [
                dict(space_id=space, member_id=ids[f"u{i}"], role="member") for i in missing])
        top = await s.scalar(select(sqlfunc.max(Post.id))) or 0
    authors = [ids[f"u{i}"] for i in range(members)]
    old = NOW - timedelta(days=60)
    for start in range(have, total_posts, batch):
        rows = range(start, min(total_posts, start + batch))
        posts: list[dict[str, Any]] = []
        questions: list[dict[str, Any]] = []
        for n in rows:
            pid = top + 1 + n - have
            sos = n % 10 == 0
            channel = "sos" if sos else "general"
            posts.append(dict(id=pid, space_id=space, platform="console", platform_channel_id=channel,
                              platform_post_id=f"old{pid}", thread_root_id=f"old{pid}",
                              author_id=authors[n % members], text="Ancien message archivé.",
                              kind="question" if sos else "post", created_at=old))
            if sos:
                questions.append(dict(id=pid, space_id=space, post_id=pid, asker_id=authors[n % members],
                                      platform="console", platform_channel_id="sos", thread_root_id=f"old{pid}",
                                      status="resolved", created_at=old, clock_started_at=old,
                                      deadline_at=old + timedelta(days=4), resolved_at=old))
        async with db.transaction() as s:
            await s.execute(insert(Post), posts)
            if questions:
                await s.execute(insert(Question), questions)
                await s.execute(insert(ScheduledStep), [
                    dict(space_id=space, kind=f"sos.{k}", question_id=q["id"], due_at=old + timedelta(days=d),
                         state="cancelled") for q in questions for k, d in (("nudge", 1), ("breach", 4))])
            await s.execute(insert(Tag), [
                dict(post_id=p["id"], space_id=space, referential_id="c2i2e", code=code, score=0.5,
                     source="model", created_at=old) for p in posts for code in ("D1.1", "D3.2")])
            await s.execute(insert(ProcessedEvent), [
                dict(platform="console", event_id=f"old{p['id']}", processed_at=old) for p in posts])
    if db.is_postgres:  # explicit ids do not move PostgreSQL's sequences: the bot's next rows would collide
        async with db.transaction() as s:
            for table in ("posts", "questions"):
                await s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))


async def mixed_app(settings: Any, database_url: str, members: int, posts: int = 1000,
                    warm_up: int = 200) -> tuple[Any, Mix]:
    """A `TicebotApp` with the three channels of the mix, `posts` stored posts and `warm_up` events of the mix
    handled (caches, first contacts, the FAQ index); the mix goes on from there. The caller closes the app."""
    from bot.app import TicebotApp
    from bot.clock import FakeClock

    app = await TicebotApp.create(settings, clock=FakeClock(NOW), database_url=database_url)
    try:
        for channel, kind in ((SOS, "sos"), (GENERAL, "general"), (TRAINERS, "trainers")):
            await app.core.register_channel("demo", channel, kind, channel.id)
        await prefill(app.db, posts, members)
        await settle_statistics(app.db)
        mix = Mix(members)
        for _kind, event in mix.events(warm_up):
            await app.submit(event)
    except BaseException:
        await app.close()
        raise
    return app, mix
