"""`ticebot export bilan|badges` (the jury's bilan, signed Open Badges 3.0) and `ticebot badge verify|issuer`."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin import on_member
from bot.config import BadgesConfig, ConfigError, load_settings
from bot.db.database import DEFAULT_URL, Database
from bot.db.models import Member, Space
from bot.declarations.badges import badges_for
from bot.declarations.bilan import BilanRow, bilan_rows, to_csv, to_html, to_pdf
from bot.declarations.signing import (
    KEY_FILE,
    BadgeInvalid,
    Issuer,
    KeyProblem,
    load_or_create_key,
    sign_credential,
    verify_badge,
)
from bot.privacy.export import data_dir
from bot.referential import Referential
from bot.referential.loader import load_all

export_app = typer.Typer(help="Exports : bilan pour le jury, badges Open Badges 3.0 signés.", no_args_is_help=True)

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


def _issuer(config: Path | None, key_file: Path | None) -> Issuer:
    """The issuer from `[badges]` of the configuration (name, URL, key file); the key is created on
    first use in the data directory."""
    settings = BadgesConfig()
    if config is not None:
        try:
            settings = load_settings(config).badges
        except ConfigError as exc:
            _fail(str(exc))
    path = key_file or (Path(settings.key_file) if settings.key_file else data_dir() / KEY_FILE)
    try:
        return Issuer(load_or_create_key(path), settings.issuer_name, settings.issuer_url)
    except KeyProblem as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


ConfigOption = typer.Option(None, "--config",
                            help="ticebot.toml : section [badges] (issuer_name, issuer_url, key_file).")
KeyOption = typer.Option(None, "--key", help="Clé de l'émetteur (défaut : $TICEBOT_DATA_DIR/badge-issuer-ed25519.pem).")


async def _badges(
    who: str, space_id: str | None, url: str, issuer: dict[str, Any]
) -> tuple[str, list[tuple[Any, dict[str, Any]]]] | None:
    async def work(session: AsyncSession, member: Member) -> tuple[str, list[tuple[Any, dict[str, Any]]]]:
        return member.platform_user_id, await badges_for(session, member, load_all(), space_id, issuer)

    return await on_member(url, who, work)


@export_app.command("badges")
def badges(
    member: str = typer.Option(..., "--member", help="Membre : plateforme:id, id ou nom affiché."),
    space: str | None = typer.Option(None, "--space", help="Limiter à un espace."),
    out: Path = typer.Option(Path("badges"), "--out", help="Dossier de sortie."),
    database: str = DatabaseOption,
    config: Path | None = ConfigOption,
    key: Path | None = KeyOption,
) -> None:
    """Un OpenBadgeCredential Open Badges 3.0 signé (VC-JWT, Ed25519) par compétence validée."""
    issuer = _issuer(config, key)
    found = asyncio.run(_badges(member, space, database, issuer.profile()))
    if found is None:
        _fail(f"Membre inconnu « {member} » dans cette base ({database}).")
    assert found is not None
    ident, items = found
    out.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^\w.-]+", "_", ident).strip("_") or "membre"
    for decl, cred in items:
        path = out / f"{slug}-{decl.space_id}-{decl.code}.jwt"
        path.write_text(sign_credential(cred, issuer) + "\n", encoding="ascii")
    (out / "LISEZMOI.txt").write_text(README_TEXT.format(issuer=issuer.did, name=issuer.name,
                                                        url=issuer.url or "—"), encoding="utf-8")
    typer.echo(f"{len(items)} badge(s) signé(s) écrit(s) dans {out} (émetteur {issuer.did}).")


README_TEXT = """Badges Open Badges 3.0 (OpenBadgeCredential), un fichier .jwt par compétence validée.

Chaque fichier est un justificatif vérifiable (VC-JWT signé en Ed25519, format « JSON Web Token »
d'Open Badges 3.0 §8.2). Émetteur : {name} ({url}), identifiant {issuer}.
La clé publique est contenue dans cet identifiant did:key : la vérification se fait hors ligne.

- Vérifier : ticebot badge verify FICHIER.jwt --issuer {issuer}
  (ou tout outil JOSE : algorithme EdDSA, clé publique = en-tête « jwk » ou le did:key).
- Le moindre octet modifié rend la signature invalide.
- Pour faire confiance au badge, comparez l'identifiant de l'émetteur avec celui que publie la
  formation (ticebot badge issuer affiche le profil à publier).

Open Badges 3.0 credentials, one signed .jwt (VC-JWT, EdDSA/Ed25519) per validated competence.
Verify with `ticebot badge verify FILE.jwt --issuer {issuer}` or any JOSE library.
"""

badge_app = typer.Typer(help="Badges Open Badges 3.0 : vérifier un badge, profil de l'émetteur.", no_args_is_help=True)


@badge_app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="Le badge (.jwt) à vérifier."),
    issuer: str | None = typer.Option(None, "--issuer", help="did:key attendu de l'émetteur (celui que publie la "
                                      "formation) ; défaut : la clé locale si elle existe."),
    key: Path | None = KeyOption,
    json_out: bool = typer.Option(False, "--json", help="Afficher le badge vérifié en JSON."),
) -> None:
    """Vérifie la signature et la cohérence d'un badge ; code de sortie 1 au moindre changement."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        _fail(f"{file} : illisible ({exc.strerror}).")
        raise
    expected = issuer
    local = key or data_dir() / KEY_FILE
    if expected is None and local.exists():
        try:
            expected = Issuer(load_or_create_key(local), "").did
        except KeyProblem as exc:
            _fail(str(exc))
    try:
        payload = verify_badge(content, expected)
    except BadgeInvalid as exc:
        _fail(f"{file} : badge NON valide — {exc}.")
        raise
    if json_out:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    subject = payload.get("credentialSubject", {})
    typer.echo(f"{file} : badge valide — « {payload.get('name')} », délivré le {payload.get('validFrom')} "
               f"à {subject.get('id', '?')} par {payload['iss']}.")
    if expected is None:
        typer.echo("Attention : émetteur non comparé. Passez --issuer avec l'identifiant publié par la formation.")


@badge_app.command("issuer")
def issuer_profile(config: Path | None = ConfigOption, key: Path | None = KeyOption) -> None:
    """Le profil de l'émetteur à publier (nom, URL, did:key, clé publique JWK) ; crée la clé au besoin."""
    typer.echo(json.dumps(_issuer(config, key).published(), ensure_ascii=False, indent=2))
