"""/digest on|off (anyone: the personal digest by DM) and /digest maintenant (coordinator)."""

from __future__ import annotations

from datetime import timedelta

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.digest.periods import week_ending
from bot.digest.schedule import post_community

ON = ("on", "oui", "yes", "activer")
OFF = ("off", "non", "no", "desactiver", "désactiver", "stop")
NOW = ("maintenant", "now")


@command("digest", "resume", "résumé", usage="/digest on|off|maintenant")
async def digest(ctx: Context, cmd: ParsedCommand) -> None:
    choice = cmd.argv[0].casefold() if cmd.argv else ""
    if choice in ON or choice in OFF:
        ctx.member.digest_opt_in = choice in ON
        ctx.private("digest/opt_in" if choice in ON else "digest/opt_out")
        return
    if choice in NOW:
        if ctx.space is None:
            raise UserError("errors/no_space")
        if not ctx.has_role("coordinator"):
            raise UserError("digest/refuse_now")
        start, _ = week_ending(ctx.now, ctx.space_config.timezone)
        end = ctx.now + timedelta(seconds=1)  # up to now, this very minute included
        posted = await post_community(ctx.core, ctx.session, ctx.space, start, end, ctx.now, weekly=False)
        ctx.private("digest/now_posted" if posted else "digest/no_channel")
        return
    raise UserError("digest/usage", opted_in=ctx.member.digest_opt_in, coordinator=ctx.has_role("coordinator"))
