"""Prior knowledge shipped with a referential: ``referential/<id>.examples.yaml``.

The file gives, per competence code, extra vocabulary (``terms``: words and tool names teachers
use, beyond the referential's ``keywords``) and a few short made-up posts (``posts``) a trainer
would tag with that code. The Tagger adds the terms to the code's description and treats the posts
as prior examples, so a new space starts with more than the official wording. The referential loader
ignores ``*.examples.yaml``.

``referential/activities.examples.yaml`` holds *activity-level* posts shared by all referentials:
each describes a whole activity and lists its codes per referential (``c2i2e: [A1-5, B2-3, ...]``).
They teach the model what a multi-competence post looks like: each one counts as an example of every
code it lists, and they are part of the background the per-competence thresholds are learned on.

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

__all__ = ["Seeds", "load_activities", "load_seeds", "seed_examples", "seed_terms"]


ACTIVITIES_FILE = "activities.examples.yaml"


@dataclass(frozen=True)
class Seeds:
    referential_id: str
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    posts: tuple[tuple[str, str], ...] = ()  # (text, code): single-competence posts
    activities: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (text, codes): multi-competence posts

    def pairs(self) -> list[tuple[str, str]]:
        """Every (text, code) example: the posts, and each activity once per code it lists."""
        return [*self.posts, *((text, code) for text, codes in self.activities for code in codes)]

    def labelled(self) -> dict[str, set[str]]:
        """Each distinct seed text with all the codes it is an example of."""
        out: dict[str, set[str]] = {}
        for text, code in self.pairs():
            out.setdefault(text, set()).add(code)
        return out


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
    return Seeds(referential_id, terms, tuple(posts), load_activities(referential_id, directory))


def load_activities(referential_id: str, directory: Path | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Activity posts that list codes for this referential (entries without its key are skipped)."""
    path = (directory or REFERENTIAL_DIR) / ACTIVITIES_FILE
    if not path.is_file():
        return ()
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("activities") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected an 'activities:' list")
    out: list[tuple[str, tuple[str, ...]]] = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise ValueError(f"{path}: activity {n}: expected 'text:' and codes per referential")
        codes = entry.get(referential_id)
        if codes is None:
            continue
        if not isinstance(codes, list):
            raise ValueError(f"{path}: activity {n}: '{referential_id}' must be a list of codes")
        if codes:
            out.append((entry["text"], tuple(str(c) for c in codes)))
    return tuple(out)


def seed_examples(referential_id: str) -> list[tuple[str, str]]:
    """The single-competence seed posts of a referential as (text, code) pairs."""
    return list(load_seeds(referential_id).posts)


def seed_terms(referential_id: str) -> dict[str, tuple[str, ...]]:
    return dict(load_seeds(referential_id).terms)


LABELLED_FILE = "labelled_posts.jsonl"


@lru_cache(maxsize=8)
def load_labelled(referential_id: str, directory: Path | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Posts labelled by hand with every code they cover (``referential/labelled_posts.jsonl``, one
    JSON object per line with ``text`` and a list of codes per referential id); the ones that carry
    codes of this referential. This is also the development set (``tests/data/tagging_dev.jsonl``)."""
    import json

    path = (directory or REFERENTIAL_DIR) / LABELLED_FILE
    if not path.exists():
        return ()
    out: list[tuple[str, tuple[str, ...]]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            obj = json.loads(line)
            codes = obj.get(referential_id)
            if codes:
                out.append((str(obj["text"]), tuple(str(c) for c in codes)))
    return tuple(out)
