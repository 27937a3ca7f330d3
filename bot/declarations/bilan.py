"""The bilan for the jury: one row per member × competence (state, date, validator), as CSV, HTML or PDF.

The PDF is drawn with matplotlib's PdfPages (already a dependency): text pages, no new package.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Declaration, Member, Review, Role, Space
from bot.referential import Referential
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


HEADER = [f.name for f in fields(BilanRow)]


async def bilan_rows(session: AsyncSession, space_id: str, ref: Referential) -> list[BilanRow]:
    space = await session.get(Space, space_id)
    if space is None:
        raise LookupError(space_id)
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
    tz = zone(str((space.settings or {}).get("timezone") or DEFAULT_TIMEZONE))  # the jury reads local dates
    rows: list[BilanRow] = []
    for member in members:
        latest: dict[str, Declaration] = {}
        for decl in (await session.execute(
            select(Declaration).where(Declaration.space_id == space_id, Declaration.member_id == member.id)
            .order_by(Declaration.created_at, Declaration.id)
        )).scalars():
            latest[decl.code] = decl
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
            rows.append(BilanRow(
                member=member.display_name or member.platform_user_id,
                member_id=f"{member.platform}:{member.platform_user_id}",
                domain=competence.domain, code=competence.code,
                label=decl.label if decl is not None else competence.label,
                state=decl.state if decl is not None else NOT_DECLARED,
                date=decl.updated_at.astimezone(tz).date().isoformat() if decl is not None else "",
                validator=validator,
            ))
    return rows


def to_csv(rows: list[BilanRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(astuple(row))
    return buffer.getvalue()


def to_html(rows: list[BilanRow], title: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in astuple(row)) + "</tr>" for row in rows
    )
    return (f"<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;font:12px sans-serif}"
            f"</style></head><body><h1>{html.escape(title)}</h1>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
            f"{body}\n</tbody></table></body></html>\n")


def to_pdf(rows: list[BilanRow], title: str, path: Path, per_page: int = 45) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lines = [f"{r.member[:22]:<22} {r.code:<8} {STATE_FR.get(r.state, r.state):<21} {r.date:<10} {r.validator[:20]}"
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
