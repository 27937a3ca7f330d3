"""Discord adapter (discord.py 2.x): forum posts, threads, slash commands, buttons, DMs.

adapter = DiscordAdapter.for_app(app)          # registers itself with the app
await adapter.run(app.settings.discord.token())
"""

from adapters.discord.bot import DiscordAdapter, TicebotDiscord, intents, start_discord
from adapters.discord.spaces import DiscordSpace, SpaceDirectory

__all__ = ["DiscordAdapter", "DiscordSpace", "SpaceDirectory", "TicebotDiscord", "intents", "start_discord"]
