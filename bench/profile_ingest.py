"""Where an event's time goes: cProfile of bench_ingest's mix, per event kind, on SQLite (issue 17).

    .venv/bin/python bench/profile_ingest.py [KIND] [--events 400] [--database URL]

KIND is question, reply, general, reaction, command or all (default). The whole mix is handled (so
replies and reactions find their questions and posts), the profiler runs only around events of KIND.
Prints ms per event of each kind (with the profiler's overhead: compare kinds, not absolute figures),
SQL statements per event, the statements of KIND by frequency, the top functions by cumulative time
and self time grouped by package (where the waiting for the database's thread shows as
`put_nowait`/`poll`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from bench_ingest import MEMBERS, space  # noqa: E402
from ingest_mix import mixed_app  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.db.sql_capture import SqlCapture  # noqa: E402


def group_of(filename: str, name: str) -> str:
    for package in ("sqlalchemy", "aiosqlite", "asyncpg", "jinja2"):
        if f"/{package}/" in filename:
            rest = filename.split(f"/{package}/", 1)[1]
            return f"{package}/{rest.split('/')[0]}" if package == "sqlalchemy" else package
    if "/bot/" in filename:
        return "bot/" + filename.split("/bot/", 1)[1].split("/")[0]
    if "asyncio" in filename:
        return "asyncio"
    if filename == "~":
        return f"builtin {name}"
    return filename.rsplit("/", 1)[-1]


async def main(kind: str, events: int, url: str | None, cpu_only: bool = False, posts: int = 1000,
               dump: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, mix = await mixed_app(Settings(spaces=[space()]), url or f"sqlite+aiosqlite:///{tmp}/profile.db",
                                   MEMBERS, posts=posts)
        try:
            sql = SqlCapture(keep=True)
            times: dict[str, list[float]] = defaultdict(list)
            kept: list[str] = []
            profile = cProfile.Profile(time.thread_time) if cpu_only else cProfile.Profile()
            with sql.on(app.db.engine):
                for event_kind, event in mix.events(events):
                    on = kind in ("all", event_kind)
                    mark = len(sql.statements)
                    started = time.perf_counter()
                    if on:
                        profile.enable()
                    await app.submit(event)
                    if on:
                        profile.disable()
                        kept.extend(s.split("\n", 1)[0][:140] for s, _ in sql.statements[mark:])
                    times[event_kind].append(time.perf_counter() - started)
                    del sql.statements[mark:]
        finally:
            await app.close()
    for event_kind, spent in times.items():
        print(f"{event_kind:9} {len(spent):4} events  {1000 * sum(spent) / len(spent):6.2f} ms/event")
    profiled = sum(len(v) for k, v in times.items() if kind in ("all", k))
    print(f"\nSQL statements per {kind} event: {len(kept) / profiled:.2f}")
    for statement, n in Counter(kept).most_common(25):
        print(f"  {n / profiled:5.2f}  {statement}")
    if dump:
        profile.dump_stats(dump)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(r"/bot/", 30)
    print(out.getvalue())
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, name), (_cc, _nc, tt, _ct, _callers) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        groups[group_of(filename, name)] += tt
    total = sum(groups.values())
    print(f"self time by package ({total:.2f} s profiled)")
    for group, spent in sorted(groups.items(), key=lambda item: -item[1])[:20]:
        print(f"  {spent:7.3f} s  {100 * spent / total:5.1f} %  {group}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", nargs="?", default="all",
                        choices=["all", "question", "reply", "general", "reaction", "command"])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--posts", type=int, default=1000,
                        help="old posts stored first (10 %% of them resolved questions)")
    parser.add_argument("--database", default=None, help="a database URL (default: a fresh SQLite file)")
    parser.add_argument("--cpu", action="store_true", help="profile the event loop thread's CPU time, not wall time")
    parser.add_argument("--dump", default=None, help="also write the profile to this file (for pstats)")
    args = parser.parse_args()
    asyncio.run(main(args.kind, args.events, args.database, args.cpu, args.posts, args.dump))
