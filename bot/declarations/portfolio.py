"""/portfolio: the member's declarations per domain, with traces, and what certification still needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Declaration, Space
from bot.declarations.store import trace_post
from bot.referential import Domain, Referential, certification_progress, crosswalk_notes


async def trace_of(session: AsyncSession, decl: Declaration) -> dict[str, Any]:
    """What the trace is, for display: its link or text; else the post it was declared on."""
    post = await trace_post(session, decl)
    text = (decl.trace_text or "").strip()
    return {"text": text[:200] + ("…" if len(text) > 200 else ""), "link": text.startswith(("http://", "https://")),
            "post_at": post.created_at if post is not None else None}


# Built once: every declaration of the member, in every space, oldest first (ix on member_id answers it).
_MEMBER_DECLARATIONS = (select(Declaration).where(Declaration.member_id == bindparam("member_id"))
                        .order_by(Declaration.created_at, Declaration.id))


class _Declared:
    """What the portfolio reads, from one query of the member's declarations (it was three: the space's
    declarations, its validated levels, the validated codes of every space for the crosswalks)."""

    def __init__(self, space_id: str, rows: list[Declaration]) -> None:
        here = [d for d in rows if d.space_id == space_id]
        # The most recent declaration of each competence (a refused one may be declared again).
        self.latest: dict[str, Declaration] = {d.code: d for d in here}
        # The highest level validated for each competence, across all its declarations.
        self.best: dict[str, int] = {}
        for d in here:
            if d.state == "validated" and d.validated_level is not None:
                self.best[d.code] = max(d.validated_level, self.best.get(d.code, 0))
        # Codes validated per referential in every space.
        self.validated: dict[str, set[str]] = {}
        for d in rows:
            if d.state == "validated":
                self.validated.setdefault(d.referential_id, set()).add(d.code)


async def _declared(session: AsyncSession, space_id: str, member_id: int) -> _Declared:
    rows = (await session.execute(_MEMBER_DECLARATIONS, {"member_id": member_id})).scalars().all()
    return _Declared(space_id, list(rows))


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
    declared = await _declared(session, space.id, member_id)
    latest, best = declared.latest, declared.best
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
    crosswalks = crosswalk_notes(referentials or {ref.id: ref}, declared.validated, ref.id)
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
