"""`/permanence`: who is on call this week and the next ones; coordinators change a week
(`/permanence <formateur> [date]`) or fill a hole the rota check told them of
(`/permanence remplacer <semaine|date> @personne`)."""

from __future__ import annotations

from datetime import timedelta

from bot.commands.parser import ParsedCommand, fold
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Member
from bot.members import find_member, members_with_role, user_ref
from bot.sos.availability import absent_ids
from bot.sos.dates import parse_day, parse_week, strip_lead, today_in
from bot.sos.handover import ensure_armed
from bot.sos.oncall import oncall_of_week, set_oncall, week_start
from bot.sos.rota_holes import ensure_armed as ensure_check_armed

WEEKS_SHOWN = 4
REPLACE_WORDS = {"remplacer", "remplacement", "remplace", "replace", "cover"}


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


@command("permanence", "astreinte", "oncall", "on-call",
         usage="/permanence [<formateur> [<date>]] | /permanence remplacer <semaine|date> @personne")
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
    if fold(words[0]) in REPLACE_WORDS:
        await _replace(ctx, words[1:], cmd.args.strip())
        return
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


async def _replace(ctx: Context, words: list[str], written: str) -> None:
    """`/permanence remplacer <semaine|date> @personne`: the coordinator fills a rota hole (what the
    `sos/rota_hole` warning tells them to type). The person is the one word that names a formateur."""
    assert ctx.space is not None
    cfg = ctx.space_config
    today = today_in(ctx.now, cfg.timezone)
    people = [(i, m) for i, w in enumerate(words) if (m := await _trainer(ctx, w)) is not None]
    if len(people) != 1:
        if len(words) >= 2 and not people:
            named = next((w for w in words if w.startswith(("@", "<@"))), words[-1])
            raise UserError("sos/oncall_not_trainer", written=named, replace=True)
        raise UserError("sos/oncall_usage", written=written, replace=True)
    at, person = people[0]
    week = parse_week(words[:at] + words[at + 1:], today)
    if week is None:
        raise UserError("sos/oncall_usage", written=written, replace=True)
    if week < week_start(ctx.now, cfg.timezone):
        raise UserError("sos/oncall_past", week=week)
    before = await oncall_of_week(ctx.session, cfg, week, ctx.now)
    await set_oncall(ctx.session, ctx.space.id, week, person, ctx.member, ctx.now)
    await ctx.session.flush()
    await ensure_armed(ctx.session, cfg, ctx.now)
    await ensure_check_armed(ctx.session, cfg, ctx.now)
    replaced = before.member if before.member is not None and before.member.id != person.id else None
    ctx.say("sos/oncall_set", person=user_ref(person), week=week,
            replaced=user_ref(replaced) if replaced else None)


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
