"""End to end on a fake Discord: gateway payloads → real discord.py client → real core (SQLite, fake
clock) → outbox → adapter → Discord API requests recorded by the fake.

Tests match on template names (the outbox row's `template`) and on where messages landed, not on wording.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord_payloads as p
import pytest
from discord_world import GENERAL_PAYLOAD, World, open_world

from bot.db import models


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(tmp_path)
    yield w
    await w.discord.close()
    await w.app.close()


async def test_forum_post_gets_its_receipt_state_tag_and_the_nudge_after_a_quarter_of_the_delay(
    world: World,
) -> None:
    post_id = await world.forum_post(
        p.ALICE, "Alice", "Partager un document sans ENT ?", "Comment partager un document avec mes élèves sans ENT ?"
    )
    await world.tick()
    (receipt,) = await world.sent("sos/received")
    assert int(receipt["channel_id"]) == post_id  # in the post's thread
    assert f"<@{p.ALICE}>" in receipt["content"]  # "@Alice" became a real mention
    (tagging,) = world.discord.api.find("PATCH", rf"/channels/{post_id}")
    assert tagging.json["applied_tags"] == [str(p.TAG_OPEN)]

    await world.tick(timedelta(hours=23))
    assert await world.sent("sos/nudge") == []
    await world.tick(timedelta(hours=1, minutes=1))  # 25 % of 4 days
    (nudge,) = await world.sent("sos/nudge")
    assert int(nudge["channel_id"]) == post_id


async def test_a_resend_after_a_crash_is_dropped_by_discord(world: World) -> None:
    post_id = await world.forum_post(p.ALICE, "Alice", "Question", "Où trouver les manuels numériques ?")
    await world.tick()
    (row,) = [r for r in await world.outbox() if r.template == "sos/received"]
    # A crash after Discord took the message but before the row was marked sent:
    async with world.app.db.transaction() as session:
        (await session.get(models.Outbox, row.id)).status = "sending"
    await world.app.dispatcher.recover()
    await world.tick()
    posts = world.discord.api.sent(post_id)
    assert len(posts) == 2 and posts[0].json["nonce"] == posts[1].json["nonce"] == f"ticebot-{row.id}:0"
    stored = [
        m
        for m in world.discord.api.messages.values()
        if int(m["channel_id"]) == post_id and m["author"]["id"] == str(p.BOT_ID)
    ]
    assert len(stored) == 1  # one message on Discord


async def test_escalation_marks_the_post(world: World) -> None:
    post_id = await world.forum_post(p.ALICE, "Alice", "Pronote bloqué", "Je n'arrive plus à me connecter.")
    await world.tick()
    await world.tick(timedelta(days=3, hours=1))  # past 75 %: all formateurs alerted
    tags = [c.json.get("applied_tags") for c in world.discord.api.find("PATCH", rf"/channels/{post_id}")]
    assert [str(p.TAG_ESCALATED)] in tags


async def test_resolved_by_the_askers_checkmark(world: World) -> None:
    post_id = await world.forum_post(p.ALICE, "Alice", "Capsule vidéo", "Quel outil pour une capsule vidéo ?")
    await world.tick()
    reply_id = world.snowflake()
    await world.discord.gateway("MESSAGE_CREATE", p.message(reply_id, post_id, p.BRUNO, "Bruno", "Essaie Digiview."))
    await world.discord.gateway("MESSAGE_REACTION_ADD", p.reaction_add(reply_id, post_id, p.ALICE, "Alice", "✅"))
    await world.tick()
    tags = [c.json.get("applied_tags") for c in world.discord.api.find("PATCH", rf"/channels/{post_id}")]
    assert tags[-1] == [str(p.TAG_RESOLVED)]
    # Resolved: no nudge later.
    await world.tick(timedelta(days=2))
    assert await world.sent("sos/nudge") == []


async def declare(world: World, user_id: int, name: str, code: str, trace: str) -> None:
    await world.interaction(
        p.slash(
            "declare",
            [{"name": "code", "type": 3, "value": code}, {"name": "trace", "type": 3, "value": trace}],
            user_id,
            name,
            GENERAL_PAYLOAD,
        )
    )
    await world.tick()


def buttons_of(message: dict[str, Any]) -> list[str]:
    return [b["custom_id"] for row in message.get("components", []) for b in row["components"]]


async def test_declaration_validated_with_the_button_in_the_formateurs_dm(world: World) -> None:
    await declare(world, p.ALICE, "Alice", "B2-3", "https://example.org/ma-sequence")
    (notice,) = await world.sent("declarations/notify_validator")
    # The formatrice's DM carries the three buttons of this declaration.
    assert int(notice["channel_id"]) == int(world.dm_channel_of(p.FABIENNE)["id"])
    ids = buttons_of(notice)
    assert len(ids) == 3 and ids[0].startswith("ticebot:decl:") and ids[0].endswith(":validate")

    # She clicks Valider on that very message (as Discord would send it back to us).
    dm = world.dm_channel_of(p.FABIENNE)
    click = p.button_click(ids[0], p.FABIENNE, "Fabienne", dm, notice, guild_id=None)
    await world.interaction(click)
    await world.tick()
    (validated,) = await world.sent("declarations/validated")
    assert int(validated["channel_id"]) == int(world.dm_channel_of(p.ALICE)["id"])
    assert f"<@{p.ALICE}>" in validated["content"] and "B2-3" in validated["content"]


async def test_declaration_refused_through_the_modal(world: World) -> None:
    await declare(world, p.BRUNO, "Bruno", "A1-3", "J'utilise le cahier de textes de l'ENT")
    (notice,) = await world.sent("declarations/notify_validator")
    refuse = next(i for i in buttons_of(notice) if i.endswith(":refuse"))
    dm = world.dm_channel_of(p.FABIENNE)
    await world.interaction(p.button_click(refuse, p.FABIENNE, "Fabienne", dm, notice, guild_id=None))
    modal = world.discord.api.callbacks()[-1].json
    assert modal["type"] == 9
    text_id = modal["data"]["components"][0]["components"][0]["custom_id"]
    await world.interaction(
        p.modal_submit(
            modal["data"]["custom_id"],
            text_id,
            "Il manque une capture d'écran.",
            p.FABIENNE,
            "Fabienne",
            dm,
            notice,
            guild_id=None,
        )
    )
    await world.tick()
    (refused,) = await world.sent("declarations/not_validated")
    assert int(refused["channel_id"]) == int(world.dm_channel_of(p.BRUNO)["id"])
    assert "capture d'écran" in refused["content"]


async def test_a_member_cannot_validate_with_the_button(world: World) -> None:
    await declare(world, p.ALICE, "Alice", "B2-3", "https://example.org/ma-sequence")
    (notice,) = await world.sent("declarations/notify_validator")
    validate = buttons_of(notice)[0]
    # Bruno (a member) replays the click: the core refuses, nothing is validated.
    await world.interaction(p.button_click(validate, p.BRUNO, "Bruno", GENERAL_PAYLOAD, notice))
    await world.tick()
    assert await world.sent("declarations/validated") == []
    assert await world.sent("declarations/refuse_role")


async def test_closed_dms_fall_back_to_general(world: World) -> None:
    world.discord.api.closed_dms.add(p.FABIENNE)
    await declare(world, p.ALICE, "Alice", "B2-3", "https://example.org/ma-sequence")
    rows = [r for r in await world.outbox() if r.template == "declarations/notify_validator"]
    assert [r.status for r in rows] == ["sent"]
    notice = world.discord.api.messages[int(rows[0].platform_message_id)]
    assert int(notice["channel_id"]) == p.GENERAL
    assert notice["content"].startswith(f"<@{p.FABIENNE}>") and "B2-3" not in notice["content"]


async def test_autocomplete_reads_the_spaces_real_referential(world: World) -> None:
    await world.interaction(
        p.autocomplete(
            "declare", [{"name": "code", "type": 3, "value": "b2", "focused": True}], p.ALICE, "Alice", GENERAL_PAYLOAD
        )
    )
    choices = world.discord.api.callbacks()[-1].json["data"]["choices"]
    b2 = [c.code for c in world.app.referential_for("gfp-lettres").competences() if c.code.startswith("B2")]
    # Codes starting with what was typed come first; then labels that mention it (e.g. "B2i").
    assert b2 and [c["value"] for c in choices[: len(b2)]] == b2
    assert all(c["name"].startswith(c["value"] + " — ") and len(c["name"]) <= 100 for c in choices)


async def test_a_channel_the_config_does_not_list_still_belongs_to_the_guilds_space(world: World) -> None:
    random_channel = p.text_channel(790, "random")
    await world.discord.gateway("CHANNEL_CREATE", random_channel)
    await world.interaction(
        p.slash("declare", [{"name": "code", "type": 3, "value": "B2-3"},
                            {"name": "trace", "type": 3, "value": "https://example.org/seq"}],
                p.ALICE, "Alice", random_channel)
    )
    await world.tick()
    assert await world.sent("declarations/notify_validator")  # not silently dropped
