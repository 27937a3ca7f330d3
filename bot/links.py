"""Links to a thread, for alerts that send people there. The URL shape is the platform's public one."""

from __future__ import annotations

from bot.config import SpaceConfig
from bot.refs import ThreadRef


def thread_link(thread: ThreadRef, space: SpaceConfig | None = None) -> str:
    platform, channel = thread.channel.platform, thread.channel.id
    if platform == "matrix":
        return f"https://matrix.to/#/{channel}/{thread.id}"
    if platform == "discord":
        guild = str(space.discord.get("guild", "")) if space else ""
        return f"https://discord.com/channels/{guild}/{thread.id}" if guild else f"<#{thread.id}>"
    return f"#{channel}/{thread.id}"
