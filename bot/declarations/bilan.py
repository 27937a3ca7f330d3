"""The bilan for the jury: one row per member × competence (state, date, validator), as CSV, HTML or PDF.

The same rows make a member's own bilan (`/bilan`, sent privately as an HTML file). Referentials with
levels add the declared and validated level and, in HTML, a level profile chart per member; crosswalks
add what a validation says about the other referential. The PDF is drawn with matplotlib's PdfPages
(already a dependency): text pages, no new package.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import os
import secrets
from dataclasses import astuple, dataclass, fields
from datetime import datetime, tzinfo
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import SendDirect
from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Declaration, Member, Review, Role, Space
from bot.declarations.store import validated_levels
from bot.referential import Referential
from bot.templates import render
from bot.timezones import DEFAULT_TIMEZONE, zone

NOT_DECLARED = "not_declared"
STATE_FR = {"declared": "déclarée", "in_review": "en examen", "validated": "validée", "not_validated": "non validée",
            "needs_info": "précisions demandées", NOT_DECLARED: "non déclarée"}  # fmt: skip


@dataclass
class BilanRow:
    member: str
    member_id: str
    domain: str
    code: str
    label: str
    state: str
    date: str  # ISO date of the last change, empty when never declared
    validator: str  # who decided (validated / not validated), empty otherwise
    level_declared: str = ""  # referentials with levels: the level of the latest declaration
    level_validated: str = ""  # the highest level validated
    crosswalk: str = ""  # validated: what the crosswalks point to, e.g. "crcn 1.1"


HEADER = [f.name for f in fields(BilanRow)]


def _crosswalk_text(ref: Referential, code: str) -> str:
    return "; ".join(f"{walk.to} {', '.join(walk.map[code])}" for walk in ref.crosswalks if code in walk.map)


async def bilan_rows(
    session: AsyncSession, space_id: str, ref: Referential, member_id: int | None = None
) -> list[BilanRow]:
    """Every member of the space × every competence; only one member's rows when `member_id` is set."""
    space = await session.get(Space, space_id)
    if space is None:
        raise LookupError(space_id)
    tz = zone(str((space.settings or {}).get("timezone") or DEFAULT_TIMEZONE))  # the jury reads local dates
    if member_id is not None:
        one = await session.get(Member, member_id)
        return await _member_rows(session, space_id, ref, one, tz) if one is not None and one.erased_at is None else []
    members = list((await session.execute(
        select(Member).join(Role, Role.member_id == Member.id)
        .where(Role.space_id == space_id, Role.role == "member", Member.erased_at.is_(None))
        .order_by(Member.display_name, Member.id)
    )).scalars().unique())
    # Anyone who declared counts too (a tutor preparing the certificate, say).
    declared_ids = set((await session.execute(
        select(Declaration.member_id).where(Declaration.space_id == space_id))).scalars())
    known = {m.id for m in members}
    for member_id in sorted(declared_ids - known):
        extra = await session.get(Member, member_id)
        if extra is not None and extra.erased_at is None:
            members.append(extra)
    rows: list[BilanRow] = []
    for member in members:
        rows += await _member_rows(session, space_id, ref, member, tz)
    return rows


async def _member_rows(session: AsyncSession, space_id: str, ref: Referential, member: Member,
                       tz: tzinfo) -> list[BilanRow]:
    latest: dict[str, Declaration] = {}
    for decl in (await session.execute(
        select(Declaration).where(Declaration.space_id == space_id, Declaration.member_id == member.id)
        .order_by(Declaration.created_at, Declaration.id)
    )).scalars():
        latest[decl.code] = decl
    best = await validated_levels(session, space_id, member.id)
    rows = []
    for competence in ref.competences():
        decl = latest.get(competence.code)
        validator = ""
        if decl is not None and decl.state in ("validated", "not_validated"):
            review = (await session.execute(
                select(Review).where(Review.declaration_id == decl.id, Review.to_state == decl.state)
                .order_by(Review.at.desc()).limit(1)
            )).scalar_one_or_none()
            actor = await session.get(Member, review.actor_id) if review and review.actor_id else None
            validator = actor.display_name if actor else ""
        validated = decl is not None and decl.state == "validated"
        rows.append(BilanRow(
            member=member.display_name or member.platform_user_id,
            member_id=f"{member.platform}:{member.platform_user_id}",
            domain=competence.domain, code=competence.code,
            label=decl.label if decl is not None else competence.label,
            state=decl.state if decl is not None else NOT_DECLARED,
            date=decl.updated_at.astimezone(tz).date().isoformat() if decl is not None else "",
            validator=validator,
            level_declared=str(decl.level) if decl is not None and decl.level is not None else "",
            level_validated=str(best[competence.code]) if competence.code in best else "",
            crosswalk=_crosswalk_text(ref, competence.code) if validated else "",
        ))
    return rows


