"""The `ticebot` command. Sub-commands stay thin: each calls into the module that does the work."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

import adapters.console as console_adapter
from bot.config import ConfigError

app = typer.Typer(help="ticebot — SOS TICE, compétences et communautés de pratique.", no_args_is_help=True,
                  add_completion=False)
db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
app.add_typer(db_app, name="db")


# name, module, attribute: the sub-apps that live beside their capability. Each one must load: a sub-command
# that silently disappears (a broken install, a typo in an import) is worse than a CLI that refuses to start.
SUBCOMMANDS: tuple[tuple[str, str, str], ...] = (
    ("referential", "bot.referential.cli", "referential_app"),
    ("tagging", "bot.tagging.cli", "tagging_app"),
    ("export", "bot.declarations.cli", "export_app"),
    ("badge", "bot.declarations.cli", "badge_app"),
    ("digest", "bot.digest.cli", "digest_app"),
    ("member", "bot.privacy.cli", "member_app"),
    ("outbox", "bot.outbox_cli", "outbox_app"),
    ("events", "bot.events_cli", "events_app"),
    ("web", "bot.web.cli", "web_app"),
)


class SubcommandUnavailable(Exception):
    """A sub-command's module could not be loaded; the message names both."""


def _load(name: str, module: str, attribute: str) -> typer.Typer:
    try:
        sub = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise SubcommandUnavailable(
            f"ticebot : la sous-commande « {name} » ne peut pas être chargée ({module} : {exc})"
        ) from exc
    if not isinstance(sub, typer.Typer):
        raise SubcommandUnavailable(f"ticebot : la sous-commande « {name} » ({module}.{attribute}) n'est pas une Typer")
    return sub


