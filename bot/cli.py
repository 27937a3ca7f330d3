"""The `ticebot` command. Sub-commands stay thin: each calls into the module that does the work."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.config import ConfigError

app = typer.Typer(help="ticebot — SOS TICE, compétences et communautés de pratique.", no_args_is_help=True,
                  add_completion=False)
db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _mount() -> None:
    """Sub-apps live beside their capability; a missing one must not break the others."""
    from bot.referential.cli import referential_app

    app.add_typer(referential_app, name="referential")
    try:
        from bot.tagging.cli import tag_command, tagging_app

        app.add_typer(tagging_app, name="tagging")

        @app.command("tag")
        def tag(
            texts: Annotated[list[str], typer.Argument(help="Texte(s) à étiqueter")],
            referential: Annotated[str, typer.Option("--referential", "-r")] = "c2i2e",
            json_out: Annotated[bool, typer.Option("--json")] = False,
        ) -> None:
            """Étiquette un texte avec les compétences d'un référentiel."""
            tag_command(referential, texts, json_out)
    except ImportError:  # pragma: no cover - tagging not installed in this build
        pass
    try:
        from bot.declarations.cli import badge_app, export_app

        app.add_typer(export_app, name="export")
        app.add_typer(badge_app, name="badge")
    except ImportError:  # pragma: no cover
        pass
    for module, name in (("bot.digest.cli", "digest_app"), ("bot.privacy.cli", "member_app"),
                         ("bot.web.cli", "web_app")):
        try:
            sub = getattr(__import__(module, fromlist=[name]), name)
            app.add_typer(sub, name=name.removesuffix("_app"))
        except (ImportError, AttributeError):
            pass


DEMO_SCRIPT = Path(__file__).resolve().parents[1] / "adapters" / "console" / "scenarios" / "demo.tice"


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
                                     database_url=database))
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
    from bot.runner import run_from_settings

    settings = _settings(config)
    logging.basicConfig(level=settings.bot.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if logging.getLogger().getEffectiveLevel() >= logging.INFO:
        # matrix-nio logs every event of every sync at INFO ("handling event of type …"), alembic its plugins.
        for noisy in ("nio", "alembic.runtime.plugins"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        asyncio.run(run_from_settings(settings))
    except ConfigError as exc:
        print(f"Configuration invalide : {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        pass


def main() -> None:
    _mount()
    app()


if __name__ == "__main__":
    main()
