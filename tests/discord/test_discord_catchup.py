"""Catch-up after downtime: what members did while the bot was away is replayed once, in order, with its
original time, when a new gateway session starts (a restart, or a session that could not be resumed).

The bot's "downtime" is the double's API receiving posts, replies and reactions that the gateway never
delivers (`Harness.offline`); `Harness.reconnect` is the next READY. Times are the fake clock's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import discord
import discord_payloads as p
import pytest
from discord_world import World, open_world

from adapters.discord import state
from bot.config import DiscordConfig
from bot.db import models


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(tmp_path)
    await w.discord.reconnect()  # the first session: the floor is set, nothing before it is replayed
    yield w
    await w.discord.close()
    await w.app.close()


def offline_post(world: World, author: int, name: str, title: str, text: str, forum: int = p.SOS_FORUM) -> int:
    post_id = world.snowflake()
    world.discord.offline("THREAD_CREATE", p.thread(post_id, forum, title, owner_id=author))
    world.discord.offline("MESSAGE_CREATE", stamped(p.message(post_id, post_id, author, name, text), post_id))
    return post_id


def offline_reply(world: World, thread_id: int, author: int, name: str, text: str,
                  roles: list[int] | None = None) -> int:
    reply_id = world.snowflake()
    world.discord.offline("MESSAGE_CREATE", stamped(p.message(reply_id, thread_id, author, name, text, roles=roles),
                                                    reply_id))
    return reply_id


def stamped(message: dict[str, Any], message_id: int) -> dict[str, Any]:
    message["timestamp"] = discord.utils.snowflake_time(message_id).isoformat()
    return message


def at(message_id: int) -> Any:
    return discord.utils.snowflake_time(message_id)


def aware(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


async def question_of(world: World, post_id: int) -> Any:
    (found,) = await world.rows(models.Question, models.Question.thread_root_id == str(post_id))
    return found


async def test_ten_minutes_away_every_question_answer_and_checkmark_counts_once(world: World) -> None:
    before = await world.forum_post(p.ALICE, "Alice", "Capsule vidéo", "Quel outil pour une capsule vidéo ?")
    await world.tick()
    # The bot goes away; for ten minutes members post, reply and react.
    world.clock.advance(timedelta(minutes=1))
    missed = offline_post(world, p.BRUNO, "Bruno", "Exporter Pronote", "Comment exporter mes notes de Pronote ?")
    world.clock.advance(timedelta(minutes=3))
    answer = offline_reply(world, before, p.CLAIRE, "Claire", "Essaie Digiview, c'est simple.")
    world.clock.advance(timedelta(minutes=2))
    world.discord.offline("MESSAGE_REACTION_ADD", p.reaction_add(answer, before, p.ALICE, "Alice", "✅"))
    world.clock.advance(timedelta(minutes=1))
    staff = offline_reply(world, missed, p.FABIENNE, "Fabienne", "Menu Notes, puis Exporter.", roles=[p.TRAINER_ROLE])
    world.clock.advance(timedelta(minutes=3))

    await world.discord.reconnect()
    await world.tick()

    q_missed = await question_of(world, missed)
    assert aware(q_missed.created_at) == at(missed)  # its original time, not the restart's
    assert q_missed.status == "answered" and aware(q_missed.answered_at) == at(staff)  # Fabienne is a formatrice
    q_before = await question_of(world, before)
    assert q_before.status == "resolved" and aware(q_before.answered_at) == at(answer)  # the ✅ accepted Claire's
    # Nothing doubled: one question per post, one receipt each, one "resolved" notice.
    assert len(await world.rows(models.Question)) == 2
    receipts = [int(m["channel_id"]) for m in await world.sent("sos/received")]
    assert sorted(receipts) == sorted([before, missed])
    assert len(await world.sent("sos/resolved")) == 1
    posts = await world.rows(models.Post)
    assert sorted(int(x.platform_post_id) for x in posts) == sorted([before, missed, answer, staff])

    # Another new session right after: nothing new, nothing twice.
    outbox = len(await world.outbox())
    await world.discord.reconnect()
    await world.tick()
    assert len(await world.outbox()) == outbox
    assert len(await world.rows(models.Post)) == 4


async def test_posts_are_replayed_in_time_order_across_channels(world: World) -> None:
    order: list[int] = []
    first = offline_post(world, p.ALICE, "Alice", "Q1", "Première question sur l'ENT ?")
    order.append(first)
    world.clock.advance(timedelta(seconds=30))
    general = world.snowflake()
    world.discord.offline("MESSAGE_CREATE", stamped(p.message(general, p.GENERAL, p.BRUNO, "Bruno", "Bonjour"),
                                                    general))
    order.append(general)
    world.clock.advance(timedelta(seconds=30))
    order.append(offline_reply(world, first, p.BRUNO, "Bruno", "Une réponse."))
    seen: list[str] = []
    original = world.discord.client.sink

    async def record(event: Any) -> None:
        seen.append(event.event_id)
        await original(event)

    world.discord.client.sink = record
    await world.discord.reconnect()
    assert [s for s in seen if not s.startswith(("roles:", "reaction:"))] == [str(i) for i in order]


async def test_an_archived_thread_within_the_window_is_read(world: World) -> None:
    post_id = await world.forum_post(p.ALICE, "Alice", "Tableau blanc", "Quel tableau blanc collaboratif ?")
    await world.tick()
    reply = offline_reply(world, post_id, p.FABIENNE, "Fabienne", "Digipad, sans compte.", roles=[p.TRAINER_ROLE])
    world.clock.advance(timedelta(hours=1))
    world.discord.api.archive(post_id)  # archived while the bot was away
    await world.discord.reconnect()
    await world.tick()
    question = await question_of(world, post_id)
    assert question.status == "answered" and aware(question.answered_at) == at(reply)
    archived = world.discord.api.find("GET", rf"/channels/{p.SOS_FORUM}/threads/archived/public")
    assert archived, "the forum's archive was read"


async def test_nothing_older_than_the_window_is_replayed(world: World) -> None:
    old = offline_post(world, p.ALICE, "Alice", "Vieille question", "Une question d'il y a longtemps ?")
    world.clock.advance(timedelta(days=3, hours=1))  # the default window is 3 days
    recent = offline_post(world, p.BRUNO, "Bruno", "Récente", "Une question récente sur Pronote ?")
    await world.discord.reconnect()
    await world.tick()
    roots = [q.thread_root_id for q in await world.rows(models.Question)]
    assert roots == [str(recent)] and str(old) not in roots


async def test_a_first_connection_replays_nothing_from_before(tmp_path: Path) -> None:
    world = await open_world(tmp_path)
    try:
        offline_post(world, p.ALICE, "Alice", "Avant le bot", "Question posée avant l'arrivée du bot ?")
        await world.discord.reconnect()  # the very first READY of this database
        await world.tick()
        assert await world.rows(models.Question) == []
        assert await world.app.kv_get(state.floor(p.GUILD_ID)) is not None
    finally:
        await world.discord.close()
        await world.app.close()


async def test_a_dm_the_bot_knows_is_read_back(world: World) -> None:
    await world.forum_post(p.ALICE, "Alice", "Bonjour", "Comment utiliser Pronote en classe ?")  # she is a member
    await world.tick()
    dm = world.dm_channel_of(p.ALICE)  # the one the welcome opened: Discord has one DM channel per person
    first = world.snowflake()
    await world.discord.gateway("MESSAGE_CREATE", p.message(first, int(dm["id"]), p.ALICE, "Alice", "bonjour",
                                                           guild_id=None))
    await world.discord.client.marks.flush()
    missed = world.snowflake()
    world.discord.offline("MESSAGE_CREATE", stamped(p.message(missed, int(dm["id"]), p.ALICE, "Alice",
                                                              "/portfolio", guild_id=None), missed))
    await world.discord.reconnect()
    await world.tick()
    (portfolio,) = [r for r in await world.outbox() if r.template == "declarations/portfolio"]
    assert portfolio.status == "sent"
    assert world.discord.api.messages[int(portfolio.platform_message_id)]["channel_id"] == dm["id"]


async def test_a_rate_limit_while_paging_is_waited_out(world: World) -> None:
    post_id = offline_post(world, p.ALICE, "Alice", "Limite", "Question pendant une limite de débit ?")
    world.discord.api.fail(
        "GET", rf"/channels/{post_id}/messages", 429, headers={"Via": "1.1 google", "Retry-After": "0"},
        body={"message": "You are being rate limited.", "retry_after": 0.01, "global": False},
    )
    await world.discord.reconnect()
    await world.tick()
    assert [q.thread_root_id for q in await world.rows(models.Question)] == [str(post_id)]
    statuses = [c.status for c in world.discord.api.find("GET", rf"/channels/{post_id}/messages")]
    assert statuses[0] == 429 and statuses[-1] == 200


async def test_a_channel_the_bot_may_not_read_is_skipped(world: World) -> None:
    world.discord.api.permissions.hidden.add(p.GENERAL)
    post_id = offline_post(world, p.ALICE, "Alice", "Accès", "Question malgré un salon caché ?")
    await world.discord.reconnect()
    await world.tick()
    assert [q.thread_root_id for q in await world.rows(models.Question)] == [str(post_id)]
    assert [c.status for c in world.discord.api.find("GET", rf"/channels/{p.GENERAL}/messages")] == [403]


async def test_live_events_wait_for_the_catch_up(world: World) -> None:
    missed = offline_post(world, p.ALICE, "Alice", "Avant", "Question manquée pendant la coupure ?")
    client = world.discord.client
    await client.on_connect()  # a new session: a reply arrives live before READY's catch-up is done
    reply = world.snowflake()
    live = world.discord.gateway("MESSAGE_CREATE", p.message(reply, missed, p.FABIENNE, "Fabienne", "Réponse",
                                                             roles=[p.TRAINER_ROLE]))
    import asyncio

    waiting = asyncio.ensure_future(live)
    await asyncio.sleep(0)
    await client.on_ready()
    await client._catchup  # type: ignore[misc]
    await waiting
    await world.tick()
    question = await question_of(world, missed)
    assert question.status == "answered"  # the reply came after its question, not before


def test_the_window_is_configurable() -> None:
    assert DiscordConfig.model_validate({"catchup": "90m"}).catchup_window == timedelta(minutes=90)
    assert DiscordConfig().catchup_window == timedelta(days=3)
    with pytest.raises(ValueError):
        DiscordConfig.model_validate({"catchup": "bientôt"})
    with pytest.raises(ValueError):
        DiscordConfig.model_validate({"catchup_max_messages": 0})


def test_the_reactions_read_back_are_those_the_core_acts_on() -> None:
    from adapters.discord.catchup import REPLAYED_EMOJIS
    from bot.sos.questions import ACCEPT_EMOJIS

    assert REPLAYED_EMOJIS == ACCEPT_EMOJIS
