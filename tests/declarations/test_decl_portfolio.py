"""Certification progress through /portfolio."""

from __future__ import annotations

from decl_support import Run, declarations

from bot.referential import load_all

CODES = [c.code for c in load_all()["c2i2e"].competences()]


async def test_exactly_23_validated_is_certified(run: Run) -> None:
    # Leave out one item in four different domains (at most 2 unvalidated per domain).
    left_out = {"A1-5", "A2-3", "B1-3", "B3-5"}
    chosen = [c for c in CODES if c not in left_out]
    assert len(chosen) == 23
    replay = await run(f"""
alice in general: /declare {' '.join(chosen)} Mon portfolio de master : https://exemple.org/portfolio
fabienne reply: /valider
alice dm: /portfolio
expect declarations/portfolio to alice
""")
    assert {d.state for d in await declarations(replay)} == {"validated"}
    text = replay.delivered[-1].text
    assert "toutes les conditions sont remplies" in text and "Il manque" not in text
    assert "validées 4/5" in text and "trace : Mon portfolio de master : https://exemple.org/portfolio" in text


async def test_22_validated_says_one_missing(run: Run) -> None:
    chosen = [c for c in CODES if c not in {"A1-5", "A2-3", "B1-3", "B3-5", "B3-4"}]
    replay = await run(f"""
alice in general: /declare {' '.join(chosen)} https://exemple.org/portfolio
fabienne reply: /valider
alice dm: /portfolio
""")
    text = replay.delivered[-1].text
    assert "Encore 1 compétence à valider (22 validées sur 23 requises)." in text
    assert "toutes les conditions" not in text


async def test_three_refusals_in_one_domain_is_not_certified(run: Run) -> None:
    refused = ["A1-1", "A1-2", "A1-3"]
    others = [c for c in CODES if c not in refused]
    assert len(others) == 24
    replay = await run(f"""
alice in general: /declare {' '.join(refused)} https://exemple.org/a1
fabienne reply: /refuser Traces insuffisantes
alice in general: /declare {' '.join(others)} https://exemple.org/reste
fabienne reply: /valider
alice dm: /portfolio
""")
    states = [d.state for d in await declarations(replay)]
    assert states.count("not_validated") == 3 and states.count("validated") == 24
    text = replay.delivered[-1].text
    assert "toutes les conditions" not in text
    assert "Domaine A1" in text and "non validées 3" in text and "encore 1 compétence à valider" in text


async def test_portfolio_counts_pending_and_needs_info(run: Run) -> None:
    replay = await run("""
alice in general: /declare B2-1 https://exemple.org/1
fabienne reply: /precisions Quel niveau ?
alice dm: /declare B2-2 une trace écrite
alice dm: /portfolio
""")
    text = replay.delivered[-1].text
    assert "validées 0/5 · en attente 1 · précisions demandées 1 · non validées 0" in text
    assert "B2-1 (précisions demandées" in text and "B2-2 (déclarée" in text
