"""What a validation in one referential says about another, read from the referentials' crosswalks.

A crosswalk is a thematic correspondence written by people (each link has its note), not an
equivalence: « B2-3 validée » points to CRCN 1.1, it does not grant a CRCN level. Callers show the
crosswalk's own note with the links.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from bot.referential.model import Referential


def crosswalk_notes(
    referentials: Mapping[str, Referential], validated: Mapping[str, Set[str]], about: str
) -> list[dict[str, Any]]:
    """Crosswalks from or to the referential `about`, limited to the competences validated.

    `validated` maps referential ids to the codes the member has validated there. Each entry:
    from / to (id and title), the crosswalk's note, and links (code, label, targets, note).
    """
    entries = []
    for source in referentials.values():
        codes = validated.get(source.id, set())
        for walk in source.crosswalks:
            target = referentials.get(walk.to)
            if target is None or about not in (source.id, target.id) or not codes:
                continue
            links = []
            for link in walk.links:
                if link.code not in codes:
                    continue
                competence = source.get(link.code)
                links.append({
                    "code": link.code, "label": competence.label if competence else link.code, "note": link.note,
                    "targets": [{"code": t, "label": c.label if (c := target.get(t)) else t} for t in link.targets],
                })
            if links:
                entries.append({"from_id": source.id, "from_title": source.title, "to_id": target.id,
                                "to_title": target.title, "note": walk.note.strip(), "links": links})
    return entries
