"""Roles reconciled both ways at every new gateway session: a formateur demoted while the bot was away
loses validation rights, and so does someone who left the guild; live changes likewise."""

from __future__ import annotations

from collections.abc import AsyncIterator
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


async def platform_roles(world: World, user_id: int) -> set[str]:
    (member,) = await world.rows(models.Member, models.Member.platform_user_id == str(user_id))
    async with world.app.db.transaction() as session:
        from sqlalchemy import select

        rows = await session.execute(select(models.Role).where(models.Role.member_id == member.id))
        return {r.role for r in rows.scalars()}


def guild_now(members: list[dict[str, Any]]) -> dict[str, Any]:
    """The GUILD_CREATE of a new session: the guild as it is now."""
    return p.guild(members=[p.member(p.BOT_ID, "ticebot"), *members])


async def declare_and_validate(world: World, validator: int, roles: list[int]) -> str:
    await world.interaction(p.slash("declare", [{"name": "code", "type": 3, "value": "B2-3"},
                                                {"name": "trace", "type": 3, "value": "https://ex.org/s"}],
                                    p.ALICE, "Alice", GENERAL_PAYLOAD))
    await world.tick()
    (decl,) = await world.rows(models.Declaration)
    await world.interaction(p.slash("valider", [{"name": "declaration", "type": 4, "value": decl.id}],
                                    validator, "Fabienne", GENERAL_PAYLOAD, roles=roles))
    await world.tick()
    (decl,) = await world.rows(models.Declaration)
    return decl.state


async def test_a_formatrice_demoted_while_away_can_no_longer_validate(world: World) -> None:
    assert "trainer" in await platform_roles(world, p.FABIENNE)
    # While the bot is away, Fabienne loses the Formateurs role; the next session's guild says so.
    await world.discord.new_guild_session(guild_now([p.member(p.ALICE, "Alice"), p.member(p.FABIENNE, "Fabienne")]))
    await world.tick()
    assert await platform_roles(world, p.FABIENNE) == {"member"}
    assert await declare_and_validate(world, p.FABIENNE, []) == "declared"
    assert await world.sent("declarations/refuse_role")


async def test_someone_who_left_loses_their_roles(world: World) -> None:
    await world.discord.gateway("GUILD_MEMBER_UPDATE", p.member_update(p.BRUNO, "Bruno", [p.TUTOR_ROLE]))
    assert "tutor" in await platform_roles(world, p.BRUNO)
    await world.discord.new_guild_session(guild_now([p.member(p.ALICE, "Alice")]))  # he left meanwhile
    assert await platform_roles(world, p.BRUNO) == {"member"}


async def test_leaving_live_is_reconciled_at_once(world: World) -> None:
    await world.discord.gateway("GUILD_MEMBER_REMOVE", {"guild_id": str(p.GUILD_ID), "user": p.user(p.FABIENNE,
                                                                                                   "Fabienne")})
    assert await platform_roles(world, p.FABIENNE) == {"member"}


async def test_members_who_never_held_a_mapped_role_are_not_recorded(world: World) -> None:
    await world.discord.new_guild_session(guild_now([p.member(p.ALICE, "Alice"), p.member(p.BRUNO, "Bruno"),
                                                     p.member(p.FABIENNE, "Fabienne", [p.TRAINER_ROLE])]))
    people = {m.platform_user_id for m in await world.rows(models.Member)}
    assert str(p.BRUNO) not in people and str(p.FABIENNE) in people


async def test_a_guild_not_fully_loaded_does_not_strip_anyone(world: World) -> None:
    guild = world.discord.client.get_guild(p.GUILD_ID)
    assert guild is not None
    guild._remove_member(guild.get_member(p.FABIENNE))  # type: ignore[arg-type]  # Fabienne not in the list…
    guild._member_count = 50  # …because the list is partial: discord.py knows 50 members
    client = world.discord.client
    space = client.spaces.by_guild(p.GUILD_ID)
    assert space is not None and not guild.chunked
    await client.roles.reconcile(guild, space, client._hand_over_now)
    assert "trainer" in await platform_roles(world, p.FABIENNE)
