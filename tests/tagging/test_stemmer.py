"""The stemmer in use is PyStemmer's C build, and it stems exactly like the pure-Python Snowball.

The tagger's vocabulary, seeds and every trained model were made with Snowball's French stemmer; the
C build is only there for speed (a word never seen before pays the stemmer once, on the per-post
path). A different stem for any word would silently change tags, hence the comparison on every word
the shipped texts contain, plus misspellings of them (what new words mostly are in teachers' posts).
"""

import json
import re
from pathlib import Path

from snowballstemmer.french_stemmer import FrenchStemmer

from bot.tagging import normalise

ROOT = Path(__file__).resolve().parents[2]
_WORD = re.compile(r"[^\W_]+")


def _shipped_words() -> set[str]:
    texts = [f.read_text(encoding="utf-8") for f in sorted((ROOT / "referential").iterdir()) if f.is_file()]
    texts += [
        json.loads(line)["text"]
        for line in (ROOT / "tests" / "data" / "tagging_dev.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return {w.lower() for text in texts for w in _WORD.findall(text)}


def _misspellings(word: str) -> list[str]:
    out = [word[:i] + word[i + 1 :] for i in range(len(word))]  # a letter dropped
    out += [word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)]  # two swapped
    return out


def test_the_c_stemmer_is_in_use() -> None:
    # Without PyStemmer the bot still works (pure Python), but new words cost ~20x more to tag.
    assert type(normalise._stemmer).__module__ == "Stemmer"


def test_same_stems_as_pure_python_snowball() -> None:
    reference = FrenchStemmer()
    words = _shipped_words()
    words |= {m for w in sorted(words)[::3] for m in _misspellings(w)}
    assert len(words) > 10_000
    different = {
        w: (normalise._stemmer.stemWord(w), reference.stemWord(w))
        for w in sorted(words)
        if normalise._stemmer.stemWord(w) != reference.stemWord(w)
    }
    assert different == {}
