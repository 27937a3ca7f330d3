import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.referential.loader import REFERENTIAL_DIR, ReferentialError, check, load_all, load_referential
from bot.referential.model import Referential

LineWith = Callable[[Path, str], int]

def test_shipped_referentials_load(referentials: dict[str, Referential]) -> None:
    assert set(referentials) == {"c2i2e", "crcn", "ambassadeurs"}
    assert check(REFERENTIAL_DIR) == []


def test_c2i2e_content(c2i2e: Referential) -> None:
    assert [d.code for d in c2i2e.domains] == ["A1", "A2", "A3", "B1", "B2", "B3", "B4"]
    codes = [c.code for c in c2i2e.competences()]
    assert len(codes) == 27 and codes[0] == "A1-1" and codes[-1] == "B4-2"
    b33 = c2i2e.get("B3-3")
    assert b33 is not None and b33.domain == "B3"
    assert b33.label.startswith("Gérer des temps et des modalités de travail différenciés")
    assert c2i2e.domain_of("B3-3").label == "Mise en œuvre pédagogique"  # type: ignore[union-attr]
    assert c2i2e.get("b3-3") is None  # get() takes canonical codes only
    rule = c2i2e.rules.certification
    assert rule is not None and (rule.min_validated, rule.max_not_validated_per_domain) == (23, 2)
    for competence in c2i2e.competences():
        # Vocabulary a formateur recognises (tagging keywords), not sentences: a bounded list.
        assert 5 <= len(competence.keywords) <= 30, competence.code
    assert "droit à l'image" in c2i2e.get("A3-3").keywords  # type: ignore[union-attr]


def test_crosswalks_and_levels(c2i2e: Referential, crcn: Referential) -> None:
    walk = next(w for w in c2i2e.crosswalks if w.to == "crcn")
    assert walk.map["A3-3"] == ["4.2"]
    assert all(link.note for link in walk.links)
    assert all(crcn.get(t) for targets in walk.map.values() for t in targets)
    levels = crcn.get("2.3").levels  # type: ignore[union-attr]
    assert [(lv.number, lv.name) for lv in levels][2:4] == [(3, "Indépendant"), (4, "Indépendant")]
    assert {lv.name for lv in levels} == {"Novice", "Indépendant", "Avancé", "Expert"}


def _single_problem(path: Path) -> tuple[Path, ReferentialError]:
    with pytest.raises(ReferentialError) as info:
        load_referential(path)
    return path, info.value


def test_yaml_syntax_error(data_dir: Path, line_with: LineWith) -> None:
    path, error = _single_problem(data_dir / "broken_yaml.yaml")
    [problem] = error.problems
    assert "YAML syntax error" in problem.message
    # The parser notices the unclosed flow sequence on the next line.
    assert problem.line in (line_with(path, "[Une liste"), line_with(path, "[Une liste") + 1)
    assert str(error).startswith(f"{path}:{problem.line}: ") and "(hint: " in str(error)


def test_missing_label(data_dir: Path, line_with: LineWith) -> None:
    path, error = _single_problem(data_dir / "missing_label.yaml")
    [problem] = error.problems
    assert problem.line == line_with(path, "code: A1-2")
    assert "missing required key 'label'" in problem.message and "A1-2" in problem.message
    assert "label" in problem.hint


def test_code_outside_its_domain(data_dir: Path, line_with: LineWith) -> None:
    path, error = _single_problem(data_dir / "outside_domain.yaml")
    [problem] = error.problems
    assert problem.line == line_with(path, "code: B3-1")
    assert "B3-1" in problem.message and "B2" in problem.message
    assert "move it under domain B3" in problem.hint


def test_duplicate_code(data_dir: Path, line_with: LineWith) -> None:
    path, error = _single_problem(data_dir / "duplicate_code.yaml")
    [problem] = error.problems
    assert problem.line == line_with(path, "Copie") - 1
    assert "duplicate code 'A1-1'" in problem.message
    assert f"first defined on line {line_with(path, 'code: A1-1')}" in problem.hint


def test_rule_naming_unknown_domain(data_dir: Path, line_with: LineWith) -> None:
    path, error = _single_problem(data_dir / "rule_unknown_domain.yaml")
    [problem] = error.problems
    assert problem.line == line_with(path, "domains: [A1, C9]")
    assert "unknown domain 'C9'" in problem.message and "A1" in problem.hint


def test_unknown_key_suggests_the_right_one(data_dir: Path, line_with: LineWith) -> None:
    path, error = _single_problem(data_dir / "unknown_key.yaml")
    [problem] = error.problems
    assert problem.line == line_with(path, "keywrods")
    assert "unknown key 'keywrods'" in problem.message and "A1-1" in problem.message
    assert "'keywords'" in problem.hint


def test_numeric_code_asks_for_quotes(data_dir: Path, line_with: LineWith) -> None:
    path, error = _single_problem(data_dir / "numeric_code.yaml")
    [problem] = error.problems
    assert problem.line == line_with(path, "code: 1.1")
    assert "quote" in problem.hint


def test_dangling_crosswalk_codes(data_dir: Path, line_with: LineWith) -> None:
    path = data_dir / "dangling_crosswalk.yaml"
    # The unknown source code is found by the file alone...
    _, error = _single_problem(data_dir / "dangling_crosswalk.yaml")
    assert [(p.line, "A3-7" in p.message) for p in error.problems] == [(line_with(path, "code: A3-7"), True)]
    # ...the unknown target needs the other referentials, which check() resolves.
    problems = check(path)
    target = [p for p in problems if "4.9" in p.message]
    assert len(target) == 1 and target[0].line == line_with(path, '"4.9"')
    assert "crcn" in target[0].message


def test_load_all_lists_every_problem(tmp_path: Path, data_dir: Path) -> None:
    for name in ("duplicate_code.yaml", "unknown_key.yaml", "dangling_crosswalk.yaml"):
        shutil.copy(data_dir / name, tmp_path / name)
    shutil.copy(REFERENTIAL_DIR / "crcn.yaml", tmp_path / "crcn.yaml")
    with pytest.raises(ReferentialError) as info:
        load_all(tmp_path)
    messages = [str(p) for p in info.value.problems]
    assert any("duplicate code" in m for m in messages)
    assert any("keywrods" in m for m in messages)
    assert any("A3-7" in m for m in messages)
    assert len(str(info.value).splitlines()) == len(messages)


def test_load_all_checks_targets_and_file_names(tmp_path: Path, line_with: LineWith) -> None:
    text = (REFERENTIAL_DIR / "c2i2e.yaml").read_text(encoding="utf-8")
    broken = text.replace('targets: ["5.1"]', 'targets: ["5.9"]')
    (tmp_path / "c2i2e.yaml").write_text(broken, encoding="utf-8")
    (tmp_path / "renamed.yaml").write_text((REFERENTIAL_DIR / "crcn.yaml").read_text(encoding="utf-8"),
                                           encoding="utf-8")
    problems = check(tmp_path)
    line = line_with(tmp_path / "c2i2e.yaml", '"5.9"')
    assert any("'5.9'" in p.message and p.line == line for p in problems)
    assert any("differs from the file name" in p.message for p in problems)
