"""`ticebot referential ...` commands; mounted by the main CLI as a sub-app."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from bot.referential.loader import (
    REFERENTIAL_DIR,
    ReferentialError,
    check,
    dump_yaml,
    load_all,
    to_data,
)
from bot.referential.model import Referential
from bot.referential.moodle import export_moodle_csv, import_moodle_csv

referential_app = typer.Typer(
    help="Référentiels de compétences : lister, afficher, vérifier, importer, exporter.",
    no_args_is_help=True,
)


class ImportFormat(StrEnum):
    moodle_csv = "moodle-csv"


class ExportFormat(StrEnum):
    moodle_csv = "moodle-csv"
    yaml = "yaml"
    json = "json"


def _load(directory: Path | None) -> dict[str, Referential]:
    try:
        return load_all(directory)
    except ReferentialError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def _one(ref_id: str, directory: Path | None) -> Referential:
    refs = _load(directory)
    if ref_id not in refs:
        typer.echo(f"Référentiel inconnu : {ref_id} (disponibles : {', '.join(sorted(refs))})", err=True)
        raise typer.Exit(1)
    return refs[ref_id]


DirOption = typer.Option(None, "--dir", help="Dossier des référentiels (défaut : referential/).")


@referential_app.command("list")
def list_(directory: Path | None = DirOption) -> None:
    """Liste les référentiels disponibles."""
    for ref in _load(directory).values():
        typer.echo(f"{ref.id}\t{ref.title}\tversion {ref.version}\t{len(ref.competences())} compétences")


@referential_app.command()
def show(ref_id: str = typer.Argument(..., metavar="ID"),
         domain: str | None = typer.Option(None, "--domain", "-d", help="Un seul domaine, p. ex. B2."),
         directory: Path | None = DirOption) -> None:
    """Affiche l'arbre domaines › compétences d'un référentiel."""
    ref = _one(ref_id, directory)
    domains = ref.domains
    if domain is not None:
        domains = [d for d in ref.domains if d.code.casefold() == domain.casefold()]
        if not domains:
            typer.echo(f"Domaine inconnu : {domain} (domaines : {', '.join(d.code for d in ref.domains)})",
                       err=True)
            raise typer.Exit(1)
    typer.echo(f"{ref.title} — version {ref.version}")
    for d in domains:
        typer.echo(f"{d.code}  {d.label}")
        for c in d.competences:
            pending = " (libellé provisoire)" if c.label_pending else ""
            typer.echo(f"  {c.code}  {c.label}{pending}")
    rule = ref.rules.certification
    if rule is not None and domain is None:
        parts = []
        if rule.min_validated is not None:
            parts.append(f"{rule.min_validated} compétences validées")
        if rule.max_not_validated_per_domain is not None:
            parts.append(f"au plus {rule.max_not_validated_per_domain} non validées par domaine")
        typer.echo("Certification : " + ", ".join(parts))


@referential_app.command("check")
def check_(
    path: Path | None = typer.Argument(None, help="Fichier ou dossier (défaut : referential/)."),
) -> None:
    """Vérifie les fichiers ; chaque erreur est donnée avec fichier, ligne et piste de correction."""
    problems = check(path or REFERENTIAL_DIR)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problème(s).", err=True)
        raise typer.Exit(1)
    typer.echo(f"OK : {path or REFERENTIAL_DIR}")


@referential_app.command("import")
def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False),
            format: ImportFormat = typer.Option(..., "--format", "-f"),
            out: Path = typer.Option(REFERENTIAL_DIR, "--out", help="Dossier où écrire <id>.yaml."),
            force: bool = typer.Option(False, "--force", help="Remplacer un fichier existant.")) -> None:
    """Importe un référentiel de compétences Moodle (CSV) en YAML."""
    try:
        ref = import_moodle_csv(file)
    except ReferentialError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    target = out / f"{ref.id}.yaml"
    if target.exists() and not force:
        typer.echo(f"{target} existe déjà (utilisez --force pour le remplacer).", err=True)
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    target.write_text(dump_yaml(ref), encoding="utf-8")
    typer.echo(f"{target} : {len(ref.domains)} domaines, {len(ref.competences())} compétences")


@referential_app.command("export")
def export(ref_id: str = typer.Argument(..., metavar="ID"),
           format: ExportFormat = typer.Option(..., "--format", "-f"),
           out: Path | None = typer.Option(None, "--out", help="Fichier de sortie (défaut : stdout)."),
           directory: Path | None = DirOption) -> None:
    """Exporte un référentiel (CSV Moodle, YAML ou JSON)."""
    ref = _one(ref_id, directory)
    if format is ExportFormat.moodle_csv:
        text = export_moodle_csv(ref)
    elif format is ExportFormat.yaml:
        text = dump_yaml(ref)
    else:
        text = json.dumps(to_data(ref), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{out} écrit.")
