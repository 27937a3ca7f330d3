"""Ingest through the real core against the database's own floor, on SQLite and PostgreSQL (issue 17).

    .venv/bin/python bench/bench_ingest.py [--small | --full] [--no-postgres | --no-sqlite] [--repeat 3]

For each database (SQLite file in WAL with synchronous=NORMAL, as `bot/db/database.py` sets it; a fresh
PostgreSQL database), in one process:

* floor: one INSERT + COMMIT per row on the same engine, pool and settings (rows/s);
* ingest: the mix of `bench/ingest_mix.py` (SOS questions, replies, general posts, reactions, commands)
  handed one by one to `TicebotApp.submit` → `Core.handle`, the bot's real path, all capabilities wired:
  events/s and its ratio to the floor measured right before it (goal ≥ 25 %);
* the same after 10× more posts in the database (goal: no drop with data);
* SQL statements per event kind (a `before_cursor_execute` listener, BEGIN/COMMIT included), and the
  median CPU time of this process per event of each kind (where a cut of CPU lands);
* this process's CPU time per event and per floor row (steadier than rates on a loaded machine);
* backlog: a burst of events handed to `submit` back to back, as the catch-up after downtime does
  (goal: 10,000 in < 60 s; `--small` runs 1,000 and extrapolates from its slower half, saying so;
  `--full` measures 10,000).

Each floor/ingest pair is run `--repeat` times and the median is printed; within a run the floor and
the ingest alternate in ten slices, so a load spike from another process hits both alike.

Sizes: `--small` (default, a few seconds): N=1,000 posts then 10,000, windows of
200 events, backlog 1,000; `--full`: N=10,000 then 100,000, windows of 1,000, backlog 10,000.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform as pyplatform
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from ingest_mix import GENERAL, NOW, SOS, TRAINERS, Mix, prefill, settle_statistics  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.app import TicebotApp  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import Settings, SpaceConfig  # noqa: E402
from bot.db.sql_capture import SqlCapture  # noqa: E402
from bot.faq.index import faq_indexes_of, prepare_faq_indexes  # noqa: E402

MEMBERS = 300
SIZES = {"tiny": dict(n=100, window=40, backlog=100),  # CI smoke test only: the figures mean nothing
         "small": dict(n=1_000, window=200, backlog=1_000), "full": dict(n=10_000, window=1_000, backlog=10_000)}


def machine() -> str:
    cpu = pyplatform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}, load {os.getloadavg()[0]:.2f}, Python {pyplatform.python_version()}"


def space() -> SpaceConfig:
    roles = {"trainer": ["console:u0", "console:u1", "console:u2"], "coordinator": ["console:u3"]}
    return SpaceConfig(id="demo", referential="c2i2e", roles=roles)


async def floor(app: TicebotApp, rows: int) -> float:
    """Rows/s of one INSERT + COMMIT per transaction, through the bot's own engine and sessions."""
    db = app.db
    started = time.perf_counter()
    for i in range(rows):
        async with db.transaction() as s:
            await s.execute(text("INSERT INTO bench_floor (payload) VALUES (:p)"), {"p": f"row {i}"})
    return rows / (time.perf_counter() - started)


async def ingest(app: TicebotApp, mix: Mix, events: int, sql: SqlCapture,
                 per_kind: dict[str, list[int]], cpu_kind: dict[str, list[float]] | None = None) -> float:
    started = time.perf_counter()
    for kind, event in mix.events(events):
        before, cpu = sql.count, time.process_time()
        await app.submit(event)
        per_kind[kind].append(sql.count - before)
        if cpu_kind is not None:
            cpu_kind[kind].append(time.process_time() - cpu)
    return events / (time.perf_counter() - started)


SLICES = 10  # floor and ingest alternate in slices of a window: a load spike from elsewhere hits both alike


