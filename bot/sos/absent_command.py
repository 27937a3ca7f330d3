"""`/absent`: a person away is skipped in assignments, only between the absence's dates.

    /absent jusqu'au 30/10 [raison]       from now until the 30th included (also `/absent 30/10`)
    /absent du 19/10 au 30/10 [raison]    declared ahead (also `/absent 19/10-30/10`, `/absent 19/10 au 30/10`)
    /absent fin                           back now (upcoming absences stay planned)
    /absent                               the running and upcoming absences

An absence starting now also hands on, at once, the questions the person was asked to take or had
claimed; one declared ahead changes nothing until its first day. Either way the rota is checked at once
for the weeks it touches, so the coordinators hear of a hole while they can still name someone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands.parser import ParsedCommand, fold
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Space
from bot.sos.assignments import member_open_assignments
from bot.sos.availability import absences_ahead, declare_absence, end_absence
from bot.sos.claims import give_up
from bot.sos.dates import end_of_day, parse_span, today_in
from bot.sos.rota_holes import warn_for_absence

_JUST_BEFORE = timedelta(seconds=1)  # an absence ending at midnight ends on the day before
END_WORDS = {"fin", "stop", "end", "retour", "termine", "terminee", "back"}


def _timezone(ctx: Context) -> str:
    return ctx.space_config.timezone if ctx.space is not None else "Europe/Paris"


@command("absent", "absente", "absence", "away",
         usage="/absent jusqu'au <date> | /absent du <date> au <date> [raison] | /absent fin | /absent")
async def absent(ctx: Context, cmd: ParsedCommand) -> None:
    words = cmd.args.split()
    tz = _timezone(ctx)
    if not words:
        planned = await absences_ahead(ctx.session, ctx.member.id, ctx.now)
        # Not a mistake: the running and upcoming absences, with how to declare one.
        ctx.private("sos/absent_usage", written="", until=None, absences=[
            {"first": max(a.starts_at, ctx.now).astimezone(ZoneInfo(tz)).date(), "running": a.starts_at <= ctx.now,
             "last": (a.ends_at.astimezone(ZoneInfo(tz)) - _JUST_BEFORE).date(), "reason": a.reason}
            for a in planned])
        return
    if fold(words[0]) in END_WORDS:
        ended = await end_absence(ctx.session, ctx.member.id, ctx.now)
        ctx.private("sos/absent_ended", was_absent=ended,
                    upcoming=len(await absences_ahead(ctx.session, ctx.member.id, ctx.now)))
        return
    today = today_in(ctx.now, tz)
    span = parse_span(words, today)
    if span.last is None:
        # Nothing read: echo all of it; a range half read: the word that should have been the last day.
        written = span.unread if span.first is not None and span.unread else cmd.args.strip()
        raise UserError("sos/absent_usage", written=written, until=None)
    if span.last < today:
        raise UserError("sos/absent_past", written=cmd.args.strip(), day=span.last, today=today)
    if span.first is not None and span.last < span.first:
        raise UserError("sos/absent_usage", written=cmd.args.strip(), until=None, order=(span.first, span.last))
    # A first day already begun (or past: "du 01/10" typed on the 3rd) means away from now.
    starts = ctx.now if span.first is None or span.first <= today else \
        datetime.combine(span.first, time(), ZoneInfo(tz))
    until = end_of_day(span.last, tz)
    await declare_absence(ctx.session, ctx.member.id, until, ctx.now, starts=starts, reason=span.reason)
    handed_on = 0
    if starts <= ctx.now:
        for assignment, question in await member_open_assignments(ctx.session, ctx.member.id):
            space = await ctx.session.get(Space, question.space_id)
            if space is not None:
                await give_up(ctx.session, ctx.core.space_config(space), question, assignment, "passed", ctx.now,
                              "absent")
                handed_on += 1
    # The rota: a week this leaves without cover is told to the coordinators now, while they can act.
    warned = await warn_for_absence(ctx.session, ctx.core, ctx.member, until, ctx.now, starts=starts)
    ctx.private("sos/absent_set", until=until, day=span.last, first=span.first if starts > ctx.now else None,
                reason=span.reason or None, handed_on=handed_on, coordinators_warned=warned > 0)

