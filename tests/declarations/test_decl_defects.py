"""Issue 21 defects in declarations: huge `#id`s, and a read (/a-valider) that changed state."""

from __future__ import annotations

import pytest
from decl_support import Run, declarations, reviews, templates


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "0"])
async def test_huge_or_impossible_id_is_not_found(run: Run, database_url: str, number: str) -> None:
    replay = await run(f"""
alice in general: /declare B2-3 https://exemple.org/sequence
fabienne dm: /valider #{number} bravo
expect declarations/not_found to fabienne
fabienne dm: /refuser #{number} trace illisible
expect declarations/not_found to fabienne
fabienne dm: /precisions #{number} Quel niveau ?
expect declarations/not_found to fabienne
""", database_url)
    [decl] = await declarations(replay)
    assert decl.state == "declared" and await reviews(replay) == []
    assert "errors/internal" not in templates(replay)
    found = [d for d in replay.delivered if d.template == "declarations/not_found"]
    assert len(found) == 3 and all(f"n° {number}" in d.text for d in found)


async def test_listing_the_queue_changes_nothing(run: Run) -> None:
    replay = await run("""
alice dm: /declare A1-1 trace un
bruno in general: /declare A1-2 trace deux
tom dm: /a-valider
expect declarations/queue to tom
fabienne dm: /a-valider
expect declarations/queue to fabienne
""")
    assert [d.state for d in await declarations(replay)] == ["declared", "declared"]
    assert await reviews(replay) == []  # no audit row attributed to whoever looked
    assert "n° 1" in replay.delivered[-1].text and "n° 2" in replay.delivered[-1].text
