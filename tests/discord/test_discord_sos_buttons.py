"""Buttons under an SOS assignment's private message, end to end: the real core (SQLite, fake clock)
gives Fabienne (on call) a question; she presses a button in her DM; the database and what each
person reads follow, exactly as if she had typed `/claim #N`, `/passer #N …` or ticked ✅ on the reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord_payloads as p
import pytest
from discord_fakes import Harness
from discord_world import World, open_world, settings

from bot.db import models
from bot.db.sos_models import Assignment
from bot.events import CommandInvoked, ReactionAdded
from bot.refs import ChannelRef, MessageRef


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(tmp_path, settings(sos={"delay": "4d", "policy": "calendar", "oncall": [str(p.FABIENNE)],
                                                 "oncall_from": "2026-09-07"}))
    yield w
    await w.discord.close()
    await w.app.close()


async def ask(world: World, peer_reply: bool = False) -> tuple[int, int | None]:
    """Alice's question (and Bruno's reply), then 50 % of the delay: Fabienne is asked by name."""
    post_id = await world.forum_post(p.ALICE, "Alice", "Exporter Pronote", "Comment exporter mes notes de Pronote ?")
    await world.tick()
    reply_id = None
    if peer_reply:
        world.clock.advance(timedelta(hours=3))
        reply_id = world.snowflake()
        await world.discord.gateway("MESSAGE_CREATE", p.message(reply_id, post_id, p.BRUNO, "Bruno",
                                                                "Menu Notes, puis Exporter en CSV."))
    await world.tick(timedelta(days=2, minutes=1))
    return post_id, reply_id


def assignment_message(world: World) -> dict[str, Any]:
    dm = world.dm_channel_of(p.FABIENNE)
    (message,) = [m for m in world.discord.api.messages_in(int(dm["id"])) if m.get("components")]
    return message


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {b["label"]: b["custom_id"] for row in message["components"] for b in row["components"]}


async def press(world: World, custom_id: str, message: dict[str, Any]) -> None:
    dm = world.dm_channel_of(p.FABIENNE)
    await world.interaction(p.button_click(custom_id, p.FABIENNE, "Fabienne", dm, message, guild_id=None))
    await world.tick()


async def assignment(world: World) -> Assignment:
    (row,) = await world.rows(Assignment)
    return row


def thread_texts(world: World, thread_id: int) -> list[str]:
    return [m["content"] for m in world.discord.api.messages_in(thread_id) if m["author"]["id"] == str(p.BOT_ID)]


async def test_the_assignment_dm_has_claim_and_pass_buttons_and_claim_takes_the_question(world: World) -> None:
    post_id, _ = await ask(world)
    offered = await assignment(world)
    message = assignment_message(world)
    assert buttons(message) == {"Je la prends": f"ticebot:sos:{offered.question_id}:claim",
                                "Je passe": f"ticebot:sos:{offered.question_id}:pass"}  # no reply to endorse
    await press(world, f"ticebot:sos:{offered.question_id}:claim", message)
    taken = await assignment(world)
    assert taken.state == "acknowledged" and taken.acknowledged_at is not None
    (question,) = await world.rows(models.Question)
    fabienne = (await world.rows(models.Member, models.Member.platform_user_id == str(p.FABIENNE)))[0]
    assert question.claimed_by_id == fabienne.id
    # Alice reads it in her thread; Fabienne gets the ephemeral acknowledgement and the core's note.
    assert f"<@{p.FABIENNE}> prend votre question en charge" in thread_texts(world, post_id)[-1]
    assert any(c.json["data"]["flags"] == 64 for c in world.discord.api.callbacks())
    assert await world.sent("sos/claim_noted")


async def test_pass_opens_a_form_and_hands_the_question_on_with_the_reason(world: World) -> None:
    await ask(world)
    offered = await assignment(world)
    message = assignment_message(world)
    await press(world, f"ticebot:sos:{offered.question_id}:pass", message)
    assert (await assignment(world)).state == "offered"  # nothing until the form is sent
    modal = world.discord.api.callbacks()[-1].json
    assert modal["type"] == 9 and str(offered.question_id) in modal["data"]["title"]
    field = modal["data"]["components"][0]["components"][0]
    assert field["required"] is False
    dm = world.dm_channel_of(p.FABIENNE)
    await world.interaction(p.modal_submit(modal["data"]["custom_id"], field["custom_id"], "En jury toute la semaine",
                                           p.FABIENNE, "Fabienne", dm, message, guild_id=None))
    await world.tick()
    passed = await assignment(world)
    assert (passed.state, passed.reason) == ("passed", "En jury toute la semaine")
    (told,) = await world.sent("sos/passed")
    assert told["channel_id"] == dm["id"]
    assert await world.sent("sos/trainers_alert")  # the next level, at once


async def test_pass_without_a_reason(world: World) -> None:
    await ask(world)
    offered = await assignment(world)
    message = assignment_message(world)
    await press(world, f"ticebot:sos:{offered.question_id}:pass", message)
    modal = world.discord.api.callbacks()[-1].json["data"]
    dm = world.dm_channel_of(p.FABIENNE)
    await world.interaction(p.modal_submit(modal["custom_id"], modal["components"][0]["components"][0]["custom_id"],
                                           "", p.FABIENNE, "Fabienne", dm, message, guild_id=None))
    await world.tick()
    assert ((await assignment(world)).state, (await assignment(world)).reason) == ("passed", None)


async def test_endorse_confirms_the_peer_reply_as_the_answer(world: World) -> None:
    post_id, reply_id = await ask(world, peer_reply=True)
    offered = await assignment(world)
    message = assignment_message(world)
    endorse = buttons(message)["La réponse est juste ✅"]
    assert endorse == f"ticebot:sos:{offered.question_id}:endorse:{p.SOS_FORUM}:{reply_id}"
    await press(world, endorse, message)
    (question,) = await world.rows(models.Question)
    (reply,) = await world.rows(models.Post, models.Post.platform_post_id == str(reply_id))
    assert question.status == "answered" and question.answered_at == reply.created_at  # when Bruno wrote it
    assert (await assignment(world)).state not in ("offered", "acknowledged")
    assert [int(m["channel_id"]) for m in await world.sent("sos/endorsed")] == [post_id]


async def test_a_member_pressing_a_forwarded_button_is_refused_by_the_core(world: World) -> None:
    """Who may claim is the core's call: Bruno (a member) gets the polite refusal, nothing changes."""
    await world.discord.gateway("MESSAGE_CREATE", p.message(world.snowflake(), p.GENERAL, p.BRUNO, "Bruno", "Bonjour"))
    await ask(world)
    offered = await assignment(world)
    message = assignment_message(world)
    dm = p.dm_channel(p.snowflake(), p.BRUNO, "Bruno")
    await world.interaction(p.button_click(f"ticebot:sos:{offered.question_id}:claim", p.BRUNO, "Bruno", dm, message,
                                           guild_id=None))
    await world.tick()
    assert (await assignment(world)).state == "offered"
    assert (await world.rows(models.Question))[0].claimed_by_id is None
    assert await world.sent("sos/refuse_claim")


