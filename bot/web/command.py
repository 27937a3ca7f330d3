"""`/tableau`: a one-time link to the dashboard, always sent privately."""

from __future__ import annotations

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.members import spaces_of
from bot.web.auth import LINK_LIFETIME, issue_link, public_url


@command("tableau", "tableau-de-bord", "dashboard", usage="/tableau")
async def tableau(ctx: Context, cmd: ParsedCommand) -> None:
    base = await public_url(ctx.session)
    if base is None:
        raise UserError("web/not_enabled")
    if not await spaces_of(ctx.session, ctx.member.id):
        raise UserError("web/no_role")
    link = await issue_link(ctx.session, ctx.member.id, ctx.now, base)
    # A link opens a session: never in a thread others read, whatever channel the command came from.
    ctx.private("web/link", link=link, minutes=int(LINK_LIFETIME.total_seconds() // 60), in_public=not ctx.is_direct)
