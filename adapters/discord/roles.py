"""Role reconciliation, both ways, at every (re)connection and live.

Discord does not tell a bot what changed while it was away. At connection the core is told the roles
of everyone who holds a mapped role now, and — from the list kept in the kv store of who held one when
last told — of everyone who lost every mapped role or left the guild meanwhile (with no role: the
core's MemberRolesChanged replaces platform roles, so a demoted formateur loses validation rights).
Members who never held a mapped role are not announced: the core would record people who never spoke.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import discord

from adapters.discord import state, translate
from adapters.discord.spaces import DiscordSpace
from adapters.discord.state import KeyValue
from bot.events import CoreEvent

log = logging.getLogger(__name__)

Submit = Callable[[CoreEvent | None], Awaitable[None]]


def _stamp() -> int:
    return discord.utils.time_snowflake(discord.utils.utcnow())


class RoleLedger:
    """Who was last told to the core with which mapped roles, per guild (mirrored in the kv store)."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    async def load(self, guild_id: int) -> dict[str, list[str]]:
        raw = await self.kv.kv_get(state.role_holders(guild_id))
        try:
            found = json.loads(raw) if raw else {}
        except ValueError:
            found = {}
        return found if isinstance(found, dict) else {}

    async def save(self, guild_id: int, holders: dict[str, list[str]]) -> None:
        await self.kv.kv_set(state.role_holders(guild_id), json.dumps(holders, sort_keys=True))

    async def reconcile(self, guild: discord.Guild, space: DiscordSpace, submit: Submit) -> None:
        before = await self.load(guild.id)
        now: dict[str, list[str]] = {}
        for member in guild.members:
            roles = space.core_roles(member.roles)
            if roles and not member.bot:
                now[str(member.id)] = sorted(roles)
                await submit(translate.roles_changed(member, space.space_id, roles, _stamp()))
        gone = sorted(set(before) - set(now))
        if gone and not guild.chunked:
            # Part of the member list is missing: "not seen" is not "left"; try again next connection.
            log.warning("discord: guild %s not fully loaded; %d role losses left for later", guild.id, len(gone))
            now.update({user_id: before[user_id] for user_id in gone})
            gone = []
        for user_id in gone:
            member = guild.get_member(int(user_id))
            await submit(translate.roles_lost(int(user_id), member, guild.id, space.space_id, _stamp()))
        if gone:
            log.info("discord: %d member(s) of guild %s lost their mapped roles while away", len(gone), guild.id)
        await self.save(guild.id, now)

    async def changed(self, member: discord.Member, space: DiscordSpace, submit: Submit) -> None:
        """A live change (GUILD_MEMBER_UPDATE)."""
        roles = space.core_roles(member.roles)
        holders = await self.load(member.guild.id)
        if sorted(roles) == holders.get(str(member.id), []):
            return
        await submit(translate.roles_changed(member, space.space_id, roles, _stamp()))
        if roles:
            holders[str(member.id)] = sorted(roles)
        else:
            holders.pop(str(member.id), None)
        await self.save(member.guild.id, holders)

    async def left(self, guild_id: int, user_id: int, space: DiscordSpace, submit: Submit) -> None:
        """GUILD_MEMBER_REMOVE: someone who held a mapped role holds none any more."""
        holders = await self.load(guild_id)
        if str(user_id) not in holders:
            return
        await submit(translate.roles_lost(user_id, None, guild_id, space.space_id, _stamp()))
        holders.pop(str(user_id))
        await self.save(guild_id, holders)
