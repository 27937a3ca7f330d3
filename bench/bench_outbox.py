"""Cost of choosing what to deliver (bot/outbox_heads.py) with a large delivered history and a backlog.

    .venv/bin/python bench/bench_outbox.py [--sent 200000] [--pending 2000] [--conversations 200] [--no-postgres]

Inserts `--sent` delivered rows and `--pending` unsent rows spread over `--conversations` conversations
(every conversation's head waiting for a retry, so every other pending row is blocked behind it), then
times `due_heads` (one claim's query) and `earliest_head` (what the loop asks after each pass), as
medians and as ratios against a `SELECT 1` round trip in the same process, and prints the query plans.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.db.database import Database  # noqa: E402
from bot.db.models import Outbox  # noqa: E402
from bot.outbox_heads import due_heads, earliest_head  # noqa: E402

NOW = datetime(2026, 9, 7, 7, 0, tzinfo=UTC)
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432"


def row(i: int, status: str, conversation: str, due: datetime) -> dict[str, object]:
    return dict(id=i, platform="matrix", conversation=conversation, kind="send_direct", template="t",
                payload={}, status=status, attempts=1, created_at=NOW, next_attempt_at=due)


async def fill(db: Database, sent: int, pending: int, conversations: int) -> None:
    batch = 5000
    for start in range(0, sent, batch):
        async with db.transaction() as s:
            await s.execute(insert(Outbox), [row(i, "sent", f"matrix:thread:!r:hs:{i % 5000}", NOW)
                                             for i in range(start + 1, min(sent, start + batch) + 1)])
    async with db.transaction() as s:
        rows = []
        for n in range(pending):
            i = sent + 1 + n
            head = n < conversations  # the first row of each conversation waits for a retry in an hour
            rows.append(row(i, "pending", f"matrix:thread:!r:hs:c{n % conversations}",
                            NOW + timedelta(hours=1) if head else NOW))
        await s.execute(insert(Outbox), rows)


async def median(work, repeat: int = 20) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def one(label: str, url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    try:
        await db.create_schema()
        await fill(db, args.sent, args.pending, args.conversations)
        if db.is_postgres:
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE outbox"))

        async def base() -> None:
            async with db.transaction() as s:
                await s.execute(text("SELECT 1"))

        async def claim() -> None:
            async with db.transaction() as s:
                assert await due_heads(s, ["matrix"], NOW, 20, lock=db.is_postgres) == []  # all blocked

        async def earliest() -> None:
            async with db.transaction() as s:
                assert await earliest_head(s, ["matrix"]) == NOW + timedelta(hours=1)

        b, c, e = await median(base), await median(claim), await median(earliest)
        print(f"{label:9} sent {args.sent:>7} pending {args.pending:>6} in {args.conversations:>4} conversations: "
              f"SELECT 1 {b * 1000:.2f} ms · claim query {c * 1000:.2f} ms ({c / b:.1f}×) · "
              f"earliest head {e * 1000:.2f} ms ({e / b:.1f}×)")
        if args.plans:
            async with db.transaction() as s:
                from sqlalchemy.dialects import postgresql, sqlite  # noqa: F401

                query = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
                sql = ("SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.platform IN ('matrix') "
                       "AND o.next_attempt_at <= :now AND NOT EXISTS (SELECT 1 FROM outbox p WHERE "
                       "p.conversation = o.conversation AND p.status IN ('pending', 'sending') AND p.id < o.id) "
                       "ORDER BY o.next_attempt_at, o.id LIMIT 20")
                for line in (await s.execute(text(query + sql), {"now": NOW.replace(tzinfo=None)})).all():
                    print("   ", " ".join(str(x) for x in line))
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sent", type=int, default=200_000)
    parser.add_argument("--pending", type=int, default=2_000)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await one("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}", args)
    if not args.no_postgres:
        import asyncpg

        name = f"ticebot_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            await one("postgres", f"{PG}/{name}", args)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
