"""Discord catch-up after downtime: how long replaying what was missed takes, against living through it.

    .venv/bin/python bench/bench_discord_catchup.py [--threads 50] [--replies 19] [--checkmarks 50]

Runs in-process: our real discord.py client on the Discord double (tests/discord, no network, no rate
limits), the real core on a fresh SQLite file. Seeds `threads` forum posts with `replies` replies each
and `checkmarks` ✅ reactions, written while the bot was away; times one catch-up (READY) that hands them
all to the core. Baseline, same process: the same posts, replies and reactions delivered live through the
gateway parsers, on another fresh database. Prints both times, the ratio, and the REST requests the
catch-up made. Target: the catch-up within 2× the live baseline (it reads back pages and asks who reacted).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "discord"), str(ROOT)]

import discord_payloads as p  # noqa: E402
from discord_world import World, open_world  # noqa: E402

from bot.db import models  # noqa: E402


def scenario(world: World, threads: int, replies: int, checkmarks: int) -> list[tuple[str, dict[str, Any]]]:
    """The gateway events of the downtime, in order."""
    events: list[tuple[str, dict[str, Any]]] = []
    for t in range(threads):
        post_id = world.snowflake()
        events.append(("THREAD_CREATE", p.thread(post_id, p.SOS_FORUM, f"Question {t}", owner_id=p.ALICE)))
        events.append(("MESSAGE_CREATE", p.message(post_id, post_id, p.ALICE, "Alice", f"Comment faire {t} ?")))
        last = post_id
        for r in range(replies):
            world.clock.advance(timedelta(seconds=1))
            last = world.snowflake()
            events.append(("MESSAGE_CREATE", p.message(last, post_id, p.BRUNO, "Bruno", f"Réponse {r} : essaie ceci.")))
        if t < checkmarks:
            events.append(("MESSAGE_REACTION_ADD", p.reaction_add(last, post_id, p.ALICE, "Alice", "✅")))
    return events


async def timed_live(directory: Path, threads: int, replies: int, checkmarks: int) -> tuple[float, int]:
    world = await open_world(directory)
    try:
        await world.discord.reconnect()
        events = scenario(world, threads, replies, checkmarks)
        started = time.perf_counter()
        for event, payload in events:
            await world.discord.gateway(event, payload)
        took = time.perf_counter() - started
        return took, len(await world.rows(models.Post))
    finally:
        await world.discord.close()
        await world.app.close()


async def timed_catchup(directory: Path, threads: int, replies: int, checkmarks: int) -> tuple[float, int, int]:
    world = await open_world(directory)
    try:
        await world.discord.reconnect()  # the first session sets the floor
        for event, payload in scenario(world, threads, replies, checkmarks):
            world.discord.offline(event, payload)
        requests = len(world.discord.api.calls)
        started = time.perf_counter()
        await world.discord.reconnect()
        took = time.perf_counter() - started
        return took, len(await world.rows(models.Post)), len(world.discord.api.calls) - requests
    finally:
        await world.discord.close()
        await world.app.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--replies", type=int, default=19)
    parser.add_argument("--checkmarks", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as live_dir, tempfile.TemporaryDirectory() as catchup_dir:
        live, live_posts = await timed_live(Path(live_dir), args.threads, args.replies, args.checkmarks)
        catchup, posts, requests = await timed_catchup(Path(catchup_dir), args.threads, args.replies, args.checkmarks)
    assert posts == live_posts, (posts, live_posts)
    print(f"messages: {posts} in {args.threads} threads, {args.checkmarks} checkmarks")
    print(f"live baseline: {live:.2f}s ({posts / live:.0f} messages/s)")
    print(f"catch-up: {catchup:.2f}s ({posts / catchup:.0f} messages/s), {requests} REST requests")
    print(f"ratio catch-up / live: {catchup / live:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
