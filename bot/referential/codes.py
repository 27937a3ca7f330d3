"""The one place where user-typed competence codes become canonical codes.

Every spelling is reduced to a tuple of upper-case alphanumeric tokens ("b2 3", "B2.3", "#B2-3"
→ ("B2", "3")) and compared with the same reduction of the referential's own codes, so the
accepted forms follow the data instead of a per-referential regex.
"""

from __future__ import annotations

import difflib
import re

from bot.referential.model import Competence, Referential

_TOKEN = re.compile(r"[0-9A-Za-z]+")


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t.upper() for t in _TOKEN.findall(text))


def _candidates(raw: str, referential: Referential) -> list[tuple[str, ...]]:
    tokens = _tokens(raw)
    found = [tokens]
    # "C2i2e B2-3", "CRCN 2.3": a leading referential id is a qualifier, not part of the code.
    # Another referential's id is kept, so "CRCN 2.3" is not read as a C2i2e code.
    if len(tokens) > 1 and tokens[0] == referential.id.upper():
        found.append(tokens[1:])
    return found


def normalise_code(raw: str, referential: Referential) -> str | None:
    """Canonical competence code of `referential` written in `raw`, or None."""
    if not raw or not raw.strip():
        return None
    by_tokens: dict[tuple[str, ...], str] = {}
    by_compact: dict[str, list[str]] = {}
    for competence in referential.competences():
        key = _tokens(competence.code)
        by_tokens[key] = competence.code
        by_compact.setdefault("".join(key), []).append(competence.code)
    for tokens in reversed(_candidates(raw, referential)):
        if tokens in by_tokens:
            return by_tokens[tokens]
    for tokens in reversed(_candidates(raw, referential)):
        compact = "".join(tokens)
        # "B23" or "B 2-3" are unambiguous; digits alone ("23") are too often just a number.
        matches = by_compact.get(compact, [])
        if len(matches) == 1 and any(ch.isalpha() for ch in compact):
            return matches[0]
    return None


def closest_codes(raw: str, referential: Referential, n: int = 3) -> list[Competence]:
    """The `n` competences whose codes look most like `raw`, for "unknown code" replies."""
    candidates = _candidates(raw, referential)
    wanted = "-".join(candidates[-1])
    domain_tokens = candidates[-1][:1]

    def score(competence: Competence) -> float:
        key = _tokens(competence.code)
        ratio = difflib.SequenceMatcher(None, wanted, "-".join(key)).ratio()
        # Someone typing B2-7 most likely wants another B2 item, not B3-2.
        same_domain = bool(domain_tokens) and _tokens(competence.domain)[:1] == domain_tokens
        return ratio + (0.5 if same_domain else 0.0)

    ranked = sorted(referential.competences(), key=score, reverse=True)
    return ranked[: max(n, 0)]
