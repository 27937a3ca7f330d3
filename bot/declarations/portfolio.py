"""/portfolio: the member's declarations per domain, with traces, and what certification still needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Declaration, Space
from bot.declarations.store import latest_by_code, trace_post, validated_levels
from bot.referential import Domain, Referential, certification_progress, crosswalk_notes


async def trace_of(session: AsyncSession, decl: Declaration) -> dict[str, Any]:
    """What the trace is, for display: its link or text; else the post it was declared on."""
    post = await trace_post(session, decl)
    text = (decl.trace_text or "").strip()
    return {"text": text[:200] + ("…" if len(text) > 200 else ""), "link": text.startswith(("http://", "https://")),
            "post_at": post.created_at if post is not None else None}


async def validated_codes(session: AsyncSession, member_id: int) -> dict[str, set[str]]:
    """Codes the member has validated, per referential, in every space (for the crosswalks)."""
    rows = await session.execute(select(Declaration.referential_id, Declaration.code).where(
        Declaration.member_id == member_id, Declaration.state == "validated"))
    found: dict[str, set[str]] = {}
    for ref_id, code in rows.all():
        found.setdefault(ref_id, set()).add(code)
    return found


def _profile(
    ref: Referential, domain: Domain, latest: dict[str, Declaration], best: dict[str, int]
) -> list[dict[str, Any]]:
    """One line per competence of the domain: validated and declared level (None when absent)."""
    top = max(ref.level_numbers() or [0])
    rows = []
    for competence in domain.competences:
        decl = latest.get(competence.code)
        declared = decl.level if decl is not None and decl.state != "not_validated" else None
        rows.append({"code": competence.code, "validated": best.get(competence.code), "declared": declared,
                     "top": top})
    return rows


async def portfolio_data(
    session: AsyncSession, ref: Referential, space: Space, member_id: int,
    referentials: Mapping[str, Referential] | None = None,
) -> dict[str, Any]:
    latest = await latest_by_code(session, space.id, member_id)
    best = await validated_levels(session, space.id, member_id)
    progress = certification_progress(ref, {code: d.state for code, d in latest.items()}, best)
    has_levels = bool(ref.level_numbers()) or any(c.levels for c in ref.competences())
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
                          "level": decl.level, "validated_level": best.get(decl.code),
                          "trace": await trace_of(session, decl)})
        profile = _profile(ref, domain, latest, best) if has_levels else []
        domains.append({"code": domain.code, "label": domain.label, "total": len(domain.competences),
                        "items": items, "profile": profile,
                        "best_level": progress.per_domain[domain.code].best_level
                        if domain.code in progress.per_domain else None, **counts})
    rule = ref.rules.certification
    crosswalks = crosswalk_notes(referentials or {ref.id: ref}, await validated_codes(session, member_id), ref.id)
    return {"referential": ref.title, "domains": domains, "certified": progress.certified,
            "validated": progress.validated, "required": progress.required, "missing": progress.missing,
            "has_rule": rule is not None, "has_levels": has_levels,
            "level_rules": [r.label or f"niveau {r.min_level}" for r in rule.levels] if rule else [],
            "crosswalks": crosswalks}


@command("portfolio", "competences", "compétences", usage="/portfolio")
async def portfolio(ctx: Context, cmd: ParsedCommand) -> None:
    if ctx.space is None:
        raise UserError("errors/no_space")
    ref = ctx.core.referential_for(ctx.space)
    ctx.private("declarations/portfolio", who=ctx.user,
                **await portfolio_data(ctx.session, ref, ctx.space, ctx.member.id, ctx.core.referentials))
