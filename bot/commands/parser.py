"""One command parser for every adapter: `/declare`, `!declare` and plain `declare` in a DM parse alike.

Names are matched without accents or case (`/résolu` = `/resolu`), arguments keep their accents and
quotes are honoured (`/refuser "trace illisible"`). A message that does not start with a command may
still carry one inside it, for the commands that allow it (`bot/commands/inline.py` says when).
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass

from bot.commands.inline import find_inline, fold

PREFIXES = ("/", "!")


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str  # canonical name
    args: str  # raw argument text, accents and quotes kept
    argv: tuple[str, ...]  # shell-like split of args (quotes honoured)
    prefixed: bool
    embedded: bool = False  # written inside a message rather than at its start
    before: str = ""  # for an embedded command: the author's own words before it (quotes left out)


@dataclass(frozen=True, slots=True)
class UnknownCommand:
    written: str
    suggestions: tuple[str, ...]


def split_args(args: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(args, posix=True))
    except ValueError:  # an unbalanced quote: fall back to words rather than refusing the command
        return tuple(args.split())


class CommandParser:
    def __init__(self, names: dict[str, str], inline: dict[str, str] | None = None) -> None:
        """`names` maps every accepted spelling (folded) to its canonical command name; `inline` maps
        the canonical names that may be written inside a message to their mode (`code`, `anywhere`,
        `end`, see `bot/commands/inline.py`)."""
        self.names = {fold(k): v for k, v in names.items()}
        self.inline = dict(inline or {})

    def parse(self, text: str, *, is_direct: bool = False) -> ParsedCommand | UnknownCommand | None:
        leading = self._leading(text, is_direct)
        if leading is not None or not self.inline:
            return leading
        found = find_inline(text, self.names, self.inline)
        if found is None:
            return None
        return ParsedCommand(name=found.name, args=found.args, argv=split_args(found.args), prefixed=True,
                             embedded=True, before=found.before)

    def _leading(self, text: str, is_direct: bool) -> ParsedCommand | UnknownCommand | None:
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