async def measure(app: TicebotApp, mix: Mix, window: int, repeat: int, sql: SqlCapture,
                  per_kind: dict[str, list[int]], cpu_kind: dict[str, list[float]]) -> dict[str, float]:
    """Medians over `repeat` runs of: rates, their ratio, and this process's CPU time (all its threads,
    the SQLite thread included) per floor row and per event — CPU does not count the time spent waiting
    for a core, so it moves much less than wall rates when other processes load the machine."""
    floors, rates, ratios, floor_cpu, ingest_cpu = [], [], [], [], []
    part = max(1, window // SLICES)
    for _ in range(repeat):
        floor_s = ingest_s = floor_c = ingest_c = 0.0
        for _slice in range(SLICES):
            cpu = time.process_time()
            floor_s += part / await floor(app, part)
            floor_c += time.process_time() - cpu
            cpu = time.process_time()
            ingest_s += part / await ingest(app, mix, part, sql, per_kind, cpu_kind)
            ingest_c += time.process_time() - cpu
        f, r = part * SLICES / floor_s, part * SLICES / ingest_s
        floors.append(f)
        rates.append(r)
        ratios.append(r / f)
        floor_cpu.append(floor_c / (part * SLICES))
        ingest_cpu.append(ingest_c / (part * SLICES))
    return {"floor": statistics.median(floors), "rate": statistics.median(rates), "ratio": statistics.median(ratios),
            "floor_cpu": statistics.median(floor_cpu), "ingest_cpu": statistics.median(ingest_cpu)}


async def faq_startup(app: TicebotApp) -> tuple[int, float]:
    """What `ticebot run` does before any event with this history stored: the FAQ capability's start-up
    hook fits each space's index (`prepare_faq_indexes`, in the build executor). The prefill wrote the
    old resolved threads behind the bot's back, as a bot stopped during that history would find them;
    without this the first event of the measured window rebuilt the index. (resolved threads, seconds)"""
    started = time.perf_counter()
    await prepare_faq_indexes(app.core)
    indexes = faq_indexes_of(app.core)
    await indexes.settled()
    return sum(len(i.docs) for i in indexes.current.values()), time.perf_counter() - started


async def backlog(app: TicebotApp, mix: Mix, events: int, sql: SqlCapture) -> tuple[float, float, float]:
    """Seconds for the whole burst, and for its first and second halves (a slowdown shows as the second
    half being slower: the extrapolation to 10,000 then uses the slower half, not the mean)."""
    started = time.perf_counter()
    await ingest(app, mix, events // 2, sql, defaultdict(list))
    half = time.perf_counter()
    await ingest(app, mix, events - events // 2, sql, defaultdict(list))
    ended = time.perf_counter()
    return ended - started, half - started, ended - half


async def run(url: str, size: dict[str, int], repeat: int) -> dict[str, Any]:
    app = await TicebotApp.create(Settings(spaces=[space()]), clock=FakeClock(NOW), database_url=url)
    try:
        for channel, kind in ((SOS, "sos"), (GENERAL, "general"), (TRAINERS, "trainers")):
            await app.core.register_channel("demo", channel, kind, channel.id)
        async with app.db.transaction() as s:
            await s.execute(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, payload TEXT)"
                                 if app.db.is_sqlite else
                                 "CREATE TABLE bench_floor (id SERIAL PRIMARY KEY, payload TEXT)"))
        mix = Mix(MEMBERS)
        sql = SqlCapture()
        per_kind: dict[str, list[int]] = defaultdict(list)
        cpu_kind: dict[str, list[float]] = defaultdict(list)  # this process's CPU per event, by kind
        with sql.on(app.db.engine):
            await prefill(app.db, size["n"], MEMBERS)
            await settle_statistics(app.db)
            builds = [await faq_startup(app)]
            await ingest(app, mix, size["window"], sql, defaultdict(list))  # warm-up: caches, first contacts
            at_n = await measure(app, mix, size["window"], repeat, sql, per_kind, cpu_kind)
            await prefill(app.db, 10 * size["n"], MEMBERS)
            await settle_statistics(app.db)
            builds.append(await faq_startup(app))
            at_10n = await measure(app, mix, size["window"], repeat, sql, per_kind, cpu_kind)
            total, first, second = await backlog(app, mix, size["backlog"], sql)
        statements = {k: statistics.mean(v) for k, v in sorted(per_kind.items())}
        cpu = {k: statistics.median(v) for k, v in sorted(cpu_kind.items())}
        return {"at_n": at_n, "at_10n": at_10n, "statements": statements, "cpu_kind": cpu, "backlog_s": total,
                "backlog_halves": (first, second), "faq_builds": builds}
    finally:
        await app.close()


async def on_postgres(pg: str, size: dict[str, int], repeat: int) -> dict[str, Any]:
    import asyncpg

    name = f"ticebot_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"postgresql://{pg}/test")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return await run(f"postgresql+asyncpg://{pg}/{name}", size, repeat)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def report(backend: str, size: dict[str, int], r: dict[str, Any]) -> None:
    n = size["n"]
    for label, m in ((f"{n:,} posts", r["at_n"]), (f"{10 * n:,} posts", r["at_10n"])):
        print(f"{backend:9} {label:>14}  floor {m['floor']:7.0f} rows/s   ingest {m['rate']:6.0f} events/s   "
              f"{100 * m['ratio']:5.1f} % of floor   (goal ≥ 25 %)   CPU {1000 * m['ingest_cpu']:.2f} ms/event, "
              f"floor {1000 * m['floor_cpu']:.2f} ms/row")
    for (docs, seconds), label in zip(r["faq_builds"], (f"{n:,}", f"{10 * n:,}"), strict=True):
        print(f"{backend:9} FAQ index at start-up with {label} posts stored: {docs:,} resolved threads, "
              f"{seconds:.1f} s (before the events, as `ticebot run` does; not in the figures)")
    drop = r["at_10n"]["rate"] / r["at_n"]["rate"]
    print(f"{backend:9} growth: ingest at {10 * n:,} posts = {drop:.2f}× ingest at {n:,} posts (goal ≈ 1)")
    per = "  ".join(f"{k} {v:.1f}" for k, v in r["statements"].items())
    print(f"{backend:9} SQL statements per event: {per}")
    cpu = "  ".join(f"{k} {1000 * v:.2f}" for k, v in r["cpu_kind"].items())
    print(f"{backend:9} CPU ms per event (median, this process): {cpu}")
    b = size["backlog"]
    first, second = r["backlog_halves"]
    halves = f"halves {first:.1f} s / {second:.1f} s"
    if b == 10_000:
        print(f"{backend:9} backlog: 10,000 events in {r['backlog_s']:.1f} s ({b / r['backlog_s']:.0f} events/s, "
              f"{halves}), goal < 60 s", flush=True)
    else:  # a linear extrapolation from the slower half; --full measures 10,000 for real
        projected = max(first, second) * 10_000 / (b / 2)
        print(f"{backend:9} backlog: {b:,} events in {r['backlog_s']:.1f} s ({b / r['backlog_s']:.0f} events/s, "
              f"{halves}); 10,000 extrapolated from the slower half ≈ {projected:.0f} s "
              f"(not measured: --full does), goal < 60 s", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--small", action="store_true", help="CI size, a few seconds (default)")
    group.add_argument("--full", action="store_true", help="100,000 posts and a 10,000-event backlog")
    group.add_argument("--tiny", action="store_true", help="a smoke run for the test suite (meaningless figures)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--pg", default="postgres@127.0.0.1:5432")
    args = parser.parse_args()
    size = SIZES["full" if args.full else "tiny" if args.tiny else "small"]
    print(f"machine: {machine()}")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            report("sqlite", size, await run(f"sqlite+aiosqlite:///{Path(tmp) / 'ingest.db'}", size, args.repeat))
    if not args.no_postgres:
        report("postgres", size, await on_postgres(args.pg, size, args.repeat))


if __name__ == "__main__":
    asyncio.run(main())
