"""Find competence codes written explicitly in a post.

People write codes in many ways: ``#B2-3``, ``B2-3``, ``B2.3``, ``b23``, ``C2i2e B2-3``,
``CRCN 2.3``, ``compétence 2.3``, lists (``2.2 et 3.2``) and ranges (``B3-1 à B3-5``,
``B3-1 - B3-3``). Canonicalisation is delegated to :func:`bot.referential.codes.normalise_code`, so
a candidate that is not a code of the space's referential is never a tag.

Acceptance rule (the part that needs judgement, documented here and tested):

* **Letter-shaped candidates** (``B2-3``, ``B2.3``, ``b2 - 3``, compact ``b23``): a capital letter
  plus digits is rare in French prose, so they are accepted when they name a code of the
  referential, *except* when the words just before make another reading likely:

  - language levels (``niveau A1.1``, ``CECRL``, ``DELF``, ``FLE``): A1/A2/B1/B2 are CEFR levels;
  - places, for the compact form only (``salle B12``, ``bâtiment A13``, ``bureau B23``).

  A ``#`` in front (``#B2-3``) always wins: it is a deliberate tag.

* **Digit-shaped candidates** (``2.3``) collide with versions, section numbers, decimals, times and
  dates. One is accepted when

  1. it is marked: ``#2.3``, or preceded by ``CRCN`` / ``compétence(s)`` / ``item(s)`` /
     ``domaine`` (a few filler words such as "du", "la", "n°" may sit between), or followed by
     ``du CRCN`` / ``(CRCN)``; or
  2. it continues a list or range started by an accepted code (``CRCN 2.2 et 3.2``,
     ``compétences 2.1 à 2.4``); or
  3. it is bare, in a space whose referential has digit codes (the space referential makes a code
     likely), and nothing around it says otherwise: not part of a longer number (``2.3.1``,
     ``2.3.2024``, ``2.3/5``), not preceded within two words by a version/section/measure word
     (``version``, ``v``, ``Moodle``, ``exercice``, ``page``, ``chapitre``, ``note``...), and not
     followed by a unit (``h``, ``min``, ``%``, ``€``, ``km``, ``Go``, ``points``...).

  Times such as ``14.30`` and dates never match a CRCN code in the first place (no such code).

* **Ranges**: two accepted codes joined by ``à``/``au``/``jusqu'à``/``-``/``–``/``→`` expand to every
  code between them in referential order, when both are in the same domain (otherwise only the two
  ends are kept: a cross-domain span is more likely a typo than a wish for ten codes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.referential.codes import normalise_code
from bot.referential.model import Referential
from bot.tagging.normalise import fold_accents

__all__ = ["ExplicitMatch", "CodeFinder", "find_explicit_codes"]


@dataclass(frozen=True)
class ExplicitMatch:
    code: str
    start: int
    end: int
    raw: str


# Letter + digit, optional separator, item digit(s): B2-3, B2.3, b2 - 3, b23, #B2-3.
_LETTER_CODE = re.compile(
    r"(?<![\w./])(?P<hash>#\s?)?(?P<head>[A-Za-z]\d)(?P<sep>\s?[-.–—_]\s?)?(?P<item>\d{1,2})"
    r"(?![\w]|[.,/]\d)"
)
# Digits joined by a dot: 2.3, #2.3. The look-arounds reject pieces of longer numbers and dates.
_DIGIT_CODE = re.compile(
    r"(?<![\w.,/])(?P<hash>#\s?)?(?P<head>\d{1,2})\.(?P<item>\d{1,2})(?![\w]|[.,/:]\d)"
)

_MARKER_BEFORE = re.compile(
    r"(?:\b(?:crcn|c2i2e|competences?|comp|items?|domaines?|code)\b\.?)"
    r"(?:[\s:,()°-]*(?:du|de|la|le|les|des|crcn|c2i2e|n°|no|num|numero|nº)(?![a-z])\.?)*[\s:,()°-]*$"
)
_MARKER_AFTER = re.compile(r"^\s*(?:\(\s*|du\s+|de\s+la\s+|-\s*)?(?:crcn|c2i2e)\b")
_LIST_JOIN = re.compile(r"^\s*(?:,|;|/|\+|&|et|ou|and)\s*(?:(?:la|le|les|l')\s*)?#?\s*$")
_RANGE_JOIN = re.compile(r"^\s*(?:a|au|jusqu['’]?a|jusqu['’]?au|-|–|—|→|->|to)\s*#?\s*$")

# Words that, just before a bare number, make it a version, a section, a measure...
_DIGIT_BLOCKERS = frozenset(
    """
    version versions v ver vers maj release moodle python windows win ios android firefox chrome
    linux ubuntu php html java libreoffice office geogebra scratch pronote appli app logiciel
    chapitre chap exercice exercices exo exos ex question questions q page pages p pp partie
    parties section sect paragraphe art article activite etape fiche lecon annexe tableau figure
    fig schema seance sequence tome note notes moyenne moy coef coefficient bareme taille
    vitesse prix cout total score ratio x egal
    """.split()
)
_UNIT_AFTER = re.compile(
    r"^\s*(?:h\b|heures?\b|min\b|minutes?\b|s\b|sec\b|%|€|\$|euros?\b|km\b|m\b|cm\b|mm\b|kg\b|g\b|"
    r"l\b|go\b|mo\b|ko\b|gb\b|mb\b|ghz\b|pts?\b|points?\b|ans?\b|fois\b|x\b|sur\s+\d|/\s*\d|"
    r"millions?\b|milliards?\b|°|kwh\b|w\b)",
    re.IGNORECASE,
)
_LANGUAGE_LEVEL = re.compile(r"\b(?:niveaux?|cecrl|cecr|cadre europeen|delf|dilf|dalf|fle|fls|lv[12]?)\b")
_PLACES = frozenset(
    "salle salles batiment bat bureau local porte casier bus ligne route autoroute etage aile".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_MAX_RANGE = 12
_DIGIT = re.compile(r"\d")


_FOLD_TABLE: dict[int, str] = {}


def _fold_same_length(text: str) -> str:
    """Accent folding that maps each character to exactly one character (offsets stay valid)."""
    for ch in set(text):
        if ord(ch) not in _FOLD_TABLE:
            folded = fold_accents(ch)
            _FOLD_TABLE[ord(ch)] = folded[0] if len(folded) == 1 else ch
    return text.translate(_FOLD_TABLE)


def _last_words(prefix: str, n: int) -> list[str]:
    return _WORD.findall(prefix)[-n:]


class CodeFinder:
    """Explicit-code extraction bound to one referential (cached lookups: tagging is a hot path)."""

    def __init__(self, referential: Referential) -> None:
        self.referential = referential
        self._order = {c.code: i for i, c in enumerate(referential.competences())}
        self._domain = {c.code: c.domain for c in referential.competences()}
        self._codes = list(self._order)
        self._has_letter_codes = any(any(ch.isalpha() for ch in c) for c in self._codes)
        self._has_digit_codes = any(not any(ch.isalpha() for ch in c) for c in self._codes)
        self._cache: dict[str, str | None] = {}

    def _normalise(self, raw: str) -> str | None:
        try:
            return self._cache[raw]
        except KeyError:
            code = normalise_code(raw, self.referential)
            self._cache[raw] = code
            return code

    def matches(self, text: str) -> list[ExplicitMatch]:
        """Every accepted code occurrence, in text order, ranges expanded (duplicates kept)."""
        candidates = self._candidates(text)
        if not candidates:  # most posts: no code-shaped word at all
            return []
        # Lowercased, accent-folded copy for context tests, one char per char so offsets agree.
        low = _fold_same_length(text.lower())
        accepted: list[tuple[int, int, str, str]] = []  # start, end, code, raw
        for start, end, code, raw, kind, hashed in candidates:
            prev = accepted[-1] if accepted else None
            between = low[prev[1]:start] if prev else None
            continues = between is not None and (
                _LIST_JOIN.match(between) is not None or _RANGE_JOIN.match(between) is not None
            )
            if hashed or continues or self._accept(kind, low, start, end, raw):
                accepted.append((start, end, code, raw))
        return self._expand_ranges(accepted, low)

    def codes(self, text: str) -> list[str]:
        """Unique accepted codes, in order of first appearance."""
        seen: dict[str, None] = {}
        for m in self.matches(text):
            seen.setdefault(m.code, None)
        return list(seen)

    # -- internals -------------------------------------------------------------------------

    def _candidates(self, text: str) -> list[tuple[int, int, str, str, str, bool]]:
        found: list[tuple[int, int, str, str, str, bool]] = []
        if _DIGIT.search(text) is None:  # both code shapes hold a digit, and most posts have none
            return found
        if self._has_letter_codes:
            for m in _LETTER_CODE.finditer(text):
                sep = "-" if m.group("sep") else ""
                raw = f"{m.group('head')}{sep}{m.group('item')}"
                code = self._normalise(raw)
                if code is not None:
                    kind = "letter" if sep else "compact"
                    found.append((m.start(), m.end(), code, m.group(0), kind, bool(m.group("hash"))))
        if self._has_digit_codes:
            for m in _DIGIT_CODE.finditer(text):
                code = self._normalise(f"{m.group('head')}.{m.group('item')}")
                if code is not None:
                    found.append((m.start(), m.end(), code, m.group(0), "digit", bool(m.group("hash"))))
        found.sort()
        return found

    def _accept(self, kind: str, low: str, start: int, end: int, raw: str) -> bool:
        prefix = low[max(0, start - 40):start]
        # Only the current clause counts as context.
        prefix = re.split(r"[.!?;\n]\s", prefix)[-1]
        if kind in ("letter", "compact"):
            if _LANGUAGE_LEVEL.search(prefix) and not _MARKER_BEFORE.search(prefix):
                return False
            if kind == "compact":
                words = _last_words(prefix, 1)
                if words and words[0] in _PLACES:
                    return False
            return True
        # digit-shaped
        if _MARKER_BEFORE.search(prefix) or _MARKER_AFTER.match(low[end:end + 20]):
            return True
        if any(w in _DIGIT_BLOCKERS for w in _last_words(prefix, 2)):
            return False
        if _UNIT_AFTER.match(low[end:end + 12]):
            return False
        if re.search(r"(?:[=+*×$€]\s*|-)$", prefix):
            return False
        return True

    def _expand_ranges(self, accepted: list[tuple[int, int, str, str]], low: str) -> list[ExplicitMatch]:
        out: list[ExplicitMatch] = []
        for i, (start, end, code, raw) in enumerate(accepted):
            if i > 0:
                pstart, pend, pcode, _ = accepted[i - 1]
                if _RANGE_JOIN.match(low[pend:start]) and self._domain.get(pcode) == self._domain.get(code):
                    lo, hi = self._order[pcode], self._order[code]
                    if lo < hi and hi - lo <= _MAX_RANGE:
                        for inner in self._codes[lo + 1:hi]:
                            out.append(ExplicitMatch(inner, pend, start, low[pstart:end]))
            out.append(ExplicitMatch(code, start, end, raw))
        return out


def find_explicit_codes(text: str, referential: Referential | CodeFinder) -> list[str]:
    """Convenience wrapper: unique explicit codes of `referential` found in `text`."""
    finder = referential if isinstance(referential, CodeFinder) else CodeFinder(referential)
    return finder.codes(text)


def codes_in(texts: Iterable[str], referential: Referential) -> list[list[str]]:
    finder = CodeFinder(referential)
    return [finder.codes(t) for t in texts]
