"""Command line for tagging: ``ticebot tag`` (via :func:`tag_command`) and ``ticebot tagging eval``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.referential.loader import load_all
from bot.referential.model import Referential
from bot.tagging.eval import cross_validate, evaluate, load_rows
from bot.tagging.model import Tagger, keyword_baseline
from bot.tagging.seeds import load_labelled

tagging_app = typer.Typer(help="Competence tagging tools.", no_args_is_help=True)


def _referential(referential_id: str) -> Referential:
    refs = load_all()
    if referential_id not in refs:
        known = ", ".join(sorted(refs)) or "none"
        typer.echo(f"unknown referential {referential_id!r} (known: {known})", err=True)
        raise typer.Exit(2)
    return refs[referential_id]


def tag_command(referential: str, texts: list[str], json_out: bool) -> None:
    """Tag each text; prints `CODE  score  label` lines (a blank line between texts) or JSON.

    JSON: one list of {code, score, source, label} per text; a single text gives a single list.
    """
    ref = _referential(referential)
    tagger = Tagger(ref)
    results = tagger.tag_many(texts)
    if json_out:
        payload = [
            [{"code": r.code, "score": r.score, "source": r.source,
              "label": (c.label if (c := ref.get(r.code)) else "")} for r in res]
            for res in results
        ]
        typer.echo(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False))
        return
    for i, res in enumerate(results):
        if i:
            typer.echo("")
        for r in res:
            competence = ref.get(r.code)
            typer.echo(f"{r.code}  {r.score:.2f}  {competence.label if competence else ''}")


@tagging_app.command("tag")
def tag_cli(
    texts: list[str] = typer.Argument(..., help="Texts to tag."),
    referential: str = typer.Option(..., "--referential", "-r", help="Referential id."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Tag texts with competence codes."""
    tag_command(referential, texts, json_out)


@tagging_app.command("eval")
def eval_cli(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL: {text, codes} per line."),
    referential: str = typer.Option(..., "--referential", "-r", help="Referential id."),
    cv: int = typer.Option(0, "--cv", help="K-fold cross-validation (threshold chosen on other folds; "
                           "also reports the gain from trainers' corrections). 0 = plain evaluation."),
    score_first: int = typer.Option(0, "--score-first", help="With --cv: only the first N rows are "
                                    "cross-validated and scored; the rest are in every fold's training."),
) -> None:
    """Precision / recall / F1 of the model and of the keyword baseline, as JSON."""
    ref = _referential(referential)
    try:
        rows = load_rows(file, ref.id)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    # The shipped labelled posts are the development set: a post being evaluated is never one the
    # model was trained on (evaluating the development set itself gives the seeds-only model).
    texts = {text for text, _ in rows}
    labelled = [(text, codes) for text, codes in load_labelled(ref.id) if text not in texts]
    if cv:
        scored, extra = (rows[:score_first], rows[score_first:]) if score_first else (rows, [])
        result = cross_validate(lambda ex, neg: Tagger(ref, ex, negatives=neg, labelled=labelled),
                                lambda t: keyword_baseline(ref, t), scored, folds=cv, extra=extra)
    else:
        tagger = Tagger(ref, labelled=labelled)
        result = evaluate(tagger.tag, lambda t: keyword_baseline(ref, t), rows)
    typer.echo(json.dumps(result, indent=2))


@tagging_app.command("retrain")
def retrain_cli(
    database: str = typer.Option("sqlite+aiosqlite:///ticebot.db", "--database", envvar="TICEBOT_DATABASE_URL",
                                 help="Database URL."),
) -> None:
    """Rebuild each space's tagger from the stored corrections; prints counts per space."""
    import asyncio

    from bot.db.database import Database, DatabaseUnavailable

    async def go() -> list[dict[str, object]]:
        from sqlalchemy import select

        from bot.db.models import Space
        from bot.tagging.service import load_corrections

        refs = load_all()
        db = Database(database)
        out: list[dict[str, object]] = []
        try:
            async with db.transaction() as session:
                for space in (await session.execute(select(Space).order_by(Space.id))).scalars():
                    ref = refs.get(space.referential_id)
                    if ref is None:
                        out.append({"space": space.id, "referential": space.referential_id,
                                    "error": "unknown referential"})
                        continue
                    corrections = await load_corrections(session, space.id, ref.id)
                    tagger = Tagger(ref, corrections.positives, negatives=corrections.negatives)
                    out.append({
                        "space": space.id, "referential": ref.id, "version": ref.version,
                        "corrections": len(corrections.positives), "removals": len(corrections.negatives),
                        "codes_learned": len({c for _, c in tagger.examples}),
                        "seed_posts": len(tagger.seed_posts),
                    })
        finally:
            await db.dispose()
        return out

    try:
        rows = asyncio.run(go())
    except DatabaseUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if not rows:
        typer.echo("no space in the database")
    for row in rows:
        if "error" in row:
            typer.echo(f"{row['space']}: {row['referential']}: {row['error']}")
            continue
        typer.echo(f"{row['space']}: {row['referential']} {row['version']} — {row['corrections']} corrections, "
                   f"{row['removals']} removals, {row['codes_learned']} codes learned, "
                   f"{row['seed_posts']} seed posts")
