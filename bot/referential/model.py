"""Schema of a referential file (`referential/<id>.yaml`), as pydantic v2 models.

The models forbid unknown keys so that a typo in a data file is reported, not silently ignored.
Structural checks that need the whole tree (duplicates, codes outside their domain, rules and
crosswalks naming unknown codes) live in `semantic_problems`, which returns paths into the file
so callers can turn them into line numbers (YAML) or row numbers (CSV).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

# Codes are ASCII tokens joined by "-" or "." so that `codes.normalise_code` can rebuild them from
# any user spelling ("b2 3", "B2.3", "#B2-3").
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Level(_Strict):
    """One step of a level scale, e.g. CRCN 3 "Indépendant" (the name is the level's group)."""

    number: int
    name: str


class Competence(_Strict):
    code: str
    label: str = Field(min_length=1)
    details: list[str] = []
    keywords: list[str] = []
    levels: list[Level] = []
    # True when the wording is provisional: the bot shows it but flags it as not official.
    label_pending: bool = False
    # Filled from the enclosing domain by Referential; never written in data files.
    domain: str = ""


class Domain(_Strict):
    code: str
    label: str = Field(min_length=1)
    competences: list[Competence]


class CrosswalkLink(_Strict):
    """One mapping line: a competence of this referential → one or more codes of the target."""

    code: str
    targets: list[str] = Field(min_length=1)
    note: str = Field(min_length=1)


class Crosswalk(_Strict):
    """Thematic correspondences to another referential (`to` is its id).

    Each link carries its own note because a correspondence between frameworks is a judgement
    that a formateur should be able to read; `map` gives the plain code → targets view.
    """

    to: str
    note: str = ""
    links: list[CrosswalkLink]

    @property
    def map(self) -> dict[str, list[str]]:
        return {link.code: list(link.targets) for link in self.links}


class LevelRule(_Strict):
    """A threshold on validated levels, for referentials with a level scale (CRCN 1–8).

    In each domain of `domains` (empty = every domain), at least `competences` of the domain's
    competences (omitted = all of them) must be validated at `min_level` or above. « Au moins le
    niveau 3 dans chaque domaine » is `{min_level: 3, competences: 1}`.
    """

    min_level: int = Field(ge=1)
    competences: int | None = Field(default=None, ge=1)
    domains: list[str] = []
    label: str = ""  # the rule as people read it, shown in the portfolio


class CertificationRule(_Strict):
    """Thresholds for delivering a certificate; every field is optional so the data drives it.

    `domains` restricts which domains count (empty = all). A competence counts as "not validated"
    for `max_not_validated_per_domain` whatever its state, as long as it is not validated: the rule
    is judged at the end of training, when an undeclared item is as missing as a refused one.
    """

    min_validated: int | None = Field(default=None, ge=0)
    max_not_validated_per_domain: int | None = Field(default=None, ge=0)
    domains: list[str] = []
    levels: list[LevelRule] = []


class Rules(_Strict):
    certification: CertificationRule | None = None


class Referential(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    language: str = "fr"
    source: str = ""
    # When false (frameworks imported from Moodle with free-form idnumbers), a competence code
    # need not start with its domain code.
    codes_prefixed_by_domain: bool = True
    # Shared level scale; copied onto every competence that does not declare its own.
    levels: list[Level] = []
    domains: list[Domain] = Field(min_length=1)
    rules: Rules = Rules()
    crosswalks: list[Crosswalk] = []

    _index: dict[str, Competence] = PrivateAttr(default_factory=dict)
    _domain_index: dict[str, Domain] = PrivateAttr(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        # YAML reads `version: 1.0` as a float; a version is an opaque label, keep it as text.
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _fill_derived(self) -> Referential:
        for domain in self.domains:
            self._domain_index.setdefault(domain.code, domain)
            for competence in domain.competences:
                competence.domain = domain.code
                if not competence.levels and self.levels:
                    competence.levels = [level.model_copy() for level in self.levels]
                self._index.setdefault(competence.code, competence)
        return self

    def competences(self) -> list[Competence]:
        return [c for d in self.domains for c in d.competences]

    def get(self, code: str) -> Competence | None:
        return self._index.get(code)

    def domain_of(self, code: str) -> Domain | None:
        competence = self._index.get(code)
        if competence is not None:
            return self._domain_index.get(competence.domain)
        return self._domain_index.get(code)

    def get_domain(self, code: str) -> Domain | None:
        return self._domain_index.get(code)

    def level_numbers(self, code: str | None = None) -> list[int]:
        """The level scale of one competence (or the referential's shared one); empty = no levels."""
        competence = self._index.get(code) if code else None
        levels = competence.levels if competence is not None else self.levels
        return sorted({level.number for level in levels})

    def level_name(self, number: int, code: str | None = None) -> str:
        competence = self._index.get(code) if code else None
        for level in competence.levels if competence is not None else self.levels:
            if level.number == number:
                return level.name
        return ""


Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class SemanticProblem:
    """A problem located by its path in the file's tree (keys and list indexes)."""

    path: Path_
    message: str
    hint: str = ""
    # Where the clashing original is, for duplicates: the loader adds its line to the hint.
    related: Path_ | None = None


def semantic_problems(ref: Referential) -> list[SemanticProblem]:
    """Whole-tree checks pydantic cannot express field by field."""
    problems: list[SemanticProblem] = []
    seen_domains: dict[str, int] = {}
    seen_codes: dict[str, tuple[int, int]] = {}
    for di, domain in enumerate(ref.domains):
        dpath: Path_ = ("domains", di)
        if not CODE_PATTERN.match(domain.code):
            problems.append(_bad_code(dpath + ("code",), domain.code))
        if domain.code in seen_domains:
            problems.append(SemanticProblem(
                dpath + ("code",), f"duplicate domain code {domain.code!r}", "merge the two or rename one",
                related=("domains", seen_domains[domain.code], "code")))
        seen_domains.setdefault(domain.code, di)
        for ci, comp in enumerate(domain.competences):
            cpath: Path_ = dpath + ("competences", ci, "code")
            if not CODE_PATTERN.match(comp.code):
                problems.append(_bad_code(cpath, comp.code))
                continue
            if comp.code in seen_codes or comp.code in seen_domains:
                first = seen_codes.get(comp.code)
                problems.append(SemanticProblem(
                    cpath, f"duplicate code {comp.code!r}",
                    "codes must be unique in a referential; renumber this one or delete the copy",
                    related=("domains", first[0], "competences", first[1], "code") if first
                    else ("domains", seen_domains[comp.code], "code")))
            seen_codes.setdefault(comp.code, (di, ci))
            if ref.codes_prefixed_by_domain and not _has_prefix(comp.code, domain.code):
                owner = next((d.code for d in ref.domains if _has_prefix(comp.code, d.code)), None)
                hint = (f"move it under domain {owner}" if owner else
                        f"rename it {domain.code}-<n> / {domain.code}.<n>")
                problems.append(SemanticProblem(
                    cpath, f"competence {comp.code} is listed under domain {domain.code} "
                    f"but its code does not start with {domain.code}",
                    hint + " (or set codes_prefixed_by_domain: false)"))
    problems += _rule_problems(ref, set(seen_domains))
    problems += _crosswalk_source_problems(ref)
    return problems


def _has_prefix(code: str, domain_code: str) -> bool:
    return code.startswith(domain_code) and code[len(domain_code):len(domain_code) + 1] in ("-", ".")


def _bad_code(path: Path_, code: str) -> SemanticProblem:
    return SemanticProblem(path, f"malformed code {code!r}",
                           "use letters and digits joined by '-' or '.', e.g. B2-3 or 2.3")


def _rule_problems(ref: Referential, domains: set[str]) -> list[SemanticProblem]:
    rule = ref.rules.certification
    if rule is None:
        return []
    problems = []
    for i, code in enumerate(rule.domains):
        if code not in domains:
            problems.append(SemanticProblem(
                ("rules", "certification", "domains", i), f"rule names unknown domain {code!r}",
                f"known domains: {', '.join(sorted(domains))}"))
    problems += _level_rule_problems(ref, domains)
    total = len(ref.competences())
    if rule.min_validated is not None and rule.min_validated > total:
        problems.append(SemanticProblem(
            ("rules", "certification", "min_validated"),
            f"min_validated is {rule.min_validated} but the referential has only {total} competences",
            "lower the threshold or add the missing competences"))
    return problems


def _level_rule_problems(ref: Referential, domains: set[str]) -> list[SemanticProblem]:
    assert ref.rules.certification is not None
    problems = []
    scale = {n for c in ref.competences() for n in ref.level_numbers(c.code)} or set(ref.level_numbers())
    for ri, level_rule in enumerate(ref.rules.certification.levels):
        path: Path_ = ("rules", "certification", "levels", ri)
        if not scale:
            problems.append(SemanticProblem(
                path, "a level rule in a referential without levels",
                "add a `levels:` scale (number, name) or remove the rule"))
            continue
        if level_rule.min_level not in scale:
            problems.append(SemanticProblem(
                path + ("min_level",), f"min_level {level_rule.min_level} is not a level of the scale",
                f"levels are {min(scale)}–{max(scale)}"))
        scope = []
        for di, code in enumerate(level_rule.domains):
            if code not in domains:
                problems.append(SemanticProblem(
                    path + ("domains", di), f"level rule names unknown domain {code!r}",
                    f"known domains: {', '.join(sorted(domains))}"))
            else:
                scope.append(code)
        sizes = [len(d.competences) for d in ref.domains if not level_rule.domains or d.code in scope]
        if level_rule.competences is not None and sizes and level_rule.competences > min(sizes):
            problems.append(SemanticProblem(
                path + ("competences",),
                f"competences is {level_rule.competences} but a domain it covers has only {min(sizes)}",
                "lower it, or list in `domains` the domains it applies to"))
    return problems


def _crosswalk_source_problems(ref: Referential) -> list[SemanticProblem]:
    problems = []
    for wi, walk in enumerate(ref.crosswalks):
        if walk.to == ref.id:
            problems.append(SemanticProblem(("crosswalks", wi, "to"), "crosswalk points to itself",
                                            "`to` must be the id of another referential"))
        for li, link in enumerate(walk.links):
            if ref.get(link.code) is None:
                problems.append(SemanticProblem(
                    ("crosswalks", wi, "links", li, "code"),
                    f"crosswalk names unknown code {link.code!r} of {ref.id}",
                    "use a competence code defined in this file"))
    return problems
