"""Delivery before the gateway is ready: the row is asked again shortly without counting an attempt,
so a slow start (or an adapter restarting) never turns queued messages into failed ones."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import discord_payloads as p
import pytest
from discord_fakes import Harness
from discord_world import open_world

from bot.actions import SendMessage
from bot.delivery import MAX_ATTEMPTS
from bot.ports import NotAttempted
from bot.refs import ChannelRef

GENERAL = ChannelRef("discord", str(p.GENERAL))


async def test_a_delivery_before_ready_is_not_attempted(harness: Harness) -> None:
    harness.client._ready.clear()
    with pytest.raises(NotAttempted) as caught:
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour", "general/help"))
    assert caught.value.retry_after is not None and caught.value.retry_after <= 1.0
    assert not harness.api.sent(p.GENERAL)


async def test_queued_messages_wait_for_the_gateway_however_long_and_then_all_go(tmp_path: Path) -> None:
    world = await open_world(tmp_path)
    try:
        world.discord.client._ready.clear()  # the gateway is down (or not up yet)
        first = await world.forum_post(p.ALICE, "Alice", "Capsule vidéo", "Quel outil pour une capsule vidéo ?")
        second = await world.forum_post(p.BRUNO, "Bruno", "Pronote", "Comment exporter mes notes ?")
        # Far longer than MAX_ATTEMPTS retries would have taken before (~100 s): ten minutes of passes.
        for _ in range(MAX_ATTEMPTS * 5):
            await world.tick(timedelta(seconds=10))
        receipts = [r for r in await world.outbox() if r.template == "sos/received"]
        assert [(r.status, r.attempts) for r in receipts] == [("pending", 0), ("pending", 0)]
        assert not world.discord.api.sent(first) and not world.discord.api.sent(second)

        world.discord.client._ready.set()
        await world.tick(timedelta(seconds=1))
        assert [m["channel_id"] for m in await world.sent("sos/received")] == [str(first), str(second)]
    finally:
        await world.discord.close()
        await world.app.close()
