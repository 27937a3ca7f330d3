import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from bot.tagging.cli import tag_command, tagging_app

runner = CliRunner()


def test_eval_json(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [
        {"text": "#B2-3 recherche documentaire au CDI", "codes": ["B2-3"]},
        {"text": "le vidéoprojecteur est en panne", "c2i2e": ["B3-5"]},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    result = runner.invoke(tagging_app, ["eval", "--referential", "c2i2e", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["n"] == 2
    assert data["model"]["micro"]["recall"] == 1.0


def test_eval_cv(tmp_path) -> None:
    result = runner.invoke(tagging_app, ["eval", "-r", "crcn", "--cv", "3", "tests/data/tagging_dev.jsonl"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"model", "model_with_examples", "baseline"} <= set(data)
    # Every row of the development set is scored (its size grows as posts are labelled: not pinned).
    rows = Path("tests/data/tagging_dev.jsonl").read_text(encoding="utf-8").splitlines()
    assert data["n"] == len(rows) >= 150
    assert data["folds"] == 3 and len(data["decision_per_fold"]) == 3
    # The model must beat tagging nothing and stay a sensible multi-label tagger.
    assert 0.4 < data["model"]["micro"]["f1"] <= 1.0


def test_eval_holdout_both_referentials() -> None:
    for ref_id in ("c2i2e", "crcn"):
        result = runner.invoke(tagging_app, ["eval", "-r", ref_id, "tests/data/tagging_holdout.jsonl"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["n"] == 45
        assert set(data["model"]) == set(data["baseline"]) == {"micro", "macro"}


def test_eval_bad_file_is_explained(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "x", "codes": []}\nnot json\n', encoding="utf-8")
    result = runner.invoke(tagging_app, ["eval", "--referential", "c2i2e", str(path)])
    assert result.exit_code == 2
    assert ":2: not JSON" in result.output


def test_eval_unknown_referential(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "x", "codes": []}\n', encoding="utf-8")
    result = runner.invoke(tagging_app, ["eval", "--referential", "nope", str(path)])
    assert result.exit_code == 2


def _mounted() -> typer.Typer:
    # How the main CLI mounts tag_command as `ticebot tag`.
    app = typer.Typer()

    @app.command()
    def tag(texts: list[str], referential: str = typer.Option(..., "--referential"),
            json_out: bool = typer.Option(False, "--json")) -> None:
        tag_command(referential, texts, json_out)

    return app


def test_tag_text_output() -> None:
    result = runner.invoke(_mounted(), ["--referential", "c2i2e", "#B2-3 recherche sur internet"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("B2-3  1.00  Concevoir")


def test_tag_json_output() -> None:
    result = runner.invoke(_mounted(), ["--referential", "crcn", "--json", "CRCN 3.4 Scratch"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[0] == {"code": "3.4", "score": 1.0, "source": "explicit", "label": "Programmer"}
    result = runner.invoke(_mounted(), ["--referential", "crcn", "--json", "a", "b"])
    assert isinstance(json.loads(result.output)[0], list)


def test_tag_subcommand() -> None:
    result = runner.invoke(tagging_app, ["tag", "-r", "crcn", "CRCN 2.3"])
    assert result.exit_code == 0
    assert result.output.startswith("2.3  1.00  Collaborer")


def test_eval_cv_score_first(tmp_path) -> None:
    lines = Path("tests/data/tagging_dev.jsonl").read_text(encoding="utf-8").splitlines()[:30]
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(tagging_app, ["eval", "-r", "c2i2e", "--cv", "2", "--score-first", "20", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["n"] == 20 and data["extra_trained"] == 10
