"""Competence frameworks (referentials): schema, loading, code normalisation, certification."""

from bot.referential.certification import DomainProgress, Progress, certification_progress
from bot.referential.codes import closest_codes, normalise_code
from bot.referential.crosswalk import crosswalk_notes
from bot.referential.loader import (
    REFERENTIAL_DIR,
    Problem,
    ReferentialError,
    check,
    load_all,
    load_referential,
)
from bot.referential.model import (
    CertificationRule,
    Competence,
    Crosswalk,
    CrosswalkLink,
    Domain,
    Level,
    LevelRule,
    Referential,
    Rules,
)

__all__ = [
    "REFERENTIAL_DIR",
    "CertificationRule",
    "Competence",
    "Crosswalk",
    "CrosswalkLink",
    "Domain",
    "DomainProgress",
    "Level",
    "LevelRule",
    "Problem",
    "Progress",
    "Referential",
    "ReferentialError",
    "Rules",
    "certification_progress",
    "check",
    "closest_codes",
    "crosswalk_notes",
    "load_all",
    "load_referential",
    "normalise_code",
]
