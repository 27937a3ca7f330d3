"""Where a new SOS question's CPU goes, part by part, without a profiler's overhead (issue 17).

    .venv/bin/python bench/question_cpu.py [--events 2000] [--posts 1000] [--database URL]

bench_ingest's mix on a fresh SQLite file (`--posts`, 1,000, stored first), 200 events of warm-up; then the
event loop thread's CPU (time.thread_time) of every question event and of the steps it runs, mean
and median per question. A step a question does not run counts 0 for it: the mean shows what the
occasional paths (questions resolved since the last search: `resolved_since_counted`, `appended`)
cost on average, which bench_ingest's median hides. Steps nest (`suggest` holds `index_for`, …).
Compare runs of two checkouts made in the same minutes, not absolute figures; TICEBOT_ROOT runs a copy
of this file against another checkout (`TICEBOT_ROOT=/work/main /work/main/.venv/bin/python /tmp/question_cpu.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("TICEBOT_ROOT") or Path(__file__).resolve().parents[1])
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from bench_ingest import MEMBERS, space  # noqa: E402
from ingest_mix import mixed_app  # noqa: E402

import bot.core as core  # noqa: E402
import bot.faq.index as faq_index  # noqa: E402
import bot.faq.suggest as suggest  # noqa: E402
import bot.outbound as outbound  # noqa: E402
import bot.sos.questions as questions  # noqa: E402
import bot.tagging.service as tagging  # noqa: E402
from bot.config import Settings  # noqa: E402

spent: dict[str, float] = defaultdict(float)  # this event's CPU per step


def _timed_async(owner: Any, name: str, label: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return await original(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started

    setattr(owner, name, timed)


def _timed(owner: Any, name: str, label: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started

    setattr(owner, name, timed)


def instrument() -> None:
    for owner, name in ((core.Core, "_context"), (core.Core, "_store_post"), (core.Core, "_run_observers"),
                        (questions, "open_question"), (suggest, "suggest_on_arrival"), (suggest, "index_for"),
                        (suggest, "describe"), (faq_index, "version"), (faq_index, "_resolved_since_counted"),
                        (tagging, "tag_post")):
        _timed_async(owner, name, name)
    for owner, name in ((faq_index.FaqIndex, "search"), (faq_index.FaqIndex, "appended"),
                        (questions, "schedule_ladder"), (outbound.Outbound, "reply")):
        _timed(owner, name, name)


async def main(events: int, url: str | None, posts: int) -> None:
    instrument()
    per_step: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        app, mix = await mixed_app(Settings(spaces=[space()]), url or f"sqlite+aiosqlite:///{tmp}/question_cpu.db",
                                   MEMBERS, posts=posts)
        try:
            for kind, event in mix.events(events):
                spent.clear()
                started = time.thread_time()
                await app.submit(event)
                if kind == "question":
                    totals.append(time.thread_time() - started)
                    for label, seconds in spent.items():
                        per_step[label].append(seconds)
        finally:
            await app.close()
    n = len(totals)
    print(f"{n} question events: CPU mean {1000 * statistics.mean(totals):.2f} ms, "
          f"median {1000 * statistics.median(totals):.2f} ms")
    for label, values in sorted(per_step.items(), key=lambda item: -sum(item[1])):
        values = values + [0.0] * (n - len(values))
        mean, median = 1000 * statistics.mean(values), 1000 * statistics.median(values)
        print(f"  {label:24} mean {mean:5.2f} ms   median {median:5.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=1000, help="posts stored before the mix (default 1,000)")
    parser.add_argument("--database", default=None, help="a database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.database, args.posts))
