"""`!portfolio` round trip on a real local Synapse: ticebot against a bare matrix-nio bot, same process, same run.

    .venv/bin/python bench/bench_matrix_latency.py [--rounds 30] [--blocks 3]

For each mode (plain rooms; encrypted rooms on a Synapse configured like Tchap), a person writes
`!portfolio` in a direct room and waits, syncing, for the bot's answer there. The baseline is a bare
matrix-nio bot (nio[e2e] in the encrypted mode, trusting devices like ticebot) that answers a fixed text
of the same size; it runs in the same process, alternating blocks with ticebot so load drifts hit both.
Prints medians, p95 and the ratio ticebot / bare (target: ≤ 1.2). Needs the test extras (matrix-synapse).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "matrix")]

from matrix_homeserver import Homeserver, start_homeserver  # noqa: E402
from matrix_world import Person, person, start_bot  # noqa: E402
from nio import (  # noqa: E402
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
)

from bot.config import DatabaseConfig, MatrixConfig, Settings, SpaceConfig  # noqa: E402

COMMAND = "!portfolio"


async def bare_bot(server: Homeserver, workdir: Path, encrypted: bool) -> tuple[AsyncClient, asyncio.Task[None]]:
    """The floor: sync_forever and answer `!portfolio` with one fixed message, nothing else."""
    account = await asyncio.to_thread(server.register, server.unique("bare"))
    store = workdir / "bare-store"
    store.mkdir(parents=True, exist_ok=True)
    config = AsyncClientConfig(encryption_enabled=encrypted, store_sync_tokens=False)
    client = AsyncClient(server.base_url, account["user_id"], store_path=str(store) if encrypted else "", config=config)
    client.restore_login(account["user_id"], account["device_id"], account["access_token"])
    if client.olm is not None and client.should_upload_keys:
        await client.keys_upload()
    answer = "**Portfolio d'Alice — C2i2e**\n\nAucune déclaration pour l'instant. " * 3

    async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != client.user_id and event.body.strip() == COMMAND:
            if room.encrypted:  # trust on first use, as ticebot does
                for user_id in room.users:
                    for device in client.device_store.active_user_devices(user_id):
                        if not device.verified:
                            client.verify_device(device)
            content = {"msgtype": "m.text", "body": answer}
            await client.room_send(room.room_id, "m.room.message", content, ignore_unverified_devices=True)

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id:
            await client.join(room.room_id)

    client.add_event_callback(on_message, RoomMessageText)  # type: ignore[arg-type]
    client.add_event_callback(on_invite, InviteMemberEvent)  # type: ignore[arg-type]
    await client.sync(timeout=0, full_state=True)
    task = asyncio.create_task(client.sync_forever(timeout=30_000))
    return client, task


async def open_dm(asker: Person, bot_user: str) -> str:
    created = await asker.client.room_create(is_direct=True, invite=[bot_user])
    assert isinstance(created, RoomCreateResponse), created
    await asker.wait_joined(created.room_id, bot_user)
    return str(created.room_id)


async def round_trip(asker: Person, room_id: str, bot_user: str) -> float:
    """Seconds from sending `!portfolio` to the bot's answer arriving in the asker's sync."""
    await asker.trust_everyone(room_id)  # syncs too: nothing stale left to match
    start = len(asker.seen)
    started = time.perf_counter()
    response = await asker.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": COMMAND})
    assert isinstance(response, RoomSendResponse), response
    while True:
        for seen_room, source in asker.seen[start:]:
            if seen_room == room_id and source.get("sender") == bot_user and source.get("type") == "m.room.message":
                return time.perf_counter() - started
        assert time.perf_counter() - started < 30, "no answer within 30 s"
        await asker.pump(5_000)


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


async def mode(workdir: Path, encrypted: bool, rounds: int, blocks: int) -> dict[str, Any]:
    server = start_homeserver(workdir / "synapse", tchap=encrypted)
    try:
        store = workdir / "asker" if encrypted else None
        asker = await person(server, "alice", "Alice", store)
        bare, bare_task = await bare_bot(server, workdir, encrypted)
        bot_account = await asyncio.to_thread(server.register, server.unique("ticebot"), "bench-pw")
        os.environ["TICEBOT_BENCH_MATRIX_PASSWORD"] = bot_account["password"]
        settings = Settings(
            database=DatabaseConfig(url=f"sqlite+aiosqlite:///{workdir / 'ticebot.db'}"),
            matrix=MatrixConfig(homeserver=server.base_url, user_id=bot_account["user_id"],
                                password_env="TICEBOT_BENCH_MATRIX_PASSWORD", store_dir=str(workdir / "bot-store")),
            spaces=[SpaceConfig(id="bench", roles={"member": [asker.user_id]})],
        )
        ticebot = await start_bot(settings)
        try:
            users = {"bare": str(bare.user_id), "ticebot": bot_account["user_id"]}
            rooms = {name: await open_dm(asker, user) for name, user in users.items()}
            for name in rooms:  # warm-up (ticebot's first contact notice, olm sessions): not counted
                await round_trip(asker, rooms[name], users[name])
            samples: dict[str, list[float]] = {"bare": [], "ticebot": []}
            per_block = max(1, rounds // blocks)
            for _block in range(blocks):
                for name in ("bare", "ticebot"):
                    for _ in range(per_block):
                        samples[name].append(await round_trip(asker, rooms[name], users[name]))
        finally:
            await ticebot.stop()
            bare_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await bare_task
            await bare.close()
            await asker.client.close()
        bare_median, bare_p95 = summary(samples["bare"])
        bot_median, bot_p95 = summary(samples["ticebot"])
        return {"mode": "encrypted (Tchap-like)" if encrypted else "plain", "n": len(samples["ticebot"]),
                "bare": (bare_median, bare_p95), "ticebot": (bot_median, bot_p95), "ratio": bot_median / bare_median}
    finally:
        server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--modes", default="plain,encrypted", help="plain, encrypted or both (comma-separated)")
    parser.add_argument("--log", default="ERROR", help="log level (INFO shows what each side does)")
    args = parser.parse_args()
    logging.basicConfig(level=args.log, format="%(asctime)s %(name)s %(message)s")
    results = []
    with tempfile.TemporaryDirectory(prefix="ticebot-bench-matrix-") as tmp:
        os.environ["TICEBOT_DATA_DIR"] = str(Path(tmp) / "data")
        for name in args.modes.split(","):
            encrypted = name.strip() == "encrypted"
            results.append(await mode(Path(tmp) / name.strip(), encrypted, args.rounds, args.blocks))
    print(f"{'rooms':<24} {'n':>4} {'bare nio median/p95 (ms)':>26} {'ticebot median/p95 (ms)':>25} {'ratio':>6}")
    for r in results:
        bare = f"{r['bare'][0] * 1000:.0f} / {r['bare'][1] * 1000:.0f}"
        bot = f"{r['ticebot'][0] * 1000:.0f} / {r['ticebot'][1] * 1000:.0f}"
        print(f"{r['mode']:<24} {r['n']:>4} {bare:>26} {bot:>25} {r['ratio']:>6.2f}")


if __name__ == "__main__":
    asyncio.run(main())
