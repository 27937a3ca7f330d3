"""`ticebot web` (serve the dashboard) and `ticebot web link` (a one-time link for an admin)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin import on_member
from bot.config import ConfigError, Settings, WebConfig, load_settings
from bot.db.database import Database, DatabaseUnavailable, database_url
from bot.db.models import Member
from bot.web.auth import LINK_LIFETIME, issue_link, public_url

web_app = typer.Typer(help="Tableau de bord des coordinateurs (lecture seule, dans un navigateur).",
                      invoke_without_command=True)

ConfigOption = typer.Option(None, "--config", "-c", help="Fichier ticebot.toml (base et section « web »).")
DatabaseOption = typer.Option(None, "--database",
                              help="URL de la base (sinon celle de --config, $TICEBOT_DATABASE_URL ou ticebot.db).")
PublicUrlOption = typer.Option(None, "--public-url", help="Adresse publique du tableau (liens envoyés).")


def _settings(config: Path | None) -> Settings | None:
    if config is None:
        return None
    try:
        return load_settings(config)
    except ConfigError as exc:
        typer.echo(f"Configuration invalide : {exc}", err=True)
        raise typer.Exit(2) from exc


def _web_config(settings: Settings | None, bind: str | None, url: str | None) -> WebConfig:
    base = settings.web if settings is not None and settings.web is not None else WebConfig()
    changes: dict[str, str] = {}
    if bind:
        changes["bind"] = bind
    if url:
        changes["public_url"] = url
    elif bind and (settings is None or settings.web is None):
        changes["public_url"] = f"http://{bind}"
    try:
        return WebConfig.model_validate({**base.model_dump(), **changes})
    except ValueError as exc:
        typer.echo(f"Option invalide : {exc}", err=True)
        raise typer.Exit(2) from exc


def _database(settings: Settings | None, database: str | None) -> str:
    return database or (settings.database.url if settings is not None else database_url(None))


async def _serve(config: WebConfig, url: str, language: str) -> None:
    from bot.web.server import run_web

    db = Database(url)
    try:
        await db.create_schema()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        typer.echo(f"Tableau de bord : {config.public_url} (écoute sur {config.bind}). Ctrl-C pour arrêter.")
        await run_web(config, db, language=language, stop=stop)
    finally:
        await db.dispose()


@web_app.callback()
def web(
    ctx: typer.Context,
    config: Path | None = ConfigOption,
    database: str | None = DatabaseOption,
    bind: str | None = typer.Option(None, "--bind", help="hôte:port d'écoute (défaut 127.0.0.1:8080)."),
    url: str | None = PublicUrlOption,
) -> None:
    """Sert le tableau de bord (sans sous-commande) ; `ticebot web link` imprime un lien de connexion."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web_config = _web_config(settings, bind, url)
    language = settings.bot.language if settings is not None else "fr"
    try:
        asyncio.run(_serve(web_config, _database(settings, database), language))
    except (DatabaseUnavailable, ConfigError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        pass


async def _link(url: str, raw: str, base: str | None) -> str | None:
    async def work(session: AsyncSession, member: Member) -> str:
        where = base or await public_url(session) or WebConfig().public_url
        return await issue_link(session, member.id, datetime.now(UTC), where)

    return await on_member(url, raw, work)


@web_app.command("link")
def link(
    member: str = typer.Option(..., "--member", help="Identifiant plateforme (@alice:hs, id Discord), plateforme:id."),
    config: Path | None = ConfigOption,
    database: str | None = DatabaseOption,
    url: str | None = PublicUrlOption,
) -> None:
    """Imprime un lien de connexion à usage unique (15 minutes) pour ce membre."""
    settings = _settings(config)
    base = url or (settings.web.public_url if settings is not None and settings.web is not None else None)
    try:
        found = asyncio.run(_link(_database(settings, database), member, base))
    except DatabaseUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if found is None:
        typer.echo(f"Aucun membre « {member} » dans cette base.", err=True)
        raise typer.Exit(1)
    typer.echo(found)
    print(f"(valable {int(LINK_LIFETIME.total_seconds() // 60)} minutes, une seule fois)", file=sys.stderr)