async def test_buttons_still_work_after_a_restart() -> None:
    # A fresh client has never sent the message: the custom id alone carries the question and the reply.
    h = await Harness.start()
    try:
        dm = p.dm_channel(p.snowflake(), p.FABIENNE, "Fabienne")
        row = [{"type": 2, "style": 3, "label": "Je la prends", "custom_id": "ticebot:sos:7:claim"},
               {"type": 2, "style": 1, "label": "La réponse est juste ✅",
                "custom_id": f"ticebot:sos:7:endorse:{p.SOS_FORUM}:42"}]
        message = p.message(p.snowflake(), int(dm["id"]), p.BOT_ID, "ticebot", "Question n°7", guild_id=None, bot=True,
                            components=[{"type": 1, "components": row}])
        await h.gateway("INTERACTION_CREATE", p.button_click("ticebot:sos:7:claim", p.FABIENNE, "Fabienne", dm,
                                                             message, guild_id=None))
        await h.gateway("INTERACTION_CREATE", p.button_click(f"ticebot:sos:7:endorse:{p.SOS_FORUM}:42", p.FABIENNE,
                                                             "Fabienne", dm, message, guild_id=None))
        claim, endorse = [e for e in h.events if isinstance(e, CommandInvoked | ReactionAdded)]
        assert isinstance(claim, CommandInvoked) and (claim.name, claim.args, claim.is_direct) == ("claim", "#7", True)
        assert isinstance(endorse, ReactionAdded)
        assert (endorse.message, endorse.emoji) == (MessageRef(ChannelRef("discord", str(p.SOS_FORUM)), "42"), "✅")
        assert endorse.event_id == f"reaction:42:{p.FABIENNE}:✅"  # the same event as ticking it in the thread
    finally:
        await h.close()