def to_csv(rows: list[BilanRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(astuple(row))
    return buffer.getvalue()


def to_html(rows: list[BilanRow], title: str, ref: Referential | None = None) -> str:
    """The table; with a referential that has levels, one level profile chart per member above it,
    and the crosswalks' own notes below it (a correspondence is a judgement, not an equivalence)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in astuple(row)) + "</tr>" for row in rows
    )
    charts = ""
    if ref is not None and ref.level_numbers():
        from bot.declarations.level_chart import profile_png

        by_member: dict[str, list[BilanRow]] = {}
        for row in rows:
            by_member.setdefault(row.member_id, []).append(row)
        for member_rows in by_member.values():
            png = profile_png(ref, {r.code: int(r.level_validated) for r in member_rows if r.level_validated},
                              {r.code: int(r.level_declared) for r in member_rows if r.level_declared},
                              title=member_rows[0].member)
            charts += (f"<figure><img alt=\"profil de niveaux de {html.escape(member_rows[0].member)}\" "
                       f"src=\"data:image/png;base64,{base64.b64encode(png).decode()}\"></figure>\n")
    notes = ""
    if ref is not None and ref.crosswalks and any(r.crosswalk for r in rows):
        notes = "".join(f"<p><strong>{html.escape(ref.id)} → {html.escape(w.to)}</strong> : {html.escape(w.note)}</p>"
                        for w in ref.crosswalks if w.note)
    return (f"<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;font:12px sans-serif}"
            "img{max-width:100%}"
            f"</style></head><body><h1>{html.escape(title)}</h1>\n{charts}<table>\n<thead><tr>{head}</tr></thead>\n"
            f"<tbody>\n{body}\n</tbody></table>\n{notes}</body></html>\n")


def to_pdf(rows: list[BilanRow], title: str, path: Path, per_page: int = 45) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lines = [f"{r.member[:22]:<22} {r.code:<8} {STATE_FR.get(r.state, r.state):<21} {r.date:<10} {r.validator[:20]:<20}"
             + (f" niv. {r.level_validated or '—'}/{r.level_declared or '—'}" if r.level_declared or r.level_validated
                else "") + (f" → {r.crosswalk}" if r.crosswalk else "")
             for r in rows]
    pages = [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    with PdfPages(path) as pdf:
        for number, page in enumerate(pages, start=1):
            fig = plt.figure(figsize=(8.27, 11.69))  # A4 portrait
            fig.text(0.06, 0.96, f"{title} — page {number}/{len(pages)}", fontsize=11, weight="bold")
            fig.text(0.06, 0.93, f"{'membre':<22} {'code':<8} {'état':<21} {'date':<10} validateur",
                     family="monospace", fontsize=8, weight="bold")
            for i, line in enumerate(page):
                fig.text(0.06, 0.91 - i * 0.0195, line, family="monospace", fontsize=8)
            pdf.savefig(fig)
            plt.close(fig)


def write_member_bilan(page: str, member_id: int, now: datetime) -> Path:
    """Write a member's bilan beside their data exports: owner-only, and removed with them (after 7
    days by the retention purge, at once by /oublier), as its name starts like theirs."""
    from bot.privacy.export import EXPORT_PREFIX, data_dir

    path = data_dir() / f"{EXPORT_PREFIX}{member_id}-bilan-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.html"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(page)
    return path


@command("bilan", "mon-bilan", "my-bilan", "report", usage="/bilan")
async def bilan_command(ctx: Context, cmd: ParsedCommand) -> None:
    """The member's own bilan, the jury's content, as an HTML file sent privately."""
    if ctx.space is None:
        raise UserError("errors/no_space")
    ref = ctx.core.referential_for(ctx.space)
    rows = await bilan_rows(ctx.session, ctx.space.id, ref, member_id=ctx.member.id)
    name = ctx.member.display_name or ctx.member.platform_user_id
    page = to_html(rows, f"Bilan de {name} — {ctx.space.id} — {ref.title}", ref)
    path = write_member_bilan(page, ctx.member.id, ctx.now)
    validated = sum(1 for r in rows if r.state == "validated")
    r = render(ctx.lang, "declarations/bilan_ready", space=ctx.space.id, referential=ref.title,
               validated=validated, total=len(rows), file=path.name, in_public=not ctx.is_direct)
    ctx.out.emit(SendDirect(ctx.user, r.text, r.template, attachment_path=str(path)))
