"""`ticebot member export|erase`: an administrator answers a member's access or erasure request."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin import on_member
from bot.db.database import database_url
from bot.db.models import Member
from bot.privacy.erase import Erasure, erase_member
from bot.privacy.export import collect, write_files

member_app = typer.Typer(help="Données personnelles d'un membre : export (droit d'accès), effacement.",
                         no_args_is_help=True)

MemberOption = typer.Option(..., "--member",
                            help="Identifiant plateforme (@alice:hs, id Discord, nom) ou plateforme:id.")
DatabaseOption = typer.Option(None, "--database", help="URL de la base (défaut : $TICEBOT_DATABASE_URL ou ticebot.db).")


def _url(database: str | None) -> str:
    return database_url(database)


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


async def _export(url: str, raw: str, space: str | None, out: Path | None, lang: str) -> tuple[Path, Path] | None:
    async def work(session: AsyncSession, member: Member) -> tuple[Path, Path]:
        data = await collect(session, member, space)
        return write_files(data, member.language or lang, out=out, now=datetime.now(UTC))

    return await on_member(url, raw, work)


async def _erase(url: str, raw: str) -> Erasure | None:
    async def work(session: AsyncSession, member: Member) -> Erasure:
        return await erase_member(session, member, datetime.now(UTC))

    return await on_member(url, raw, work)


@member_app.command("export")
def export(
    member: str = MemberOption,
    space: str | None = typer.Option(None, "--space", help="Limiter à un espace."),
    database: str | None = DatabaseOption,
    out: Path | None = typer.Option(None, "--out", help="Fichier JSON ; le résumé Markdown est écrit à côté (.md)."),
    lang: str = typer.Option("fr", "--lang", help="Langue du résumé (fr, en)."),
) -> None:
    """Tout ce qui est enregistré sur un membre : un fichier JSON et un résumé lisible."""
    written = asyncio.run(_export(_url(database), member, space, out, lang))
    if written is None:
        _fail(f"Aucun membre « {member} » dans cette base.")
    assert written is not None
    typer.echo(f"{written[0]}\n{written[1]}")


@member_app.command("erase")
def erase(
    member: str = MemberOption,
    database: str | None = DatabaseOption,
    yes: bool = typer.Option(False, "--yes", "-y", help="Ne pas demander de confirmation."),
) -> None:
    """Efface un membre : données supprimées ou pseudonymisées de façon irréversible."""
    if not yes:
        typer.confirm(f"Effacer définitivement les données de « {member} » ?", abort=True)
    done = asyncio.run(_erase(_url(database), member))
    if done is None:
        _fail(f"Aucun membre « {member} » dans cette base.")
    assert done is not None
    typer.echo(f"Membre n° {done.member_id} effacé ({done.pseudonym}).")
    if done.config_spaces:
        typer.echo("Attention : cette personne figure dans la configuration (ticebot.toml) des espaces "
                   f"{', '.join(done.config_spaces)} : retirez-la, sinon elle sera recréée au prochain démarrage.")
