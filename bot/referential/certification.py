"""How far a member is from certification, computed from the referential's own rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.referential.codes import normalise_code
from bot.referential.model import CertificationRule, Referential

VALIDATED = "validated"
NOT_VALIDATED = "not_validated"
PENDING_STATES = frozenset({"declared", "in_review", "needs_info"})


@dataclass
class DomainProgress:
    code: str
    label: str
    total: int
    validated: int = 0
    not_validated: int = 0  # explicitly refused by a formateur
    pending: int = 0  # declared, in review or waiting for information
    limit: int | None = None  # max competences left unvalidated in this domain, if a rule sets one
    levels: dict[str, int] = field(default_factory=dict)  # validated level per competence (level scales)

    @property
    def best_level(self) -> int | None:
        return max(self.levels.values()) if self.levels else None

    @property
    def unvalidated(self) -> int:
        """Everything not validated (refused, pending or never declared): what the rule counts."""
        return self.total - self.validated

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.unvalidated > self.limit


@dataclass
class Progress:
    certified: bool
    validated: int
    required: int | None
    missing: list[str] = field(default_factory=list)
    per_domain: dict[str, DomainProgress] = field(default_factory=dict)


def certification_progress(
    referential: Referential, states: Mapping[str, str], levels: Mapping[str, int] | None = None
) -> Progress:
    """Progress of one member; `states` maps competence codes (any spelling) to review states and
    `levels` to the highest level validated (referentials with a level scale).

    Without a certification rule nothing can certify, so `certified` stays False and `missing`
    says so: the portfolio then shows per-domain counts only.
    """
    canonical: dict[str, str] = {}
    for raw, state in states.items():
        code = normalise_code(raw, referential)
        if code is not None:
            canonical[code] = state
    validated_levels: dict[str, int] = {}
    for raw, level in (levels or {}).items():
        code = normalise_code(raw, referential)
        if code is not None:
            validated_levels[code] = max(level, validated_levels.get(code, 0))

    rule = referential.rules.certification
    scope = set(rule.domains) if rule and rule.domains else {d.code for d in referential.domains}
    per_domain: dict[str, DomainProgress] = {}
    for domain in referential.domains:
        if domain.code not in scope:
            continue
        progress = DomainProgress(domain.code, domain.label, len(domain.competences),
                                  limit=rule.max_not_validated_per_domain if rule else None)
        for competence in domain.competences:
            if competence.code in validated_levels:
                progress.levels[competence.code] = validated_levels[competence.code]
            current = canonical.get(competence.code)
            if current == VALIDATED:
                progress.validated += 1
            elif current == NOT_VALIDATED:
                progress.not_validated += 1
            elif current in PENDING_STATES:
                progress.pending += 1
        per_domain[domain.code] = progress

    validated = sum(p.validated for p in per_domain.values())
    if rule is None:
        no_rule = ["Ce référentiel ne prévoit pas de certification."]
        return Progress(False, validated, None, no_rule, per_domain)

    missing: list[str] = []
    if rule.min_validated is not None and validated < rule.min_validated:
        gap = rule.min_validated - validated
        done = f"{validated} validée{'s' if validated > 1 else ''}"
        missing.append(f"Encore {_n(gap, 'compétence')} à valider "
                       f"({done} sur {rule.min_validated} requises).")
    for progress in per_domain.values():
        if progress.over_limit and progress.limit is not None:
            gap = progress.unvalidated - progress.limit
            allowed = f"{progress.limit} non validée{'s' if progress.limit > 1 else ''}"
            missing.append(f"Domaine {progress.code} ({progress.label}) : encore {_n(gap, 'compétence')} "
                           f"à valider — au plus {allowed} par domaine, {progress.unvalidated} actuellement.")
    missing += _level_gaps(referential, rule, validated_levels)
    return Progress(not missing, validated, rule.min_validated, missing, per_domain)


def _level_gaps(referential: Referential, rule: CertificationRule, levels: Mapping[str, int]) -> list[str]:
    """What each level rule still needs, domain by domain."""
    gaps = []
    for level_rule in rule.levels:
        for domain in referential.domains:
            if level_rule.domains and domain.code not in level_rule.domains:
                continue
            needed = level_rule.competences or len(domain.competences)
            reached = sum(1 for c in domain.competences if levels.get(c.code, 0) >= level_rule.min_level)
            if reached < needed:
                gap = needed - reached
                gaps.append(f"Domaine {domain.code} ({domain.label}) : encore {_n(gap, 'compétence')} à valider "
                            f"au niveau {level_rule.min_level} ou plus ({reached}/{needed}).")
    return gaps


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count > 1 else ''}"
