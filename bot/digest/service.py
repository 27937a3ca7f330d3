"""Importing this module registers the digest schedule, its step handlers and the /digest command."""

from bot.digest import commands, schedule  # noqa: F401
