"""French text normalisation for tagging.

Pipeline (each step exists because teachers' posts are informal and often typed on a phone):

1. lowercase, and unify typographic apostrophes (’ ‘ ´ `) to ``'`` so elisions are seen;
2. split elisions (l', d', qu', j', n', s', c', m', t', jusqu', lorsqu', puisqu') -- "l'ENT" must
   give the same token as "ENT";
3. tokenise on letters/digits only (punctuation, emoji and markup are separators);
4. drop French stop words (function words carry no competence signal);
5. Snowball French stemming on the *accented* word (the stemmer's rules rely on accents), then fold
   accents, so "élèves", "eleves" and "élève" all meet on ``elev``.

Stemming is memoised per word: a post has few distinct words and a community's vocabulary is small,
so the cache turns the stemmer (the slow part) into a dict lookup. A word never seen before still
pays the stemmer once: with PyStemmer installed (a dependency), ``snowballstemmer.stemmer`` returns
its C build of the same Snowball algorithm, ≈ 1.4 µs a word instead of ≈ 29 µs for the pure-Python
one (same stems: ``tests/tagging/test_stemmer.py``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

__all__ = [
    "STOP_WORDS",
    "fold_accents",
    "normalise_text",
    "stem",
    "tokens",
    "stems",
    "content_words",
]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'", "ʼ": "'"})
# Elided articles/pronouns/conjunctions; the longest first so "jusqu'" is not read as "qu'".
_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])'", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Written accent-folded: the list is applied after folding so "été" and "ete" are both caught.
STOP_WORDS: frozenset[str] = frozenset(
    """
    a ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais aurait
    auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels avaient avais
    avait avant avec avez aviez avions avoir avons ayant ayez ayons bah bcp bien bon bonjour bonsoir
    c ca car ce ceci cela celle celles celui cependant certain certaine certaines certains ces cet
    cette ceux chaque chez ci comme comment contre d dans de des deja depuis donc dont du duquel
    elle elles en encore entre es est et etaient etais etait etant ete etes etiez etions etre eu eue
    eues eûmes eurent eus eusse eut eux fais fait faites fois font fut hello hein ici il ils j je
    jusqu l la laquelle le lequel les lesquelles lesquels leur leurs lors lorsqu lui m ma mais me meme
    memes merci mes moi mon n ne ni nos notre nous on ont or ou où par parce pas peu peut peuvent peux
    plus pour pourquoi puis puisqu qu quand quoiqu que quel quelle quelles quelqu quelque quelques quels qui
    quoi s sa salut sans se sera serai seraient serais serait seras serez seriez serions serons
    seront ses si sien soi soient sois soit sommes son sont sous suis sur t ta te tes toi ton tous
    tout toute toutes tres tu un une unes uns voici voila vos votre vous vs y
    """.split()
)

_stemmer = snowballstemmer.stemmer("french")


_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"}
# Each non-ASCII character's folding, computed once: a str.translate table. Bounded by the characters
# people type (Unicode itself at worst), not by the words.
_FOLDED: dict[int, str] = {}


def _fold_one(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _LIGATURES.get(ch, ch))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_accents(text: str) -> str:
    """Remove diacritics ("é" -> "e", "ç" -> "c", "œ" -> "oe") keeping everything else.

    Character by character, which is the same as NFKD on the whole text then dropping the combining
    marks: NFKD decomposes each character on its own, and its only cross-character step (reordering
    consecutive combining marks) moves nothing but marks, which are all dropped. It runs 3 times for
    every word never seen before (stop-word test, stem, n-grams), so the common cases are short-cut.
    """
    if text.isascii():
        return text
    table = _FOLDED
    for ch in set(text):
        if ord(ch) > 127 and ord(ch) not in table:
            table[ord(ch)] = _fold_one(ch)
    return text.translate(table)


def normalise_text(text: str) -> str:
    """Lowercase, unify apostrophes and strip elisions; accents are kept (the stemmer needs them)."""
    text = text.lower().translate(_APOSTROPHES)
    return _ELISION.sub(" ", text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem one lowercase (possibly accented) word and fold its accents."""
    return fold_accents(_stemmer.stemWord(word))


@lru_cache(maxsize=200_000)
def _is_stop(word: str) -> bool:
    return fold_accents(word) in STOP_WORDS


def tokens(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """Accent-folded, elision-free word tokens (not stemmed)."""
    words = _WORD.findall(normalise_text(text))
    if not keep_stop_words:
        words = [w for w in words if not _is_stop(w)]
    return [fold_accents(w) for w in words]


def stems(text: str) -> list[str]:
    """The analyser used by the tagging model: normalised, stop words removed, stemmed, folded.

    Single characters are dropped too: after elision splitting they are noise ("a", "y", digits).
    """
    out: list[str] = []
    for w in _WORD.findall(normalise_text(text)):
        if len(w) < 2 or _is_stop(w):
            continue
        out.append(stem(w))
    return out


_KEEP: dict[str, bool] = {}


def content_words(text: str) -> list[str]:
    """The words that carry meaning, lowercased, accents kept (the stemmer needs them).

    Same words as :func:`stems` before stemming: stop words and single characters are dropped.
    Elisions need no pass of their own here: an apostrophe separates words, and every elided particle
    (l, d, qu, jusqu...) is a single letter or a stop word. The keep-or-drop decision is memoised per
    word, since this runs on every post.
    """
    keep = _KEEP
    if len(keep) > 200_000:
        keep.clear()
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        k = keep.get(w)
        if k is None:
            k = keep[w] = len(w) >= 2 and fold_accents(w) not in STOP_WORDS
        if k:
            out.append(w)
    return out
