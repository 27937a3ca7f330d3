"""Synonym groups (data: bot/faq/synonyms.yaml) applied to a text before it becomes a vector.

A group is matched on stems, so "tableaux interactifs" meets "tableau interactif"; a match appends every
phrase of the group to the text. Both the indexed documents and the query are expanded, so either side
may use any of the words.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ruamel.yaml import YAML

from bot.tagging.normalise import stems

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")


@lru_cache(maxsize=4)
def load_groups(path: Path = SYNONYMS_FILE) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]:
    """Each group as ((phrase, its stems), …); phrases whose stems are empty are dropped."""
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    groups = []
    for group in data.get("groups") or []:
        phrases = tuple((str(p), tuple(stems(str(p)))) for p in group)
        phrases = tuple((p, s) for p, s in phrases if s)
        if len(phrases) > 1:
            groups.append(phrases)
    return tuple(groups)


def _contains(sequence: list[str], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(tuple(sequence[i:i + n]) == part for i in range(len(sequence) - n + 1))


def expand(text: str, path: Path = SYNONYMS_FILE) -> str:
    """The text followed by the phrases of every synonym group it mentions (once each)."""
    words = stems(text)
    if not words:
        return text
    present = set(words)
    extra: list[str] = []
    for group in load_groups(path):
        if any(s[0] in present and _contains(words, s) for _p, s in group):
            extra.extend(p for p, _s in group)
    return text if not extra else f"{text}\n{' · '.join(extra)}"
