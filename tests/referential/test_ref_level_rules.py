"""Certification rules on levels (CRCN): data in the referential, checked with file and line."""

from collections.abc import Callable
from pathlib import Path

from bot.referential import certification_progress
from bot.referential.loader import check
from bot.referential.model import Referential

LineWith = Callable[[Path, str], int]


def test_each_broken_level_rule_is_reported_on_its_line(data_dir: Path, line_with: LineWith) -> None:
    path = data_dir / "level_rules_broken.yaml"
    problems = check(path)
    by_line = {p.line: p for p in problems}
    assert len(problems) == 3
    assert "min_level 5 is not a level of the scale" in by_line[line_with(path, "min_level: 5")].message
    assert "levels are 1–3" in by_line[line_with(path, "min_level: 5")].hint
    too_many = by_line[line_with(path, "competences: 2")]
    assert "a domain it covers has only 1" in too_many.message and "domains" in too_many.hint
    assert "unknown domain '9'" in by_line[line_with(path, 'domains: ["9"]')].message


def test_a_level_rule_needs_a_level_scale(data_dir: Path, line_with: LineWith) -> None:
    path = data_dir / "level_rule_no_scale.yaml"
    [problem] = check(path)
    assert problem.line == line_with(path, "min_level: 3") and "without levels" in problem.message


def test_crcn_rule_counts_validated_levels_per_domain(crcn: Referential) -> None:
    rule = crcn.rules.certification
    assert rule is not None and [(r.min_level, r.competences) for r in rule.levels] == [(3, 1)]
    everywhere = {"1.1": 3, "2.3": 4, "3.4": 3, "4.2": 5, "5.1": 3}
    states = dict.fromkeys(everywhere, "validated")
    done = certification_progress(crcn, states, everywhere)
    assert done.certified and done.missing == []
    assert done.per_domain["2"].best_level == 4 and done.per_domain["2"].levels == {"2.3": 4}
    below = certification_progress(crcn, states, {**everywhere, "5.1": 2})
    assert not below.certified
    assert below.missing == ["Domaine 5 (Environnement numérique) : encore 1 compétence à valider au niveau 3 "
                             "ou plus (0/1)."]
    declared_only = certification_progress(crcn, dict.fromkeys(everywhere, "declared"), {})
    assert len(declared_only.missing) == 5  # declared levels do not count