def tag(
    texts: Annotated[list[str], typer.Argument(help="Texte(s) à étiqueter")],
    referential: Annotated[str, typer.Option("--referential", "-r")] = "c2i2e",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Étiquette un texte avec les compétences d'un référentiel."""
    from bot.tagging.cli import tag_command

    tag_command(referential, texts, json_out)


_mounted: set[int] = set()


def _mount(target: typer.Typer | None = None) -> typer.Typer:
    """Add every sub-app to `target` (the module's `app` by default), once; raises SubcommandUnavailable."""
    target = app if target is None else target
    if id(target) in _mounted:
        return target
    subs = [(name, _load(name, module, attribute)) for name, module, attribute in SUBCOMMANDS]
    for name, sub in subs:
        target.add_typer(sub, name=name)
    target.command("tag")(tag)
    _mounted.add(id(target))
    return target


def build_app() -> typer.Typer:
    """A fresh `ticebot` app: the commands of this module plus every sub-app."""
    target = typer.Typer(help=app.info.help, no_args_is_help=True, add_completion=False)
    target.registered_commands.extend(_CORE_COMMANDS)
    target.registered_groups.extend(_CORE_GROUPS)
    return _mount(target)


DEMO_SCRIPT = Path(console_adapter.__file__).resolve().parent / "scenarios" / "demo.tice"  # package data


async def _replay(script: str, json_lines: bool, interactive: bool, echo: bool, database: str | None = None) -> int:
    from adapters.console.replay import ExpectationFailed, Replay
    from adapters.console.script import ScriptError

    replay = Replay(emit=lambda line: print(line, flush=True), json_lines=json_lines, echo_posts=echo,
                    database_url=database)
    try:
        try:
            await replay.run_script(script)
        except (ScriptError, ExpectationFailed) as exc:
            print(f"Erreur dans le scénario : {exc}", file=sys.stderr)
            return 1
        if interactive:
            print("\nÀ vous : écrivez des lignes de scénario (ex. « alice in sos: Ma question ? », "
                  "« +1d », « fabienne reply: … », « alice dm: /portfolio »). Ctrl-D pour quitter.")
            while True:
                try:
                    line = await asyncio.to_thread(input, "> ")
                except EOFError:
                    break
                try:
                    await replay.run_line(line)
                except (ScriptError, ExpectationFailed) as exc:
                    print(f"  {exc}")
        return 0
    finally:
        await replay.close()


@app.command()
def demo(json_out: Annotated[bool, typer.Option("--json", help="Actions en JSON, une par ligne")] = False) -> None:
    """Joue le scénario de démonstration (horloge simulée, SQLite embarqué), puis la main est à vous."""
    interactive = sys.stdin.isatty() and not json_out
    raise typer.Exit(asyncio.run(_replay(DEMO_SCRIPT.read_text(encoding="utf-8"), json_out, interactive, True)))


@app.command()
def replay(
    script: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Fichier de scénario")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
    database: Annotated[str | None, typer.Option("--database", help="Garder l'état dans cette base (URL)")] = None,
) -> None:
    """Rejoue un scénario et affiche chaque action du bot."""
    raise typer.Exit(asyncio.run(_replay(script.read_text(encoding="utf-8"), json_out, False, not json_out,
                                         database)))


@app.command()
def simulate(
    days: Annotated[int, typer.Option("--days")] = 120,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    database: Annotated[str | None, typer.Option(
        "--database", help="Garder l'état de la simulation avec ticebot dans cette base (URL)")] = None,
    oncall_in_holidays: Annotated[bool, typer.Option(
        "--oncall-in-holidays", help="la personne de permanence reste joignable en vacances")] = False,
    policy: Annotated[str, typer.Option(
        "--policy", help='clés de [spaces.sos] à essayer, en JSON : \'{"loop": 1}\'')] = "",
    backup: Annotated[bool, typer.Option(
        "--backup", help="un espace voisin dont les formateurs secondent celui-ci (backup_spaces)")] = False,
    explain: Annotated[bool, typer.Option(
        "--explain", help="pourquoi chaque question manquée l'a été, et où vont les messages personnels")] = False,
) -> None:
    """Simule un semestre sans et avec le bot (même questions, mêmes absences) et compare les délais."""
    from pydantic import ValidationError

    from bot.config import SosPolicy
    from bot.sos.simulate import format_comparison, run_comparison

    try:
        overrides = json.loads(policy) if policy else None
        SosPolicy(**(overrides or {}))
    except (json.JSONDecodeError, TypeError, ValidationError) as exc:
        if isinstance(exc, ValidationError):
            error = exc.errors()[0]
            why = f"clé « {'.'.join(str(p) for p in error['loc'])} » : {error['msg']}"
        else:
            why = f"JSON illisible ({exc})"
        print(f"--policy : {why} ; exemple : --policy '{{\"loop\": 1}}'", file=sys.stderr)
        raise typer.Exit(2) from exc
    result = asyncio.run(run_comparison(days=days, seed=seed, policy=overrides, oncall_in_holidays=oncall_in_holidays,
                                     database_url=database, explain=explain, backup=backup))
    print(json.dumps(result, ensure_ascii=False, indent=2) if json_out else format_comparison(result))


@db_app.command("upgrade")
def db_upgrade(
    config: Annotated[Path | None, typer.Option("--config")] = None,
    url: Annotated[str | None, typer.Option("--url")] = None,
) -> None:
    """Crée ou met à jour le schéma (migrations Alembic)."""
    from bot.db.database import Database, DatabaseUnavailable

    database_url = url or (_settings(config).database.url if config else "sqlite+aiosqlite:///ticebot.db")

    async def go() -> None:
        db = Database(database_url)
        try:
            await db.create_schema()
        finally:
            await db.dispose()

    try:
        asyncio.run(go())
    except DatabaseUnavailable as exc:
        print(exc, file=sys.stderr)
        raise typer.Exit(2) from exc
    print("Schéma à jour.")


def _settings(path: Path):  # type: ignore[no-untyped-def]
    from bot.config import load_settings

    try:
        return load_settings(path)
    except ConfigError as exc:
        print(f"Configuration invalide : {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc


@app.command()
def run(config: Annotated[Path, typer.Option("--config", "-c")] = Path("ticebot.toml")) -> None:
    """Lance le bot avec les adaptateurs configurés (Matrix, Discord)."""
    from bot.logs import configure_logging
    from bot.runner import run_from_settings

    settings = _settings(config)
    configure_logging(settings.bot)
    try:
        asyncio.run(run_from_settings(settings))
    except ConfigError as exc:
        print(f"Configuration invalide : {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        pass


# What this module itself declares (before any _mount), for build_app.
_CORE_COMMANDS = list(app.registered_commands)
_CORE_GROUPS = list(app.registered_groups)


def main() -> None:
    try:
        target = build_app()
    except SubcommandUnavailable as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from exc
    target()


if __name__ == "__main__":
    main()
