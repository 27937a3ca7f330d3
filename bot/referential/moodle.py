"""Moodle competency framework CSV (admin tool "lpimportcsv") ⇄ Referential.

Moodle has two levels we use (top competencies = domains, their children = competences) and a
100-character `shortname`; everything Moodle has no column for (full label, details, keywords,
version, certification rule) travels in `description` as "Prefix : value" lines, which stay
readable in Moodle and let export → import give back the same referential. Crosswalks have no
Moodle equivalent and are not exported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from bot.referential.loader import Problem, ReferentialError
from bot.referential.model import (
    CertificationRule,
    Competence,
    Domain,
    Level,
    Referential,
    Rules,
    semantic_problems,
)

COLUMNS = ["parentidnumber", "idnumber", "shortname", "description", "descriptionformat", "scalevalues",
           "scaleconfiguration", "ruletype", "ruleoutcome", "ruleconfig", "relatedidnumbers", "exportid",
           "isframework", "taxonomy"]
FORMAT_HTML = "1"
FORMAT_PLAIN = "2"
SHORTNAME_MAX = 100  # Moodle truncates longer shortnames on import
BINARY_SCALE = ["Non validé", "Validé"]

P_LABEL, P_DETAIL, P_KEYWORDS, P_PENDING = "Libellé", "Détail", "Mots-clés", "Libellé provisoire"
P_TITLE, P_SOURCE, P_VERSION, P_LANGUAGE, P_RULE = "Titre", "Source", "Version", "Langue", "Certification"
_LINE = re.compile(r"^(?P<prefix>[^:]{2,40}?) : (?P<value>.*)$")
_LEVEL = re.compile(r"^(?P<number>\d+) - (?P<name>.+)$")


# ---------------------------------------------------------------- export


def export_moodle_csv(ref: Referential) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    values = [f"{level.number} - {level.name}" for level in ref.levels] or BINARY_SCALE
    # Default is the first value; for a level scale every level is an attained position.
    config = [{"scaleid": ""}] + [
        {"id": i + 1, "scaledefault": int(i == 0), "proficient": int(bool(ref.levels) or i > 0)}
        for i in range(len(values))]
    writer.writerow(_row(
        idnumber=ref.id, shortname=_short(ref.title), isframework="1", taxonomy="domain,competency",
        scalevalues=",".join(v.replace(",", " ") for v in values), scaleconfiguration=json.dumps(config),
        description=_lines(
            (P_TITLE, ref.title if len(ref.title) > SHORTNAME_MAX else ""), (P_SOURCE, ref.source),
            (P_VERSION, ref.version), (P_LANGUAGE, ref.language), (P_RULE, _rule_text(ref.rules)))))
    export_id = 0
    for domain in ref.domains:
        export_id += 1
        writer.writerow(_row(idnumber=domain.code, shortname=_short(domain.label), exportid=str(export_id),
                             description=_lines(_full_label(domain.label))))
        for comp in domain.competences:
            export_id += 1
            writer.writerow(_row(
                parentidnumber=domain.code, idnumber=comp.code, shortname=_short(comp.label),
                exportid=str(export_id),
                description=_lines(_full_label(comp.label), *((P_DETAIL, d) for d in comp.details),
                                   (P_KEYWORDS, ", ".join(comp.keywords)),
                                   (P_PENDING, "oui" if comp.label_pending else ""))))
    return out.getvalue()


def _row(**values: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(values, descriptionformat=FORMAT_PLAIN, ruleoutcome="0")
    return row


def _short(text: str) -> str:
    return text if len(text) <= SHORTNAME_MAX else text[: SHORTNAME_MAX - 1].rstrip() + "…"


def _full_label(label: str) -> tuple[str, str]:
    return (P_LABEL, label if len(label) > SHORTNAME_MAX else "")


def _lines(*pairs: tuple[str, str]) -> str:
    return "\n".join(f"{prefix} : {' '.join(value.split())}" for prefix, value in pairs if value)


def _rule_text(rules: Rules) -> str:
    rule = rules.certification
    if rule is None:
        return ""
    return json.dumps(rule.model_dump(exclude_defaults=True), ensure_ascii=False)


# ---------------------------------------------------------------- import


@dataclass
class _Row:
    line: int
    cells: dict[str, str]
    children: list[_Row] = field(default_factory=list)


def import_moodle_csv(path: Path) -> Referential:
    return parse_moodle_csv(Path(path).read_text(encoding="utf-8-sig"), Path(path))


def parse_moodle_csv(text: str, source: Path = Path("<csv>")) -> Referential:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if [h.strip().lower() for h in header] != COLUMNS:
        raise ReferentialError([Problem(source, 1, "not a Moodle competency framework CSV header",
                                        f"expected exactly: {','.join(COLUMNS)}")])
    rows = [_Row(reader.line_num, dict(zip(COLUMNS, cells + [""] * len(COLUMNS), strict=False)))
            for cells in reader if any(c.strip() for c in cells)]
    frameworks = [r for r in rows if r.cells["isframework"].strip() in ("1", "true")]
    if len(frameworks) != 1:
        line = frameworks[1].line if frameworks else 2
        raise ReferentialError([Problem(source, line, f"{len(frameworks)} framework rows, expected 1",
                                        "keep one row with isframework=1, first after the header")])
    framework = frameworks[0]
    problems: list[Problem] = []
    by_id: dict[str, _Row] = {}
    for row in rows:
        if row is framework:
            continue
        idnumber = row.cells["idnumber"].strip()
        if not idnumber or idnumber in by_id:
            problems.append(Problem(source, row.line, f"missing or duplicate idnumber {idnumber!r}",
                                    "every competency needs its own idnumber"))
            continue
        by_id[idnumber] = row
    tops: list[_Row] = []
    for row in by_id.values():
        parent = row.cells["parentidnumber"].strip()
        if parent in ("", framework.cells["idnumber"].strip()):
            tops.append(row)
        elif parent in by_id:
            by_id[parent].children.append(row)
        else:
            problems.append(Problem(source, row.line, f"parentidnumber {parent!r} not found",
                                    "use the idnumber of another row, or leave it empty for a domain"))
    if problems:
        raise ReferentialError(problems)
    return _build(framework, tops, source)


def _build(framework: _Row, tops: list[_Row], source: Path) -> Referential:
    meta = _parse_description(framework.cells)
    lines: dict[tuple[str | int, ...], int] = {(): framework.line}
    domains = []
    for di, top in enumerate(tops):
        lines[("domains", di)] = top.line
        competences = []
        for ci, child in enumerate(top.children):
            lines[("domains", di, "competences", ci)] = child.line
            competences.append(_competence(child))
        domains.append(Domain(code=_code(top), label=_label(top), competences=competences))
    codes_prefixed = all(c.code.startswith(d.code) and c.code[len(d.code):][:1] in ("-", ".")
                         for d in domains for c in d.competences)
    try:
        ref = Referential(
            id=_slug(framework.cells["idnumber"]), title=meta.get(P_TITLE) or framework.cells["shortname"],
            version=meta.get(P_VERSION) or "1", language=meta.get(P_LANGUAGE) or "fr",
            source=meta.get(P_SOURCE) or f"Import Moodle ({source.name})",
            codes_prefixed_by_domain=codes_prefixed, levels=_levels(framework.cells["scalevalues"]),
            domains=domains, rules=_rules(meta.get(P_RULE, "")))
    except ValidationError as exc:
        raise ReferentialError([Problem(source, framework.line, f"invalid framework: {e['msg']} ({e['loc']})",
                                        "fix this row's idnumber/shortname") for e in exc.errors()]) from exc
    problems = []
    for sp in semantic_problems(ref):
        key = next((sp.path[:n] for n in range(len(sp.path), -1, -1) if sp.path[:n] in lines), ())
        problems.append(Problem(source, lines[key], sp.message, sp.hint))
    if problems:
        raise ReferentialError(problems)
    return ref


def _competence(row: _Row) -> Competence:
    meta = _parse_description(row.cells)
    details = list(meta.get(P_DETAIL + "s", []))
    # Moodle allows deeper trees; ticebot keeps two levels and folds the rest into details.
    stack = list(row.children)
    while stack:
        node = stack.pop(0)
        details.append(f"{node.cells['idnumber'].strip()} – {_label(node)}")
        stack[:0] = node.children
    keywords = [k.strip() for k in meta.get(P_KEYWORDS, "").split(",") if k.strip()]
    return Competence(code=_code(row), label=_label(row), details=details, keywords=keywords,
                      label_pending=meta.get(P_PENDING) == "oui")


def _parse_description(cells: dict[str, str]) -> dict:
    text = cells["description"]
    if cells["descriptionformat"].strip() == FORMAT_HTML:
        text = re.sub(r"<br\s*/?>|</p>", "\n", text)
        text = re.sub(r"<[^>]+>", "", text)
    meta: dict = {P_DETAIL + "s": []}
    known = {P_LABEL, P_KEYWORDS, P_PENDING, P_TITLE, P_SOURCE, P_VERSION, P_LANGUAGE, P_RULE}
    for line in (raw.strip() for raw in text.splitlines()):
        match = _LINE.match(line)
        if match and match["prefix"] in known:
            meta[match["prefix"]] = match["value"]
        elif match and match["prefix"] == P_DETAIL:
            meta[P_DETAIL + "s"].append(match["value"])
        elif line:
            meta[P_DETAIL + "s"].append(line)  # free text from a framework not made by ticebot
    return meta


def _label(row: _Row) -> str:
    return _parse_description(row.cells).get(P_LABEL) or row.cells["shortname"].strip()


def _code(row: _Row) -> str:
    # Moodle idnumbers are free text; ticebot codes are tokens joined by "-" or ".".
    return re.sub(r"[^A-Za-z0-9.-]+", "-", row.cells["idnumber"].strip()).strip("-.")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-") or "moodle"


def _levels(scalevalues: str) -> list[Level]:
    matches = [_LEVEL.match(v.strip()) for v in scalevalues.split(",") if v.strip()]
    if not matches or not all(matches):
        return []
    return [Level(number=int(m["number"]), name=m["name"]) for m in matches if m]


def _rules(text: str) -> Rules:
    if not text:
        return Rules()
    try:
        return Rules(certification=CertificationRule.model_validate(json.loads(text)))
    except (ValueError, ValidationError):
        return Rules()
