"""Keyword evidence: a referential keyword (or seed term) found in a post adds to its code's score.

Why on top of the TF-IDF cosine: a keyword is a term a formateur chose ("droit à l'image",
"sitographie", "liste de diffusion", "B2i"); when a post contains it, that is direct evidence for the
code whatever else the post talks about. The cosine dilutes it in a long post (an activity sheet
covering five competences scores moderately on each); the bonus does not. Matching is on stems, as
a contiguous phrase (stop words skipped: "droit à l'image" = ``droit imag``), each keyword counted
once per post, at most ``cap`` keywords per code, each worth ``bonus``. ``bonus`` and ``cap`` were
chosen by cross-validation on the development set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from bot.tagging.normalise import content_words, stem

__all__ = ["KeywordIndex", "DEFAULT_BONUS", "DEFAULT_CAP"]

DEFAULT_BONUS = 0.03
DEFAULT_CAP = 2


class KeywordIndex:
    """Keyword phrases as sequences of stem columns, indexed by their first stem."""

    def __init__(self, keywords: Iterable[tuple[int, str]], stem_ids: dict[str, int], n_codes: int,
                 bonus: float = DEFAULT_BONUS, cap: int = DEFAULT_CAP) -> None:
        self.n_codes = n_codes
        self.bonus = bonus
        self.cap = cap
        self._by_first: dict[int, list[tuple[tuple[int, ...], int, int]]] = {}
        seen: set[tuple[tuple[int, ...], int]] = set()
        for code, keyword in keywords:
            ids = tuple(stem_ids.get(stem(w), -1) for w in content_words(keyword))
            if not ids or -1 in ids or (ids, code) in seen:
                continue
            seen.add((ids, code))
            self._by_first.setdefault(ids[0], []).append((ids, code, len(seen)))

    def bonuses(self, stems: Sequence[int]) -> np.ndarray | None:
        """Per code, ``bonus`` × the number of its keywords in this stem sequence (capped); None
        when no keyword occurs (the common case, kept cheap)."""
        by_first = self._by_first
        # Most stems start no keyword: one set intersection finds the few positions worth a look.
        if by_first.keys().isdisjoint(stems):
            return None
        found: dict[int, set[int]] = {}
        n = len(stems)
        for i, s in enumerate(stems):
            candidates = by_first.get(s)
            if candidates is None:
                continue
            for ids, code, key in candidates:
                size = len(ids)
                if size == 1 or (i + size <= n and stems[i + 1] == ids[1] and tuple(stems[i:i + size]) == ids):
                    found.setdefault(code, set()).add(key)
        if not found:
            return None
        out = np.zeros(self.n_codes, dtype=np.float32)
        for code, keys in found.items():
            out[code] = self.bonus * min(len(keys), self.cap)
        return out
