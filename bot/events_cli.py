"""`ticebot events failed|replay`: events whose handling failed, and replaying the failed step.

A running bot delivers what a replay queues within a minute.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from bot.db.database import Database, database_url

events_app = typer.Typer(help="Événements dont le traitement a échoué : liste, relance.", no_args_is_help=True)

DATABASE_HELP = "URL de la base (défaut : $TICEBOT_DATABASE_URL ou ticebot.db)."
DatabaseOption = Annotated[str | None, typer.Option("--database", help=DATABASE_HELP)]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="ticebot.toml (langue, fuseau, base)")]


async def _with_core(config: Path | None, database: str | None, work):  # type: ignore[no-untyped-def]
    from bot.clock import SystemClock
    from bot.config import Settings, load_settings
    from bot.core import Core

    settings = load_settings(config) if config is not None else Settings()
    url = database or (settings.database.url if config is not None else database_url(None))
    db = Database(url)
    try:
        await db.create_schema()
        core = Core(db, SystemClock(), settings.bot.language, default_timezone=settings.bot.timezone)
        return await work(core)
    finally:
        await db.dispose()


@events_app.command("failed")
def failed_command(
    include_replayed: Annotated[bool, typer.Option("--all", help="Aussi ceux déjà rejoués")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Liste les traitements en échec (jamais le texte des messages)."""
    from bot.event_replay import failures

    rows = asyncio.run(_with_core(config, database, lambda core: failures(core, include_replayed)))
    for row in rows:
        if json_out:
            typer.echo(json.dumps({"id": row.id, "at": row.at.isoformat(), "platform": row.platform,
                                   "event_id": row.event_id, "handler": row.handler, "error": row.error,
                                   "post_id": row.post_id,
                                   "replayed_at": row.replayed_at.isoformat() if row.replayed_at else None}))
        else:
            done = f" · rejoué le {row.replayed_at:%Y-%m-%d %H:%M}" if row.replayed_at else ""
            typer.echo(f"n° {row.id} · {row.at:%Y-%m-%d %H:%M} UTC · {row.platform}:{row.event_id} · {row.handler} · "
                       f"{row.error}{' · message ' + str(row.post_id) if row.post_id else ''}{done}")
    if not rows and not json_out:
        typer.echo("Aucun traitement en échec.")


@events_app.command("replay")
def replay_command(
    failure_id: Annotated[int, typer.Option("--id", help="Numéro de l'échec (ticebot events failed)")],
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Relance le traitement en échec sur le message enregistré, une fois la cause corrigée."""
    from bot.event_replay import NotReplayable, replay

    try:
        handler = asyncio.run(_with_core(config, database, lambda core: replay(core, failure_id)))
    except NotReplayable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    except Exception as exc:  # the handler fails again: nothing changed, the failure stays listed
        typer.echo(f"l'échec n° {failure_id} échoue encore ({type(exc).__name__}) : rien n'a été modifié", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Échec n° {failure_id} rejoué ({handler}).")
