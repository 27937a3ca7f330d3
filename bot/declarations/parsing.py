"""Reading the arguments of /declare and of the review commands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.context import UserError
from bot.referential import Referential, closest_codes, normalise_code

# A word that looks like a competence code: B2-3, b2.3, #B2-3, B23, 2.3, OR-1 ("e-mail" does not).
_CODEISH = re.compile(r"^#?(?:[A-Za-z]+\d*(?:[.\-]\d+[A-Za-z0-9]*)+|[A-Za-z]{1,2}\d+|\d+(?:[.\-]\d+)+)$")
_WORD = re.compile(r"\S+")
_TARGET = re.compile(r"^\s*#(\d+)\b[\s,:]*(.*)$", re.DOTALL)
# Declaration ids are 32-bit integers on PostgreSQL (and 64-bit on SQLite): a larger number cannot
# name a declaration, and passing it to the database raises instead of finding nothing.
MAX_ID = 2**31 - 1


@dataclass
class DeclareArgs:
    codes: list[str] = field(default_factory=list)  # canonical codes, in the order written, no repeats
    trace: str = ""


def _looks_like_code(word: str, ref: Referential) -> bool:
    return bool(_CODEISH.match(word)) or normalise_code(word, ref) is not None


def parse_declare(args: str, ref: Referential, referentials: dict[str, Referential]) -> DeclareArgs:
    """Leading code-like words are codes (commas allowed), the rest is the trace text.

    Raises UserError for an unknown code (with the closest codes) or a code of another referential.
    """
    words = list(_WORD.finditer(args))
    raw_codes: list[str] = []
    rest_at = len(args)
    i = 0
    while i < len(words):
        word = words[i].group().strip(",;")
        qualifier = word.casefold() in referentials and i + 1 < len(words)
        if qualifier:  # "CRCN 2.3", "C2i2e B2-3": the referential named before the code
            nxt = words[i + 1].group().strip(",;")
            if _looks_like_code(nxt, ref) or _CODEISH.match(nxt):
                raw_codes.append(f"{word} {nxt}")
                i += 2
                continue
        parts = [p for p in word.split(",") if p]
        if parts and all(_looks_like_code(p, ref) for p in parts):
            raw_codes += parts
            i += 1
            continue
        rest_at = words[i].start()
        break
    result = DeclareArgs(trace=args[rest_at:].strip())
    for raw in raw_codes:
        code = normalise_code(raw, ref)
        if code is None:
            raise _bad_code(raw, ref, referentials)
        if code not in result.codes:
            result.codes.append(code)
    return result


def _bad_code(raw: str, ref: Referential, referentials: dict[str, Referential]) -> UserError:
    shown = raw.lstrip("#")
    for other in referentials.values():
        if other.id != ref.id and normalise_code(raw, other) is not None:
            return UserError("declarations/foreign_code", code=shown, other=other.title, other_id=other.id,
                             referential=ref.title, example=ref.competences()[0].code)
    suggestions: list[dict[str, Any]] = [{"code": c.code, "label": c.label} for c in closest_codes(raw, ref)]
    return UserError("declarations/unknown_code", code=shown, referential=ref.title, suggestions=suggestions)


def split_target(args: str) -> tuple[int | None, str]:
    """`#12 text` → (12, "text"); anything else → (None, args). The id may be beyond `MAX_ID`."""
    match = _TARGET.match(args)
    if match:
        return int(match.group(1)), match.group(2).strip()
    return None, args.strip()


def can_exist(declaration_id: int) -> bool:
    """Whether a declaration could have this id (checked before asking the database)."""
    return 0 < declaration_id <= MAX_ID


def split_code(text: str, ref: Referential) -> tuple[str | None, str]:
    """A leading competence code picks one declaration in a thread: `B2-3 bravo` → ("B2-3", "bravo")."""
    first, _, rest = text.strip().partition(" ")
    code = normalise_code(first, ref) if first and _CODEISH.match(first) else None
    return (code, rest.strip()) if code else (None, text.strip())
