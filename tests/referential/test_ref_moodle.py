import csv
import io
from pathlib import Path

import pytest

from bot.referential.loader import ReferentialError, dump_yaml, load_referential
from bot.referential.model import Referential
from bot.referential.moodle import COLUMNS, export_moodle_csv, import_moodle_csv, parse_moodle_csv


def _shape(ref: Referential) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(d.code, d.label, [(c.code, c.label) for c in d.competences]) for d in ref.domains]


@pytest.mark.parametrize("ref_id", ["c2i2e", "crcn", "ambassadeurs"])
def test_round_trip(referentials: dict[str, Referential], ref_id: str, tmp_path: Path) -> None:
    ref = referentials[ref_id]
    path = tmp_path / f"{ref_id}.csv"
    path.write_text(export_moodle_csv(ref), encoding="utf-8")
    back = import_moodle_csv(path)
    assert (back.id, back.title, back.version) == (ref.id, ref.title, ref.version)
    assert _shape(back) == _shape(ref)
    # Beyond the contract: keywords, levels and the certification rule survive too.
    assert back.model_dump(exclude={"crosswalks"}) == ref.model_dump(exclude={"crosswalks"})


def test_csv_layout(c2i2e: Referential) -> None:
    rows = list(csv.DictReader(io.StringIO(export_moodle_csv(c2i2e))))
    assert list(rows[0]) == COLUMNS
    assert rows[0]["isframework"] == "1" and rows[0]["idnumber"] == "c2i2e"
    assert all(r["isframework"] == "" for r in rows[1:])
    assert len(rows) == 1 + 7 + 27
    a1, a33 = rows[1], next(r for r in rows if r["idnumber"] == "A3-3")
    assert a1["parentidnumber"] == ""
    assert a1["shortname"] == "Maîtrise de l'environnement numérique professionnel"
    # Moodle cuts shortnames at 100 characters; the full label rides in the description.
    assert a33["parentidnumber"] == "A3" and len(a33["shortname"]) <= 100
    assert "Libellé : Prendre en compte les lois" in a33["description"]


def test_import_foreign_framework() -> None:
    header = ",".join(COLUMNS)
    text = "\n".join([
        header,
        ",FW-1,Mon cadre,,2,\"Non,Oui\",,,0,,,,1,\"domain,competency\"",
        ",D1,Premier domaine,,2,,,,0,,,1,,",
        "D1,COMP 7,Une compétence,<p>Un détail</p>,1,,,,0,,,2,,",
        "COMP 7,IND-1,Un indicateur,,2,,,,0,,,3,,",
    ])
    ref = parse_moodle_csv(text)
    assert ref.id == "fw-1" and not ref.codes_prefixed_by_domain
    comp = ref.get("COMP-7")
    assert comp is not None and comp.domain == "D1"
    assert comp.details == ["Un détail", "IND-1 – Un indicateur"]


def test_import_errors_have_row_numbers(tmp_path: Path) -> None:
    header = ",".join(COLUMNS)
    rows = [",fw,Cadre,,2,,,,0,,,,1,", ",D1,Domaine,,2,,,,0,,,,,", "D9,D1-1,Orpheline,,2,,,,0,,,,,"]
    text = "\n".join([header, *rows])
    with pytest.raises(ReferentialError) as info:
        parse_moodle_csv(text, tmp_path / "x.csv")
    [problem] = info.value.problems
    assert problem.line == 4 and "'D9'" in problem.message
    with pytest.raises(ReferentialError) as info:
        parse_moodle_csv("id,name\n1,x\n")
    assert info.value.problems[0].line == 1


def test_imported_yaml_loads_back(c2i2e: Referential, tmp_path: Path) -> None:
    path = tmp_path / "c2i2e.yaml"
    path.write_text(dump_yaml(parse_moodle_csv(export_moodle_csv(c2i2e))), encoding="utf-8")
    assert _shape(load_referential(path)) == _shape(c2i2e)
