"""`ticebot export bilan|badges`: the jury's bilan and Open Badges 3.0 credentials."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin import on_member
from bot.db.database import DEFAULT_URL, Database
from bot.db.models import Member, Space
from bot.declarations.badges import UNSIGNED_NOTE, badges_for
from bot.declarations.bilan import BilanRow, bilan_rows, to_csv, to_html, to_pdf
from bot.referential import Referential
from bot.referential.loader import load_all

export_app = typer.Typer(help="Exports : bilan pour le jury, badges Open Badges 3.0.", no_args_is_help=True)

DatabaseOption = typer.Option(DEFAULT_URL, "--database", envvar="TICEBOT_DATABASE_URL",
                              help="URL de la base (défaut : $TICEBOT_DATABASE_URL ou ticebot.db).")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


async def _load_bilan(space_id: str, url: str) -> tuple[list[BilanRow], str, Referential] | None:
    db = Database(url)
    try:
        await db.create_schema()
        async with db.transaction() as session:
            space = await session.get(Space, space_id)
            if space is None:
                return None
            ref = load_all()[space.referential_id]
            return await bilan_rows(session, space_id, ref), f"Bilan {space_id} — {ref.title}", ref
    finally:
        await db.dispose()


@export_app.command("bilan")
def bilan(
    space: str = typer.Option(..., "--space", help="Identifiant de l'espace."),
    fmt: str = typer.Option("csv", "--format", help="csv, html ou pdf."),
    out: Path | None = typer.Option(None, "--out", help="Fichier de sortie (défaut : écran ; PDF : bilan-ESPACE.pdf)."),
    database: str = DatabaseOption,
) -> None:
    """Une ligne par membre × compétence : état, date, validateur."""
    fmt = fmt.lower()
    if fmt not in ("csv", "html", "pdf"):
        _fail(f"Format inconnu « {fmt} » : choisissez csv, html ou pdf.")
    loaded = asyncio.run(_load_bilan(space, database))
    if loaded is None:
        _fail(f"Espace inconnu « {space} » dans cette base ({database}).")
    assert loaded is not None
    rows, title, ref = loaded
    if fmt == "pdf":
        target = out or Path(f"bilan-{space}.pdf")
        to_pdf(rows, title, target)
        typer.echo(f"{len(rows)} lignes écrites dans {target}")
        return
    text = to_csv(rows) if fmt == "csv" else to_html(rows, title, ref)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(rows)} lignes écrites dans {out}")


async def _badges(who: str, space_id: str | None, url: str) -> tuple[str, list[tuple[Any, dict[str, Any]]]] | None:
    async def work(session: AsyncSession, member: Member) -> tuple[str, list[tuple[Any, dict[str, Any]]]]:
        return member.platform_user_id, await badges_for(session, member, load_all(), space_id)

    return await on_member(url, who, work)


@export_app.command("badges")
def badges(
    member: str = typer.Option(..., "--member", help="Membre : plateforme:id, id ou nom affiché."),
    space: str | None = typer.Option(None, "--space", help="Limiter à un espace."),
    out: Path = typer.Option(Path("badges"), "--out", help="Dossier de sortie."),
    database: str = DatabaseOption,
) -> None:
    """Un AchievementCredential Open Badges 3.0 (JSON, non signé) par compétence validée."""
    found = asyncio.run(_badges(member, space, database))
    if found is None:
        _fail(f"Membre inconnu « {member} » dans cette base ({database}).")
    assert found is not None
    ident, items = found
    out.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^\w.-]+", "_", ident).strip("_") or "membre"
    for decl, cred in items:
        path = out / f"{slug}-{decl.space_id}-{decl.code}.json"
        path.write_text(json.dumps(cred, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "README.txt").write_text(
        f"{UNSIGNED_NOTE}\nOpen Badges 3.0 AchievementCredential, one file per validated competence.\n",
        encoding="utf-8")
    typer.echo(f"{len(items)} badge(s) écrit(s) dans {out} (non signés).")
