"""One command parser for every adapter: `/declare`, `!declare` and plain `declare` in a DM parse alike.

Names are matched without accents or case (`/résolu` = `/resolu`), arguments keep their accents and
quotes are honoured (`/refuser "trace illisible"`).
"""

from __future__ import annotations

import difflib
import shlex
import unicodedata
from dataclasses import dataclass

PREFIXES = ("/", "!")


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str  # canonical name
    args: str  # raw argument text, accents and quotes kept
    argv: tuple[str, ...]  # shell-like split of args (quotes honoured)
    prefixed: bool


@dataclass(frozen=True, slots=True)
class UnknownCommand:
    written: str
    suggestions: tuple[str, ...]


def fold(text: str) -> str:
    """Lowercase without accents: the form names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def split_args(args: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(args, posix=True))
    except ValueError:  # an unbalanced quote: fall back to words rather than refusing the command
        return tuple(args.split())


class CommandParser:
    def __init__(self, names: dict[str, str]) -> None:
        """`names` maps every accepted spelling (folded) to its canonical command name."""
        self.names = {fold(k): v for k, v in names.items()}

    def parse(self, text: str, *, is_direct: bool = False) -> ParsedCommand | UnknownCommand | None:
        stripped = text.strip()
        if not stripped:
            return None
        prefixed = stripped[0] in PREFIXES
        body = stripped[1:] if prefixed else stripped
        parts = body.split(maxsplit=1)
        head = parts[0] if parts else ""
        rest = parts[1] if len(parts) > 1 else ""
        if not head or (prefixed and not head[0].isalpha()):
            return None
        name = self.names.get(fold(head))
        if name is not None and (prefixed or is_direct):
            args = rest.strip()
            return ParsedCommand(name=name, args=args, argv=split_args(args), prefixed=prefixed)
        if prefixed:
            return UnknownCommand(written=head, suggestions=self.suggest(head))
        return None

    def suggest(self, written: str, n: int = 3) -> tuple[str, ...]:
        matches = difflib.get_close_matches(fold(written), list(self.names), n=n * 2, cutoff=0.5)
        seen: list[str] = []
        for match in matches:
            canonical = self.names[match]
            if canonical not in seen:
                seen.append(canonical)
        return tuple(seen[:n])
