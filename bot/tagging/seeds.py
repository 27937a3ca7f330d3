"""Prior knowledge shipped with a referential: ``referential/<id>.examples.yaml``.

The file gives, per competence code, extra vocabulary (``terms``: words and tool names teachers
use, beyond the referential's ``keywords``) and a few short made-up posts (``posts``) a trainer
would tag with that code. The Tagger adds the terms to the code's description and treats the posts
as prior examples (weaker than trainers' corrections), so a new space starts with more than the
official wording. The referential loader ignores ``*.examples.yaml``.

Format::

    referential: c2i2e
    examples:
      A1-2:
        terms: [TBI, ENI, visualiseur]
        posts:
          - Quelqu'un sait brancher le visualiseur sur l'ENI de la salle 12 ?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ruamel.yaml import YAML

from bot.referential.loader import REFERENTIAL_DIR

__all__ = ["Seeds", "load_seeds", "seed_examples", "seed_terms"]


@dataclass(frozen=True)
class Seeds:
    referential_id: str
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    posts: tuple[tuple[str, str], ...] = ()  # (text, code)


def seeds_path(referential_id: str, directory: Path | None = None) -> Path:
    return (directory or REFERENTIAL_DIR) / f"{referential_id}.examples.yaml"


@lru_cache(maxsize=32)
def load_seeds(referential_id: str, directory: Path | None = None) -> Seeds:
    """The seeds of a referential; empty when it has no examples file. Raises ValueError on a
    malformed file (naming the file), so a broken data file is noticed at start-up."""
    path = seeds_path(referential_id, directory)
    if not path.is_file():
        return Seeds(referential_id)
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("examples", {}), dict):
        raise ValueError(f"{path}: expected a mapping with an 'examples:' mapping of codes")
    if data.get("referential", referential_id) != referential_id:
        raise ValueError(f"{path}: 'referential' says {data.get('referential')!r}, expected {referential_id!r}")
    terms: dict[str, tuple[str, ...]] = {}
    posts: list[tuple[str, str]] = []
    for raw_code, entry in (data.get("examples") or {}).items():
        code = str(raw_code)
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: code {code}: expected 'terms:' and/or 'posts:'")
        unknown = set(entry) - {"terms", "posts"}
        if unknown:
            raise ValueError(f"{path}: code {code}: unknown key(s) {', '.join(sorted(unknown))}")
        terms[code] = tuple(str(t) for t in entry.get("terms") or ())
        posts += [(str(p), code) for p in entry.get("posts") or ()]
    return Seeds(referential_id, terms, tuple(posts))


def seed_examples(referential_id: str) -> list[tuple[str, str]]:
    """The seed posts of a referential as (text, code) pairs."""
    return list(load_seeds(referential_id).posts)


def seed_terms(referential_id: str) -> dict[str, tuple[str, ...]]:
    return dict(load_seeds(referential_id).terms)
