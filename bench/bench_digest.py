"""Personal digests at scale: every opted-in member of one space, one year of activity, one run.

    .venv/bin/python bench/bench_digest.py [--members 16000] [--posts 500000] [--database URL]

Seeds a fresh SQLite file (or the given database) with batched inserts, then times
`personal_digests` (a handful of grouped queries for the whole space) plus rendering every DM
template. Figures are printed as ratios against a baseline measured in the same process: a plain
`SELECT count(*) FROM posts` scan. Peak memory is measured with tracemalloc in a second, separate run
(tracemalloc slows Python down, so it does not touch the timing) and with the process's max RSS.
Targets: < 60 s and < 300 MB for 16,000 members and ~500,000 posts.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.db.database import Database
from bot.db.models import Declaration, Member, Post, Question, Role, Space, Tag
from bot.digest.periods import local_days, week_ending
from bot.digest.personal import personal_digests
from bot.referential.loader import load_all
from bot.templates import render

SPACE = "bench"
BATCH = 10_000
STATES = ("declared", "in_review", "needs_info", "validated", "validated", "not_validated")


async def _bulk(db: Database, table: type, rows: list[dict[str, object]]) -> None:
    for i in range(0, len(rows), BATCH):
        async with db.transaction() as session:
            await session.execute(insert(table), rows[i:i + BATCH])


async def seed(db: Database, members: int, posts: int, end: datetime, seed_value: int = 1) -> dict[str, int]:
    rng = random.Random(seed_value)
    ref = load_all()["c2i2e"]
    codes = [c.code for c in ref.competences()]
    start = end - timedelta(days=365)
    async with db.transaction() as session:
        session.add(Space(id=SPACE, referential_id="c2i2e", language="fr", settings={"id": SPACE}))
    await _bulk(db, Member, [{"id": i, "platform": "console", "platform_user_id": f"m{i}",
                              "display_name": f"Membre {i}", "digest_opt_in": True, "consent_public": False,
                              "declarations_public": False, "created_at": start} for i in range(1, members + 1)])
    await _bulk(db, Role, [{"space_id": SPACE, "member_id": i, "role": "member", "group": "", "source": "config"}
                           for i in range(1, members + 1)])
    span = int((end - start).total_seconds())
    post_rows, tag_rows, question_rows = [], [], []
    for pid in range(1, posts + 1):
        author = rng.randint(1, members)
        created = start + timedelta(seconds=rng.randrange(span))
        root = pid if rng.random() < 0.3 else rng.randint(max(1, pid - 500), pid)
        post_rows.append({"id": pid, "space_id": SPACE, "platform": "console", "platform_channel_id": "sos",
                          "platform_post_id": str(pid), "thread_root_id": str(root), "author_id": author,
                          "text": f"message {pid} https://exemple.org/{pid}" if pid % 7 == 0 else f"message {pid}",
                          "title": "", "is_direct": False, "kind": "post", "created_at": created})
        for code in rng.sample(codes, rng.choice((0, 0, 1, 1, 2))):
            tag_rows.append({"post_id": pid, "space_id": SPACE, "referential_id": "c2i2e",
                             "referential_version": "1.0", "code": code, "score": 0.5, "source": "model",
                             "removed": False, "created_at": created})
        if root == pid and rng.random() < 0.05:
            answered = rng.random() < 0.9
            question_rows.append({"space_id": SPACE, "post_id": pid, "asker_id": author, "platform": "console",
                                  "platform_channel_id": "sos", "thread_root_id": str(pid), "title": "",
                                  "status": "answered" if answered else "open", "created_at": created,
                                  "clock_started_at": created, "deadline_at": created + timedelta(days=4),
                                  "first_response_at": created + timedelta(hours=20) if answered else None,
                                  "answered_at": created + timedelta(hours=20) if answered else None})
    await _bulk(db, Post, post_rows)
    await _bulk(db, Tag, tag_rows)
    await _bulk(db, Question, question_rows)
    decl_rows = []
    for member in range(1, members + 1):
        for code in rng.sample(codes, rng.randint(0, 6)):
            when = start + timedelta(seconds=rng.randrange(span))
            decl_rows.append({"space_id": SPACE, "member_id": member, "referential_id": "c2i2e",
                              "referential_version": "1.0", "code": code, "label": code, "trace_text": "trace",
                              "platform": "console", "platform_channel_id": "general", "thread_root_id": "x",
                              "is_private": False, "state": rng.choice(STATES), "version": 1,
                              "created_at": when, "updated_at": when})
    await _bulk(db, Declaration, decl_rows)
    return {"members": members, "posts": len(post_rows), "tags": len(tag_rows), "questions": len(question_rows),
            "declarations": len(decl_rows)}


async def baseline(db: Database) -> float:
    started = time.perf_counter()
    async with db.transaction() as session:
        await session.scalar(select(func.count()).select_from(Post))
    return time.perf_counter() - started


async def build_all(db: Database, end: datetime) -> int:
    """What the weekly step does for the whole space: the data, then every DM rendered."""
    ref = load_all()["c2i2e"]
    start, stop = week_ending(end)
    days = local_days(start, stop)
    async with db.transaction() as session:
        digests = await personal_digests(session, ref, SPACE, stop)
    size = 0
    for digest in digests.values():
        size += len(render("fr", "digest/personal", **days, **digest.values()).text)
    return len(digests) if size else 0


async def main(members: int, posts: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="ticebot-bench-") as tmp:
        db = Database(url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.create_schema()
        end = datetime(2026, 9, 21, 6, 0, tzinfo=UTC)
        t0 = time.perf_counter()
        counts = await seed(db, members, posts, end)
        seeding = time.perf_counter() - t0
        await baseline(db)  # warm the page cache, as the digest run will find it
        base = min([await baseline(db) for _ in range(3)])
        t0 = time.perf_counter()
        built = await build_all(db, end)
        elapsed = time.perf_counter() - t0
        tracemalloc.start()
        await build_all(db, end)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await db.dispose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = sum(counts.values()) - counts["members"]
    print(f"données : {counts} (insertion {seeding:.1f} s, {rows / seeding:,.0f} lignes/s)")
    print(f"référence SELECT count(*) FROM posts : {base * 1000:.1f} ms")
    print(f"résumés personnels : {built} en {elapsed:.2f} s = {elapsed / base:,.0f} × la référence "
          f"({elapsed / max(built, 1) * 1e6:.0f} µs par membre) — cible < 60 s")
    print(f"mémoire : pic tracemalloc {peak / 2**20:.0f} Mo pendant le calcul — cible < 300 Mo ; "
          f"RSS max du processus (insertion comprise) {rss_mb:.0f} Mo")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=16_000)
    parser.add_argument("--posts", type=int, default=500_000)
    parser.add_argument("--database", default=None, help="URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    asyncio.run(main(args.members, args.posts, args.database))
