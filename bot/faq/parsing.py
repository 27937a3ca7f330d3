"""`/faq` arguments: a search, or one of the curation verbs (French and English words)."""

from __future__ import annotations

import re
from dataclasses import dataclass

ADD = ("ajouter", "ajout", "add")
EDIT = ("modifier", "editer", "éditer", "edit")
REMOVE = ("retirer", "supprimer", "remove", "delete")
TITLE_MAX = 200

_NUMBER = re.compile(r"^#?(\d+)$")
# `titre: …` and/or `résumé: …`, in either order; the label words of the other field end a value.
_FIELD = re.compile(r"(?P<key>titre|title|r[ée]sum[ée]|summary)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class FaqRequest:
    verb: str  # search | add | edit | remove | usage
    text: str = ""  # the search words
    number: str = ""  # the entry number as typed
    title: str | None = None
    summary: str | None = None


def parse(args: str) -> FaqRequest:
    text = args.strip()
    if not text:
        return FaqRequest("usage")
    first, _, rest = text.partition(" ")
    word = first.casefold()
    rest = rest.strip()
    if word in ADD:
        title, sep, summary = rest.partition("|")
        return FaqRequest("add", title=title.strip() or None, summary=summary.strip() or None if sep else None)
    if word in REMOVE:
        return FaqRequest("remove", number=rest)
    if word in EDIT:
        number, _, fields = rest.partition(" ")
        title, summary = edit_fields(fields)
        return FaqRequest("edit", number=number, title=title, summary=summary)
    return FaqRequest("search", text=text)


def edit_fields(text: str) -> tuple[str | None, str | None]:
    """(title, summary) from `titre: … résumé: …`; None for a field not written."""
    found = list(_FIELD.finditer(text))
    values: dict[str, str] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        key = "title" if match["key"].casefold() in ("titre", "title") else "summary"
        values[key] = text[match.end():end].strip()
    return values.get("title"), values.get("summary")


def entry_number(typed: str) -> int | None:
    match = _NUMBER.match(typed.strip())
    return int(match.group(1)) if match else None
