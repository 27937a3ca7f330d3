"""`ticebot outbox list|retry`: see what the bot could not deliver and send it again once fixed.

A running bot picks the rows up within a minute (its loop looks at least once a minute).
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from bot.db.database import Database, database_url
from bot.outbox_admin import STATUSES, NotRetryable, OutboxLine, list_rows, retry

outbox_app = typer.Typer(help="File d'envoi : messages non remis (liste, renvoi).", no_args_is_help=True)

DATABASE_HELP = "URL de la base (défaut : $TICEBOT_DATABASE_URL ou ticebot.db)."
DatabaseOption = Annotated[str | None, typer.Option("--database", help=DATABASE_HELP)]


async def _with_db(url: str, work):  # type: ignore[no-untyped-def]
    db = Database(url)
    try:
        await db.create_schema()
        async with db.transaction() as session:
            return await work(session)
    finally:
        await db.dispose()


def _line(row: OutboxLine) -> str:
    when = (row.failed_at or row.created_at).strftime("%Y-%m-%d %H:%M UTC")
    tail = f" — {row.last_error}" if row.last_error else ""
    return (f"n° {row.id} · {row.status} · {when} · {row.platform} · {row.conversation} · {row.template} · "
            f"{row.attempts} essai{'s' if row.attempts > 1 else ''}{tail}")


@outbox_app.command("list")
def list_command(
    status: Annotated[str, typer.Option("--status", help="failed, pending, sending, sent ou all")] = "failed",
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    database: DatabaseOption = None,
) -> None:
    """Liste les messages de la file (par défaut ceux qui n'ont pas pu être remis), les plus récents d'abord."""
    if status not in (*STATUSES, "all"):
        typer.echo(f"état inconnu « {status} » (possibles : {', '.join(STATUSES)}, all)", err=True)
        raise typer.Exit(2)
    rows = asyncio.run(_with_db(database_url(database), lambda s: list_rows(s, status, limit)))
    if json_out:
        for row in rows:
            typer.echo(json.dumps(row.as_dict(), ensure_ascii=False))
        return
    if not rows:
        typer.echo("Aucun message dans cet état." if status != "failed" else "Aucun message en échec.")
    for row in rows:
        typer.echo(_line(row))


@outbox_app.command("retry")
def retry_command(
    ids: Annotated[list[int] | None, typer.Option("--id", help="Numéro du message (répétable)")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Tous les messages en échec")] = False,
    database: DatabaseOption = None,
) -> None:
    """Remet des messages en échec dans la file : ils repartent avec des essais neufs."""
    if bool(ids) == all_failed:
        typer.echo("indiquez --id N (une ou plusieurs fois) ou --all-failed", err=True)
        raise typer.Exit(2)
    try:
        count = asyncio.run(_with_db(database_url(database), lambda s: retry(s, None if all_failed else ids)))
    except NotRetryable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{count} message{'s' if count > 1 else ''} remis dans la file d'envoi.")
