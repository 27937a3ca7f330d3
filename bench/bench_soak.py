"""The soak (tests/soak/soak_world.py) at a larger size, on SQLite and PostgreSQL, with its figures.

    .venv/bin/python bench/bench_soak.py [--weeks 8] [--no-postgres]

Prints, per backend: simulated weeks, events handed over, outbox rows, loop passes, wall time, and the
time per event and per row as ratios against a `SELECT 1` round trip measured in the same process. It
also runs the checks of tests/soak/test_soak.py on the result and exits 1 if one fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "soak")]

from soak_world import run_soak  # noqa: E402

from bot.db.database import Database  # noqa: E402

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def select_one(url: str) -> float:
    db = Database(url)
    try:
        times = []
        for _ in range(50):
            t0 = time.perf_counter()
            async with db.transaction() as session:
                await session.execute(text("SELECT 1"))
            times.append(time.perf_counter() - t0)
        return statistics.median(times)
    finally:
        await db.dispose()


def checks(result) -> list[str]:  # type: ignore[no-untyped-def]
    import test_soak as t

    problems = []
    for name in dir(t):
        if name.startswith("test_"):
            try:
                getattr(t, name)(result)
            except AssertionError as exc:
                problems.append(f"{name}: {exc}")
    return problems


async def one(label: str, url: str, weeks: int) -> bool:
    base = await select_one(url)
    result = await run_soak(url, weeks)
    statuses = Counter(r.status for r in result.outbox)
    per_event = result.wall_seconds / max(1, result.events)
    print(f"{label:9} {weeks:>5} wk {result.events:>7} events {len(result.outbox):>7} rows {result.passes:>7} passes "
          f"{result.wall_seconds:>7.1f} s  {per_event * 1000:>6.1f} ms/event ({per_event / base:>6.0f}× SELECT 1 "
          f"= {base * 1000:.2f} ms)  sent {statuses['sent']} failed {statuses['failed']}")
    problems = checks(result)
    for problem in problems:
        print(f"  FAILED {problem}")
    return not problems


async def main() -> int:
    import logging

    logging.basicConfig(level=logging.CRITICAL)  # the soak's faults log errors on purpose
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    ok = True
    data = tempfile.TemporaryDirectory(prefix="ticebot-soak-data-")
    os.environ["TICEBOT_DATA_DIR"] = data.name  # the digests' charts, not in the current folder
    with tempfile.TemporaryDirectory() as tmp:
        ok &= await one("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'soak.db'}", args.weeks)
    if not args.no_postgres:
        import asyncpg

        name = f"ticebot_soak_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(f"{PG.replace('+asyncpg', '')}/test")
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            ok &= await one("postgres", f"{PG}/{name}", args.weeks)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
