"""/mes-donnees (export by DM) and /oublier (erasure, after `/oublier confirmer` within 10 minutes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import SendDirect
from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import KeyValue, Space
from bot.outbox import emit
from bot.privacy.erase import erase_member, schedule_outbox_scrub
from bot.privacy.export import collect, write_files
from bot.templates import render

CONFIRM_WITHIN = timedelta(minutes=10)
PENDING_PREFIX = "privacy.erase_pending:"
CONFIRM = ("confirmer", "confirm", "oui", "yes")
CANCEL = ("annuler", "cancel", "non", "no")


def pending_key(member_id: int) -> str:
    return f"{PENDING_PREFIX}{member_id}"


async def expire_pending(session: AsyncSession, now: datetime) -> None:
    """Forget erasure requests never confirmed (run with the daily retention)."""
    rows = (await session.execute(select(KeyValue).where(KeyValue.key.startswith(PENDING_PREFIX)))).scalars()
    for row in rows.all():
        if now - datetime.fromisoformat(row.value) > CONFIRM_WITHIN:
            await session.delete(row)


@command("mes-donnees", "mesdonnees", "mes-données", "my-data", "export-donnees", usage="/mes-donnees")
async def mes_donnees(ctx: Context, cmd: ParsedCommand) -> None:
    """Everything stored about the member, as two private files (JSON and a readable summary)."""
    data = await collect(ctx.session, ctx.member)
    json_path, md_path = write_files(data, ctx.lang, now=ctx.now)
    counts = {k: len(data[k]) for k in ("posts", "questions", "declarations", "reviews_given")}
    for template, path in (("privacy/export_ready", json_path), ("privacy/export_summary", md_path)):
        r = render(ctx.lang, template, platform=ctx.user.platform, counts=counts, file=path.name)
        ctx.out.emit(SendDirect(ctx.user, r.text, r.template, attachment_path=str(path)))


@command("oublier", "forget", "effacer-mes-donnees", "erase-me", usage="/oublier [confirmer|annuler]")
async def oublier(ctx: Context, cmd: ParsedCommand) -> None:
    word = cmd.argv[0].casefold() if cmd.argv else ""
    key = pending_key(ctx.member.id)
    pending = await ctx.session.get(KeyValue, key)
    if word in CANCEL:
        if pending is not None:
            await ctx.session.delete(pending)
        ctx.private("privacy/erase_cancelled")
        return
    if word not in CONFIRM:
        if word:
            raise UserError("privacy/erase_usage")
        if pending is None:
            ctx.session.add(KeyValue(key=key, value=ctx.now.isoformat()))
        else:
            pending.value = ctx.now.isoformat()
        ctx.private("privacy/erase_confirm", minutes=int(CONFIRM_WITHIN.total_seconds() // 60))
        return
    if pending is None or ctx.now - datetime.fromisoformat(pending.value) > CONFIRM_WITHIN:
        if pending is not None:
            await ctx.session.delete(pending)
        raise UserError("privacy/erase_no_pending", minutes=int(CONFIRM_WITHIN.total_seconds() // 60))
    user, lang = ctx.user, ctx.lang
    space_id = ctx.space.id if ctx.space else await ctx.session.scalar(select(Space.id).order_by(Space.id).limit(1))
    done = await erase_member(ctx.session, ctx.member, ctx.now)
    # The goodbye goes to the person's platform id one last time; the row is deleted once delivered.
    r = render(lang, "privacy/erased", platform=user.platform, config_listed=bool(done.config_spaces))
    row = emit(ctx.session, SendDirect(user, r.text, r.template), ctx.now)
    await ctx.session.flush()
    if space_id is not None:
        schedule_outbox_scrub(ctx.session, space_id, row.id, ctx.now + timedelta(minutes=1))
