"""The asker's ✅ on the bot's acknowledgement that carried FAQ suggestions resolves the question "par
la FAQ" through the real Discord adapter (fake Discord API and gateway, real discord.py client, real
core), not only in the console replay: the reaction Discord reports (in the question's thread, on the
message id Discord gave the bot's message) must reach the core as a reaction on that delivered outbox
row (`outbox.platform_message_id`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import discord_payloads as p
import pytest
from discord_world import World, open_world

from bot.db import models


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(tmp_path)
    yield w
    await w.discord.close()
    await w.app.close()


async def resolved_thread(world: World) -> None:
    """September: Alice's question about the TNI's pen, answered by Bruno, ticked by Alice."""
    question = await world.forum_post(
        p.ALICE, "Alice", "Stylet du TNI", "Mon TNI ne reconnaît plus le stylet depuis la mise à jour, que faire ?"
    )
    await world.tick()
    reply = world.snowflake()
    await world.discord.gateway(
        "MESSAGE_CREATE",
        p.message(
            reply,
            question,
            p.BRUNO,
            "Bruno",
            "Ouvre le logiciel du tableau, menu Paramètres puis Calibrage, et touche les cinq croix.",
        ),
    )
    await world.discord.gateway("MESSAGE_REACTION_ADD", p.reaction_add(reply, question, p.ALICE, "Alice", "✅"))
    await world.tick(timedelta(days=20))


async def test_the_askers_checkmark_on_the_suggestions_resolves_by_faq(world: World) -> None:
    await resolved_thread(world)
    asked = await world.forum_post(
        p.BRUNO, "Bruno", "Stylet", "Le stylet de mon tableau blanc interactif ne marche plus du tout, une idée ?"
    )
    await world.tick()
    ack_row = [r for r in await world.outbox() if r.template == "sos/received"][-1]
    ack = world.discord.api.messages[int(ack_row.platform_message_id)]
    assert int(ack["channel_id"]) == asked and "Stylet du TNI" in ack["content"]
    assert len(await world.rows(models.FaqSuggestion)) == 1

    # Alice (not the asker) ticks it first: nothing happens. Then Bruno, the asker.
    await world.discord.gateway("MESSAGE_REACTION_ADD", p.reaction_add(int(ack["id"]), asked, p.ALICE, "Alice", "✅"))
    await world.tick()
    (question,) = await world.rows(models.Question, models.Question.thread_root_id == str(asked))
    assert question.status == "open"
    await world.discord.gateway("MESSAGE_REACTION_ADD", p.reaction_add(int(ack["id"]), asked, p.BRUNO, "Bruno", "✅"))
    await world.tick()

    (question,) = await world.rows(models.Question, models.Question.thread_root_id == str(asked))
    assert (question.status, question.resolution, question.answered_at) == ("resolved", "faq", None)
    (said,) = await world.sent("faq/resolved_by_faq")
    assert int(said["channel_id"]) == asked  # in Bruno's thread
    tags = [c.json.get("applied_tags") for c in world.discord.api.find("PATCH", rf"/channels/{asked}")]
    assert tags[-1] == [str(p.TAG_RESOLVED)]
    await world.tick(timedelta(days=2))
    assert [m for m in await world.sent("sos/nudge") if int(m["channel_id"]) == asked] == []  # steps stopped
