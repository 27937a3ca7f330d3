"""Delivery right after connecting: discord.py is ready ~2 s after the guilds arrive; a message due in
that window waits for it instead of going back to the outbox for a later retry."""

from __future__ import annotations

import asyncio

import discord_payloads as p
import pytest
from discord_fakes import Harness

from adapters.discord import bot as discord_bot
from bot.actions import SendMessage
from bot.ports import RetryLater
from bot.refs import ChannelRef

GENERAL = ChannelRef("discord", str(p.GENERAL))


async def test_a_delivery_before_ready_waits_for_the_gateway(harness: Harness) -> None:
    harness.client._ready.clear()
    sending = asyncio.create_task(harness.adapter.deliver(SendMessage(GENERAL, "Bonjour", "general/help")))
    await asyncio.sleep(0.05)
    assert not sending.done() and not harness.api.sent(p.GENERAL)
    harness.client._ready.set()
    assert await asyncio.wait_for(sending, 5)
    assert harness.api.sent(p.GENERAL)


async def test_no_gateway_in_time_is_a_retry_later(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord_bot, "READY_WAIT", 0.05)
    harness.client._ready.clear()
    with pytest.raises(RetryLater):
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour", "general/help"))
    assert not harness.api.sent(p.GENERAL)
    harness.client._ready.set()
