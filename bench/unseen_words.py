"""Posts with words the tagging process has never seen, for the cold-cache figure of bench_tagging.

The per-post path memoises per word (stem, stop-word test, character n-grams, feature columns), and
posts synthesised from the development set reuse its vocabulary only, so every cache is warm. A
community keeps writing words nobody wrote before: typos (posts are often typed on a phone), new
tools, names, inflections. Here a share of the content words of each post is replaced by a *fresh*
misspelling of itself (one to three keyboard-like edits: a letter dropped, doubled, swapped with its
neighbour, or replaced by a neighbouring key), never seen before by this process: not in the
development set, the referentials, the seeds, nor any earlier generated post. So each replaced word
misses every per-word cache exactly once, as a new word does in the running bot.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from bot.tagging.normalise import content_words

_WORD = re.compile(r"[^\W_]+")
_NEIGHBOURS = {
    "a": "zqs",
    "z": "aes",
    "e": "zrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "olm",
    "q": "asw",
    "s": "qdz",
    "d": "sfe",
    "f": "dgr",
    "g": "fht",
    "h": "gjy",
    "j": "hku",
    "k": "jli",
    "l": "kmo",
    "m": "lp",
    "w": "xq",
    "x": "wc",
    "c": "xv",
    "v": "cb",
    "b": "vn",
    "n": "b",
}


class UnseenWords:
    """Generator of misspellings that no earlier text held (`known`: every word seen so far)."""

    def __init__(self, known: Iterable[str], seed: int) -> None:
        self.known = {w.lower() for w in known}
        self.rng = random.Random(seed)

    def _edit(self, word: str) -> str:
        rng = self.rng
        i = rng.randrange(len(word))
        kind = rng.randrange(4)
        if kind == 0 and len(word) > 3:
            return word[:i] + word[i + 1 :]
        if kind == 1:
            return word[:i] + word[i] + word[i:]
        if kind == 2 and i + 1 < len(word):
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        near = _NEIGHBOURS.get(word[i].lower())
        return word[:i] + rng.choice(near) + word[i + 1 :] if near else word[:i] + word[i] + word[i:]

    def fresh(self, word: str) -> str:
        candidate = word
        for attempt in range(50):
            for _ in range(1 + min(attempt // 10, 2)):  # more edits when the easy ones are taken
                candidate = self._edit(candidate)
            if candidate.lower() not in self.known:
                break
            candidate = word
        self.known.add(candidate.lower())
        return candidate


def with_unseen_words(posts: Iterable[str], share: float, generator: UnseenWords) -> tuple[list[str], float]:
    """The posts with about `share` of their content words (≥ 2 letters, not stop words) made unseen;
    also the share actually replaced (of all content words)."""
    out: list[str] = []
    replaced = total = 0
    for post in posts:
        keep = set(content_words(post))
        pieces: list[str] = []
        last = 0
        for m in _WORD.finditer(post):
            word = m.group(0)
            if word.lower() in keep:
                total += 1
                if generator.rng.random() < share:
                    pieces.append(post[last : m.start()])
                    pieces.append(generator.fresh(word))
                    last = m.end()
                    replaced += 1
        pieces.append(post[last:])
        out.append("".join(pieces))
    return out, replaced / max(total, 1)
