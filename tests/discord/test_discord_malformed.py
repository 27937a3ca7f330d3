"""Malformed gateway payloads (as an independent Discord-compatible server sent them) are repaired when
their meaning is clear, else skipped with one log line without their text; the client keeps serving."""

from __future__ import annotations

import logging

import discord_payloads as p
import pytest
from discord_fakes import Harness

from bot.events import CommandInvoked, MemberRolesChanged, PostCreated, ReactionAdded

SECRET = "texte-privé-de-Bruno"


def posts(h: Harness) -> list[PostCreated]:
    return [e for e in h.events if isinstance(e, PostCreated)]


async def still_serving(h: Harness) -> None:
    """A plain message after the bad one still reaches the core."""
    msg_id = p.snowflake()
    await h.gateway("MESSAGE_CREATE", p.message(msg_id, p.GENERAL, p.ALICE, "Alice", "Toujours là ?"))
    assert posts(h)[-1].event_id == str(msg_id)


async def test_a_dm_with_guild_id_null_is_a_dm(harness: Harness) -> None:
    dm_id, msg_id = p.snowflake(), p.snowflake()
    message = p.message(msg_id, dm_id, p.ALICE, "Alice", "/portfolio", guild_id=None)
    message["guild_id"] = None
    await harness.gateway("MESSAGE_CREATE", message)
    (event,) = posts(harness)
    assert event.is_direct and event.text == "/portfolio"


async def test_a_dm_reaction_with_guild_id_null_is_handed_over(harness: Harness) -> None:
    reaction = p.reaction_add(55, 66, p.ALICE, "Alice", "✅", guild_id=None)
    reaction["guild_id"] = None
    await harness.gateway("MESSAGE_REACTION_ADD", reaction)
    (event,) = [e for e in harness.events if isinstance(e, ReactionAdded)]
    assert (event.message.id, event.user.id, event.emoji) == ("55", str(p.ALICE), "✅")
    await still_serving(harness)


async def test_role_objects_where_ids_were_expected_count_as_their_ids(harness: Harness) -> None:
    update = p.member_update(p.BRUNO, "Bruno", [])
    update["roles"] = [{"id": str(p.TUTOR_ROLE), "name": "Tuteurs", "position": 1}]
    await harness.gateway("GUILD_MEMBER_UPDATE", update)
    changes = [e for e in harness.events if isinstance(e, MemberRolesChanged) and e.user.id == str(p.BRUNO)]
    assert [e.roles for e in changes] == [frozenset({"tutor"})]


async def test_a_reaction_with_a_partial_member_keeps_its_user(harness: Harness) -> None:
    reaction = p.reaction_add(77, p.GENERAL, p.BRUNO, "Bruno", "👍")
    reaction["member"] = {"roles": [], "joined_at": None}  # no "user"
    await harness.gateway("MESSAGE_REACTION_ADD", reaction)
    (event,) = [e for e in harness.events if isinstance(e, ReactionAdded)]
    assert event.user.id == str(p.BRUNO)


async def test_a_member_update_with_a_partial_user_is_understood(harness: Harness) -> None:
    await harness.gateway(
        "GUILD_MEMBER_UPDATE", {"guild_id": str(p.GUILD_ID), "user": {"id": str(p.BRUNO)}, "roles": [str(p.TUTOR_ROLE)]}
    )
    changes = [e for e in harness.events if isinstance(e, MemberRolesChanged) and e.user.id == str(p.BRUNO)]
    assert [e.roles for e in changes] == [frozenset({"tutor"})]


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("GUILD_MEMBER_UPDATE", {"guild_id": str(p.GUILD_ID), "roles": [], "joined_at": None}),  # whose?
        ("MESSAGE_CREATE", {"id": "1", "channel_id": str(p.GENERAL), "content": SECRET}),  # no author
        ("INTERACTION_CREATE", {"id": "2", "type": 2, "token": "t", "member": {"roles": []}, "data": {}}),
        ("MESSAGE_REACTION_ADD", {"channel_id": str(p.GENERAL), "emoji": {"name": "✅"}}),  # no message
        ("GUILD_CREATE", {"id": "not-a-number", "name": SECRET}),
    ],
)
async def test_an_unreadable_payload_is_skipped_and_logged_without_its_text(
    harness: Harness, caplog: pytest.LogCaptureFixture, event: str, payload: dict
) -> None:
    caplog.set_level(logging.INFO)
    before = len(harness.events)
    await harness.gateway(event, payload)
    assert len(harness.events) == before
    assert f"skipped a malformed {event} payload" in caplog.text
    assert SECRET not in caplog.text
    await still_serving(harness)


async def test_interactions_from_a_dm_with_guild_id_null(harness: Harness) -> None:
    dm = p.dm_channel(p.snowflake(), p.ALICE, "Alice")
    payload = p.slash("portfolio", [], p.ALICE, "Alice", dm, guild_id=None)
    payload["guild_id"] = None
    await harness.gateway("INTERACTION_CREATE", payload)
    (command,) = [e for e in harness.events if isinstance(e, CommandInvoked)]
    assert command.is_direct and command.name == "portfolio"
