"""`/absent jusqu'au <date>`, `/absent fin`: a person away is skipped in assignments.

Declaring an absence also hands on, at once, the questions the person was asked to take or had claimed.
"""

from __future__ import annotations

from bot.commands.parser import ParsedCommand, fold
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Space
from bot.sos.assignments import member_open_assignments
from bot.sos.availability import current_absence, declare_absence, end_absence
from bot.sos.claims import give_up
from bot.sos.dates import end_of_day, parse_day, strip_lead, today_in
from bot.sos.rota_holes import warn_for_absence

END_WORDS = {"fin", "stop", "end", "retour", "termine", "terminee", "back"}


def _timezone(ctx: Context) -> str:
    return ctx.space_config.timezone if ctx.space is not None else "Europe/Paris"


@command("absent", "absente", "absence", "away", usage="/absent jusqu'au <date> | /absent fin")
async def absent(ctx: Context, cmd: ParsedCommand) -> None:
    words = strip_lead(cmd.args.split())
    tz = _timezone(ctx)
    if not words:
        running = await current_absence(ctx.session, ctx.member.id, ctx.now)
        raise UserError("sos/absent_usage", written="", until=running.ends_at if running else None)
    if fold(words[0]) in END_WORDS:
        ended = await end_absence(ctx.session, ctx.member.id, ctx.now)
        ctx.private("sos/absent_ended", was_absent=ended)
        return
    today = today_in(ctx.now, tz)
    day = parse_day(words[0], today)
    if day is None:
        raise UserError("sos/absent_usage", written=cmd.args.strip(), until=None)
    if day < today:
        raise UserError("sos/absent_past", written=words[0], day=day, today=today)
    until = end_of_day(day, tz)
    await declare_absence(ctx.session, ctx.member.id, until, ctx.now)
    handed_on = 0
    for assignment, question in await member_open_assignments(ctx.session, ctx.member.id):
        space = await ctx.session.get(Space, question.space_id)
        if space is not None:
            await give_up(ctx.session, ctx.core.space_config(space), question, assignment, "passed", ctx.now,
                          "absent")
            handed_on += 1
    # The rota: a week this leaves without cover is told to the coordinators now, while they can act.
    warned = await warn_for_absence(ctx.session, ctx.core, ctx.member, until, ctx.now)
    ctx.private("sos/absent_set", until=until, day=day, handed_on=handed_on, coordinators_warned=warned > 0)
