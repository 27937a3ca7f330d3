"""`/sla`: the SLA report for staff, with who holds each open question and the staff load."""

from __future__ import annotations

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Member, Post
from bot.delivery_failures import failed_deliveries
from bot.limits import excerpt
from bot.members import user_ref
from bot.sos.sla import sla_report
from bot.sos.sla_staff import holders, staff_report

STAFF = ("trainer", "coordinator")
LOAD_SHOWN = 8


@command("sla", "delais", "délais", usage="/sla")
async def sla(ctx: Context, cmd: ParsedCommand) -> None:
    if ctx.space is None:
        raise UserError("errors/no_space")
    if not ctx.has_role(*STAFF):
        raise UserError("sos/refuse_sla")
    report = await sla_report(ctx.session, ctx.now, ctx.space.id)
    staff = await staff_report(ctx.session, ctx.now, ctx.space.id)
    pending = []
    for row in await holders(ctx.session, ctx.space.id):
        q = row.question
        asker = await ctx.session.get(Member, q.asker_id)
        post = await ctx.session.get(Post, q.post_id)
        pending.append({"number": q.id, "asker": user_ref(asker) if asker else None,
                        "remaining": q.deadline_at - ctx.now, "overdue": q.deadline_at <= ctx.now,
                        "claimed": row.state == "acknowledged", "state": row.state, "since": row.since,
                        "holder": user_ref(row.holder) if row.holder else None,
                        "text": q.title or (excerpt(post.text or "", 80) if post else "")})
    # Coordinators are the ones told about undelivered messages (bot/delivery_failures.py): the report
    # shows them what is still failed, whatever happened to the summary they were sent.
    failures, failed_total = [], 0
    if ctx.has_role("coordinator"):
        failures, failed_total = await failed_deliveries(ctx.session, ctx.space.id)
    ctx.private("sos/sla", report=report, staff=staff, load=staff.load[:LOAD_SHOWN], pending=pending,
                space=ctx.space.id, failures=failures, total=failed_total)
