"""Importing this module registers every declaration command, observer and step handler."""

from bot.declarations import commands, observer, portfolio, reminders  # noqa: F401
