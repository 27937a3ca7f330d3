"""Where ticebot's `!portfolio` round trip goes, next to the bare nio bot's, from the same harness as
bench_matrix_latency.py (real Synapse, same process): each call on the path is timed by a wrapper.

    .venv/bin/python bench/profile_matrix_latency.py [--rounds 30] [--encrypted]

Prints the process CPU per round trip of each side (all threads: the bots, the person, aiosqlite; Synapse
runs in its own process), less noisy than wall time on a shared machine; then medians, in ms from the
person's send: when each bot's sync brings the command, when each bot
starts and ends its send, when the answer is seen; then ticebot's steps between its sync arriving and
its send, and its tail after the send (until it long-polls again: with the next command sent at once,
a long tail delays the next round).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

import bench_matrix_latency as bench  # noqa: E402
import nio  # noqa: E402

from adapters.matrix.sync import SyncLoop  # noqa: E402
from bot.app import TicebotApp  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.delivery import Dispatcher  # noqa: E402

Marks = list[tuple[str, float]]
everything: Marks = []
current: Marks = []


def mark(name: str) -> None:
    at = time.perf_counter()
    current.append((name, at))
    everything.append((name, at))


def timed(cls: type, name: str, label: str) -> None:
    original = getattr(cls, name)

    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        mark(label + ">")
        try:
            return await original(self, *args, **kwargs)
        finally:
            mark(label + "<")

    setattr(cls, name, wrapper)


def who(client: Any) -> str:
    return "ticebot" if "ticebot" in client.user_id else ("bare" if "bare" in client.user_id else "asker")


def instrument() -> None:
    send, receive = nio.AsyncClient.room_send, nio.AsyncClient.receive_response

    async def room_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        mark(who(self) + ".send>")
        try:
            return await send(self, *args, **kwargs)
        finally:
            mark(who(self) + ".send<")

    async def receive_response(self: Any, response: Any) -> Any:
        if isinstance(response, nio.SyncResponse):
            mark(who(self) + ".sync-arrives")
        return await receive(self, response)

    nio.AsyncClient.room_send = room_send  # type: ignore[method-assign]
    nio.AsyncClient.receive_response = receive_response  # type: ignore[method-assign]
    timed(SyncLoop, "_sync", "ticebot.sync")
    timed(TicebotApp, "kv_get_many", "kv read (room state)")
    timed(TicebotApp, "kv_get", "kv read")
    timed(TicebotApp, "kv_set_many", "kv write (token)")
    timed(Core, "handle", "event transaction")
    timed(Dispatcher, "send_claimed", "own send + mark sent")
    timed(TicebotApp, "run_once", "loop pass")


def first(marks: Marks, name: str, after: float, before: float = float("inf")) -> float | None:
    return next((t for n, t in marks if n == name and after <= t <= before), None)


def medians(rows: dict[str, list[float]]) -> None:
    for key, values in sorted(rows.items(), key=lambda kv: statistics.median(kv[1])):
        print(f"  {key:<40} {statistics.median(values):7.1f} ms  (n={len(values)})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--encrypted", action="store_true")
    args = parser.parse_args()
    instrument()
    rounds: dict[str, list[Marks]] = {"ticebot": [], "bare": []}
    cpu: dict[str, list[float]] = {"ticebot": [], "bare": []}
    original_round_trip = bench.round_trip

    async def round_trip(asker: Any, room_id: str, bot_user: str) -> float:
        current.clear()
        side = "ticebot" if "ticebot" in bot_user else "bare"
        started = time.process_time()
        elapsed = await original_round_trip(asker, room_id, bot_user)
        mark("seen")
        # Up to the answer seen, plus what the bot does after (its tail runs into the next round otherwise).
        cpu[side].append((time.process_time() - started) * 1000)
        rounds[side].append(list(current))
        return elapsed

    bench.round_trip = round_trip  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="ticebot-profile-matrix-") as tmp:
        os.environ["TICEBOT_DATA_DIR"] = str(Path(tmp) / "data")
        result = await bench.mode(Path(tmp) / "m", args.encrypted, args.rounds, 2)
    print(f"{result['mode']}: bare {result['bare'][0] * 1000:.0f} ms, ticebot {result['ticebot'][0] * 1000:.0f} ms, "
          f"ratio {result['ratio']:.2f}; load {os.getloadavg()[0]:.1f}")
    bare_cpu, bot_cpu = statistics.median(cpu["bare"][1:]), statistics.median(cpu["ticebot"][1:])
    print(f"process CPU per round trip (median): bare {bare_cpu:.1f} ms, ticebot {bot_cpu:.1f} ms, "
          f"ticebot's extra {bot_cpu - bare_cpu:.1f} ms")
    print("from the person's send:")
    rows: dict[str, list[float]] = {}
    for name, marks_of in rounds.items():
        for marks in marks_of[1:]:  # the first of each side is its warm-up
            start = first(marks, "asker.send>", 0.0)
            send = first(marks, f"{name}.send>", start or 0.0)
            if start is None or send is None:
                continue
            arrived = [t for n, t in marks if n == f"{name}.sync-arrives" and start <= t <= send]
            points: dict[str, float | None] = {
                "sync brings the command": arrived[-1] if arrived else None, "send starts": send,
                "send ends": first(marks, f"{name}.send<", send), "answer seen": first(marks, "seen", send)}
            for label, at in points.items():
                if at is not None:
                    rows.setdefault(f"{name}: {label}", []).append((at - start) * 1000)
    medians(rows)
    print("ticebot, from its sync arriving to its send:")
    medians(steps(rounds["ticebot"][1:], "ticebot.sync-arrives", "ticebot.send>", before=True))
    print("ticebot's tail, from its send returning until it long-polls again:")
    medians(tail(everything))


def steps(marks_of: list[Marks], start_name: str, end_name: str, before: bool) -> dict[str, list[float]]:
    rows: dict[str, list[float]] = {}
    for marks in marks_of:
        start = first(marks, "asker.send>", 0.0) or 0.0
        end = first(marks, end_name, start)
        arrived = [t for n, t in marks if n == start_name and start <= t <= (end or 0.0)]
        if end is None or not arrived:
            continue
        count: dict[str, int] = {}
        for name, at in marks:
            if arrived[-1] <= at <= end and not name.startswith(("bare", "asker")):
                count[name] = count.get(name, 0) + 1
                rows.setdefault(f"{name} #{count[name]}", []).append((at - arrived[-1]) * 1000)
    return rows


def tail(marks: Marks) -> dict[str, list[float]]:
    rows: dict[str, list[float]] = {}
    polls: Callable[[str], bool] = lambda name: name == "ticebot.sync>"  # noqa: E731
    for index, (name, at) in enumerate(marks):
        if name != "ticebot.send<":
            continue
        count: dict[str, int] = {}
        seen_polls = 0
        for later, when in marks[index:]:
            if later.startswith(("bare", "asker")):
                continue
            count[later] = count.get(later, 0) + 1
            rows.setdefault(f"{later} #{count[later]}", []).append((when - at) * 1000)
            if polls(later):
                seen_polls += 1
                if seen_polls == 2:  # the echo's sync, then the long poll that waits for the next command
                    break
    return {key: values for key, values in rows.items() if len(values) > len(rows.get("ticebot.send< #1", [])) // 2}


if __name__ == "__main__":
    asyncio.run(main())
