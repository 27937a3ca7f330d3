"""`/permanence`: who is on call this week and the next ones; coordinators change a week."""

from __future__ import annotations

from datetime import timedelta

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Member
from bot.members import find_member, members_with_role, user_ref
from bot.sos.availability import absent_ids
from bot.sos.dates import parse_day, strip_lead, today_in
from bot.sos.handover import ensure_armed
from bot.sos.oncall import oncall_of_week, set_oncall, week_start
from bot.sos.rota_holes import ensure_armed as ensure_check_armed

WEEKS_SHOWN = 4


async def _trainer(ctx: Context, written: str) -> Member | None:
    """A formateur of the space named as typed: `@fabienne:hs`, a Discord mention, a name."""
    assert ctx.space is not None
    raw = written.strip().removeprefix("<@").removeprefix("!").removesuffix(">")
    trainers = await members_with_role(ctx.session, ctx.space.id, "trainer")
    for candidate in (raw, raw.lstrip("@")):
        member = await find_member(ctx.session, candidate)
        if member is not None and member in trainers:
            return member
    named = [m for m in trainers if m.display_name.casefold() == raw.lstrip("@").casefold()
             or m.platform_user_id.casefold() == raw.lstrip("@").casefold()]
    return named[0] if len(named) == 1 else None


@command("permanence", "astreinte", "oncall", "on-call", usage="/permanence [<formateur> [<date>]]")
async def permanence(ctx: Context, cmd: ParsedCommand) -> None:
    if ctx.space is None:
        raise UserError("errors/no_space")
    cfg = ctx.space_config
    today = today_in(ctx.now, cfg.timezone)
    words = strip_lead(list(cmd.argv))
    if not words:
        await _show(ctx)
        return
    if not ctx.has_role("coordinator"):
        raise UserError("sos/refuse_oncall_change")
    days = [d for w in words if (d := parse_day(w, today)) is not None]
    names = [w for w in words if parse_day(w, today) is None]
    if len(names) != 1 or len(days) > 1:
        raise UserError("sos/oncall_usage", written=cmd.args.strip())
    person = await _trainer(ctx, names[0])
    if person is None:
        raise UserError("sos/oncall_not_trainer", written=names[0])
    week = week_start(ctx.now, cfg.timezone) if not days else days[0] - timedelta(days=days[0].weekday())
    if week < week_start(ctx.now, cfg.timezone):
        raise UserError("sos/oncall_past", week=week)
    await set_oncall(ctx.session, ctx.space.id, week, person, ctx.member, ctx.now)
    await ctx.session.flush()
    await ensure_armed(ctx.session, cfg, ctx.now)
    await ensure_check_armed(ctx.session, cfg, ctx.now)
    ctx.say("sos/oncall_set", person=user_ref(person), week=week)


async def _show(ctx: Context) -> None:
    assert ctx.space is not None
    cfg = ctx.space_config
    first = week_start(ctx.now, cfg.timezone)
    weeks = []
    for k in range(WEEKS_SHOWN):
        info = await oncall_of_week(ctx.session, cfg, first + timedelta(weeks=k), ctx.now)
        weeks.append(info)
    away = await absent_ids(ctx.session, [w.member.id for w in weeks if w.member], ctx.now)
    ctx.say("sos/oncall_show", space=ctx.space.id, can_change=ctx.has_role("coordinator"),
            weeks=[{"start": w.week_start, "person": user_ref(w.member) if w.member else None, "source": w.source,
                    "absent_now": w.member is not None and w.member.id in away} for w in weeks])
