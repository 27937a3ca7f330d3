"""Commands that belong to no capability: help and language."""

from __future__ import annotations

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError


@command("aide", "help", "commandes", usage="/aide")
async def aide(ctx: Context, cmd: ParsedCommand) -> None:
    ctx.private("general/help", commands=sorted(spec.usage for spec in ctx.core.registry.commands.values()))


@command("langue", "language", usage="/langue fr|en")
async def langue(ctx: Context, cmd: ParsedCommand) -> None:
    choice = (cmd.argv[0].lower() if cmd.argv else "")[:2]
    if choice not in ("fr", "en"):
        raise UserError("general/language_usage")
    ctx.member.language = choice
    ctx.private("general/language_set", language=choice)
