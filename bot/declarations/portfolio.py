"""/portfolio: the member's declarations per domain, with traces, and what certification still needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Declaration, Space
from bot.declarations.store import latest_by_code, trace_post
from bot.referential import Referential, certification_progress


async def trace_of(session: AsyncSession, decl: Declaration) -> dict[str, Any]:
    """What the trace is, for display: its link or text; else the post it was declared on."""
    post = await trace_post(session, decl)
    text = (decl.trace_text or "").strip()
    return {"text": text[:200] + ("…" if len(text) > 200 else ""), "link": text.startswith(("http://", "https://")),
            "post_at": post.created_at if post is not None else None}


async def portfolio_data(session: AsyncSession, ref: Referential, space: Space, member_id: int) -> dict[str, Any]:
    latest = await latest_by_code(session, space.id, member_id)
    progress = certification_progress(ref, {code: d.state for code, d in latest.items()})
    domains = []
    for domain in ref.domains:
        items = []
        counts = {"validated": 0, "pending": 0, "needs_info": 0, "not_validated": 0}
        for competence in domain.competences:
            decl = latest.get(competence.code)
            if decl is None:
                continue
            bucket = "pending" if decl.state in ("declared", "in_review") else decl.state
            counts[bucket] += 1
            items.append({"id": decl.id, "code": decl.code, "label": decl.label, "state": decl.state,
                          "trace": await trace_of(session, decl)})
        domains.append({"code": domain.code, "label": domain.label, "total": len(domain.competences),
                        "items": items, **counts})
    return {"referential": ref.title, "domains": domains, "certified": progress.certified,
            "validated": progress.validated, "required": progress.required, "missing": progress.missing,
            "has_rule": ref.rules.certification is not None}


@command("portfolio", "competences", "compétences", usage="/portfolio")
async def portfolio(ctx: Context, cmd: ParsedCommand) -> None:
    if ctx.space is None:
        raise UserError("errors/no_space")
    ref = ctx.core.referential_for(ctx.space)
    ctx.private("declarations/portfolio", who=ctx.user,
                **await portfolio_data(ctx.session, ref, ctx.space, ctx.member.id))
