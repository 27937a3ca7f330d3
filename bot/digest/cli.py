"""`ticebot digest preview --space S`: the community digest of the last 7 days, in the terminal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.db.database import database_url

digest_app = typer.Typer(help="Bilans hebdomadaires (digests).", no_args_is_help=True)


async def preview_text(space_id: str, database_url: str, lang: str | None = None, chart: Path | None = None,
                       now: datetime | None = None) -> str:
    from bot.clock import SystemClock
    from bot.core import Core
    from bot.db.database import Database
    from bot.db.models import Space
    from bot.digest.chart import render_chart
    from bot.digest.community import community_digest
    from bot.digest.periods import week_ending
    from bot.templates import render

    db = Database(database_url)
    try:
        core = Core(db, SystemClock())
        async with db.transaction() as session:
            space = await session.get(Space, space_id)
            if space is None:
                raise LookupError(space_id)
            cfg = core.space_config(space)
            now = now or datetime.now(UTC)
            start, end = week_ending(now, cfg.timezone)
            digest = await community_digest(session, core.referential_for(space), cfg, start, end, now)
        language = lang or space.language
        if chart is not None:
            render_chart(digest, chart, language, cfg.timezone)
        return render(language, "digest/community", late=None, weekly=False, **digest.values()).text
    finally:
        await db.dispose()


@digest_app.command("preview")
def preview(
    space: Annotated[str, typer.Option("--space", "-s", help="Identifiant de l'espace")],
    database: Annotated[str | None, typer.Option("--database", help="URL de la base (défaut : "
                                                 "$TICEBOT_DATABASE_URL ou ticebot.db)")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="fr ou en (défaut : la langue de l'espace)")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Écrire aussi le graphique PNG ici")] = None,
) -> None:
    """Affiche le bilan des 7 derniers jours d'un espace, sans rien publier."""
    if lang is not None and lang not in ("fr", "en"):
        typer.echo("--lang : fr ou en", err=True)
        raise typer.Exit(2)
    url = database_url(database)
    try:
        text = asyncio.run(preview_text(space, url, lang, chart))
    except LookupError:
        typer.echo(f"espace inconnu « {space} » dans cette base", err=True)
        raise typer.Exit(2) from None
    typer.echo(text)
    if chart is not None:
        typer.echo(f"\n[graphique : {chart}]")
