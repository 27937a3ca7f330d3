"""The event loop thread's CPU per event kind (SQLite by default), without a profiler (issue 17).

    .venv/bin/python bench/ingest_cpu.py [--events 2000] [--posts 1000] [--root CHECKOUT] [--database URL]

The mix of `bench/bench_ingest.py` (questions, replies, general posts, reactions, commands) after `--posts`
stored posts (1,000; 100,000 shows what grows with the data) and a warm-up of 300 events, each event's
`time.thread_time` around `TicebotApp.submit`.
CPU time, not wall time: the figure does not count waiting for SQLite's thread. It is the measure for
comparing two versions of the code on a machine whose speed drifts: run two checkouts side by side, at
the same moment, each with its own venv (`--root` names the checkout whose `bot` is imported), and
compare the pairs, e.g.

    (cd ../old && .venv/bin/python ../ticebot/bench/ingest_cpu.py --root .) &
    .venv/bin/python bench/ingest_cpu.py; wait
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


async def main(events: int, url: str | None, posts: int) -> None:
    from bench_ingest import MEMBERS, space
    from ingest_mix import mixed_app

    from bot.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        app, mix = await mixed_app(Settings(spaces=[space()]), url or f"sqlite+aiosqlite:///{tmp}/cpu.db", MEMBERS,
                                   posts=posts, warm_up=300)
        try:
            spent: dict[str, float] = defaultdict(float)
            count: dict[str, int] = defaultdict(int)
            total, wall = time.thread_time(), time.perf_counter()
            for kind, event in mix.events(events):
                started = time.thread_time()
                await app.submit(event)
                spent[kind] += time.thread_time() - started
                count[kind] += 1
            total, wall = time.thread_time() - total, time.perf_counter() - wall
        finally:
            await app.close()
    kinds = "  ".join(f"{kind} {1000 * spent[kind] / count[kind]:.2f}" for kind in sorted(spent))
    print(f"loop-thread CPU ms per event: all {1000 * total / events:.2f}  {kinds}   "
          f"(wall {1000 * wall / events:.2f} ms per event)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=1000, help="posts stored before the mix (default 1,000)")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]),
                        help="the checkout whose bot/ and bench/ are imported (default: this one)")
    parser.add_argument("--database", default=None,
                        help="a database URL, e.g. a fresh PostgreSQL database (default: a new SQLite file)")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    sys.path[:0] = [str(root), str(root / "bench")]
    asyncio.run(main(args.events, args.database, args.posts))
