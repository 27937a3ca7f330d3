import json
from pathlib import Path

from typer.testing import CliRunner

from bot.referential.cli import referential_app

runner = CliRunner()


def test_show_prints_tree_with_french_labels() -> None:
    result = runner.invoke(referential_app, ["show", "c2i2e"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "B3  Mise en œuvre pédagogique" in lines
    assert "  B3-5  Anticiper un incident technique ou savoir y faire face." in lines
    assert lines.index("A1  Maîtrise de l'environnement numérique professionnel") < lines.index(
        "  A1-1  Identifier les personnes ressources Tic et leurs rôles respectifs au niveau local, "
        "régional et national.")
    assert "Certification : 23 compétences validées, au plus 2 non validées par domaine" in lines


def test_show_one_domain_and_unknown() -> None:
    result = runner.invoke(referential_app, ["show", "crcn", "--domain", "4"])
    assert result.exit_code == 0
    assert "  4.2  Protéger les données personnelles et la vie privée" in result.output
    assert "1.1" not in result.output
    assert runner.invoke(referential_app, ["show", "nope"]).exit_code == 1


def test_list_and_check(data_dir: Path) -> None:
    listed = runner.invoke(referential_app, ["list"])
    assert listed.exit_code == 0 and "c2i2e" in listed.output and "27 compétences" in listed.output
    assert runner.invoke(referential_app, ["check"]).exit_code == 0
    bad = runner.invoke(referential_app, ["check", str(data_dir / "outside_domain.yaml")])
    assert bad.exit_code == 1 and "outside_domain.yaml:10:" in bad.output


def test_export_import_cycle(tmp_path: Path) -> None:
    csv_path = tmp_path / "crcn.csv"
    assert runner.invoke(referential_app, ["export", "crcn", "--format", "moodle-csv", "--out",
                                           str(csv_path)]).exit_code == 0
    out_dir = tmp_path / "refs"
    result = runner.invoke(referential_app, ["import", "--format", "moodle-csv", str(csv_path),
                                             "--out", str(out_dir)])
    assert result.exit_code == 0, result.output
    assert (out_dir / "crcn.yaml").exists()
    again = runner.invoke(referential_app, ["import", "--format", "moodle-csv", str(csv_path),
                                            "--out", str(out_dir)])
    assert again.exit_code == 1  # no silent overwrite
    exported = runner.invoke(referential_app, ["export", "crcn", "--format", "json", "--dir", str(out_dir)])
    assert json.loads(exported.output)["domains"][1]["competences"][2]["label"] == "Collaborer"
    as_yaml = runner.invoke(referential_app, ["export", "crcn", "--format", "yaml"])
    assert as_yaml.output.startswith("id: crcn")
