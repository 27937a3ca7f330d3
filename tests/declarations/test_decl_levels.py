"""CRCN levels: positioning with evidence, validation at a lower level, the portfolio's profile."""

from __future__ import annotations

from decl_support import Run, declarations, reviews, templates

CRCN = """space crcn referential=crcn
member alice
trainer fabienne
at 2026-09-07T09:00
"""


async def test_level_declared_then_validated_lower_and_the_portfolio_shows_both(run: Run) -> None:
    replay = await run(CRCN + """
alice in general: /positionner 2.3 4 J'ai organisé l'écriture collaborative d'un récit sur un pad avec mes 5e
expect declarations/declared
fabienne reply: /valider 2.3 niveau 3 Le pad est là, la coordination de l'équipe pas encore
expect declarations/validated to alice
alice dm: /portfolio
expect declarations/portfolio to alice
""")
    [decl] = await declarations(replay)
    assert (decl.code, decl.state, decl.level, decl.validated_level) == ("2.3", "validated", 4, 3)
    assert decl.trace_text == "J'ai organisé l'écriture collaborative d'un récit sur un pad avec mes 5e"
    assert (await reviews(replay))[-1][2:] == ("validated", "Le pad est là, la coordination de l'équipe pas encore")
    ack = next(d for d in replay.delivered if d.template == "declarations/declared")
    assert "**2.3** — Collaborer · niveau 4 déclaré" in ack.text
    told = next(d for d in replay.delivered if d.template == "declarations/validated")
    assert "validée au **niveau 3** (niveau déclaré : 4)" in told.text
    portfolio = replay.delivered[-1].text
    assert "- 2.3 (validée, n° 1) — niveau validé 3 · niveau déclaré 4 — trace : J'ai organisé" in portfolio
    assert "`2.3 ▰▰▰▱····` 3 (déclaré 4)" in portfolio  # the domain's profile line
    assert "`2.1 ········` —" in portfolio
    assert "meilleur niveau validé : 3" in portfolio
    assert "au moins le niveau 3 (Indépendant) dans chaque domaine" in portfolio
    assert "Domaine 1 (Information et données) : encore 1 compétence à valider au niveau 3 ou plus" in portfolio
    assert "Domaine 2 (Communication" not in portfolio  # domain 2 has its level 3


async def test_validating_without_a_level_recognises_the_declared_one(run: Run) -> None:
    replay = await run(CRCN + """
alice in general: Séance de programmation Scratch avec les CM2. /positionner 3.4 niveau 2 https://exemple.org/scratch
expect declarations/declared
fabienne reply: Très bien. /valider
expect declarations/validated to alice
""")
    [decl] = await declarations(replay)
    assert (decl.level, decl.validated_level, decl.state) == (2, 2, "validated")
    assert decl.trace_text == "Séance de programmation Scratch avec les CM2. https://exemple.org/scratch"


async def test_level_mistakes_get_polite_answers_and_change_nothing(run: Run) -> None:
    replay = await run(CRCN + """
alice in general: /positionner 2.3 9 mon pad
expect declarations/bad_level
alice in general: /positionner 2.3 mon pad
expect declarations/positionner_usage
alice in general: /positionner 2.9 4 mon pad
expect declarations/unknown_code
alice in general: /positionner 2.3 4 Un pad collaboratif avec les 4e
expect declarations/declared
fabienne reply: /valider niveau 5
expect declarations/level_above
fabienne reply: /valider niveau 12
expect declarations/bad_level
fabienne reply: /valider 3
expect declarations/level_syntax
fabienne reply: /valider niveau trois
expect declarations/level_syntax
""")
    [decl] = await declarations(replay)
    assert (decl.state, decl.level, decl.validated_level) == ("declared", 4, None)
    assert await reviews(replay) == []
    sent = {d.template: d.text for d in replay.delivered}
    assert "les niveaux vont de 1 à 8 (1 Novice, 2 Novice, 3 Indépendant" in sent["declarations/bad_level"]
    assert "`/valider #1 niveau 4`" in sent["declarations/level_above"]
    assert "`/positionner 2.3 5 <trace>`" in sent["declarations/level_above"]
    assert "`/positionner <code> <niveau> <trace>`" in sent["declarations/positionner_usage"]
    assert "errors/internal" not in templates(replay)


async def test_positionner_needs_a_referential_with_levels(run: Run) -> None:
    replay = await run("""
alice in general: /positionner B2-3 3 ma séance
expect declarations/no_levels
""")
    assert await declarations(replay) == []
    told = next(d for d in replay.delivered if d.template == "declarations/no_levels")
    assert "`/declare A1-1 <trace>`" in told.text


async def test_a_higher_level_may_be_declared_after_a_validation(run: Run) -> None:
    replay = await run(CRCN + """
alice in general: /positionner 2.3 3 Un pad avec les 4e
fabienne reply: /valider
alice in general: /positionner 2.3 3 Un autre pad
expect declarations/nothing_new
alice in general: /positionner 2.3 5 Un projet d'écriture entre deux collèges
expect declarations/declared
alice dm: /portfolio
""")
    decls = await declarations(replay)
    assert [(d.level, d.validated_level, d.state) for d in decls] == [(3, 3, "validated"), (5, None, "declared")]
    portfolio = replay.delivered[-1].text
    assert "- 2.3 (déclarée, n° 2) — niveau validé 3 · niveau déclaré 5" in portfolio
    assert "`2.3 ▰▰▰▱▱···` 3 (déclaré 5)" in portfolio


async def test_c2i2e_portfolio_shows_what_a_validation_says_about_crcn(run: Run) -> None:
    replay = await run("""
alice in general: /declare B2-3 https://exemple.org/recherche
fabienne reply: /valider
alice dm: /portfolio
expect declarations/portfolio to alice
""")
    text = replay.delivered[-1].text
    assert "**Ce que vos validations « Certificat informatique et internet niveau 2 « enseignant » (C2i2e) » " \
           "disent de « Cadre de référence des compétences numériques (CRCN) »**" in text
    assert ("- B2-3 → 1.1 Mener une recherche et une veille d'information — "
            "Démarches de recherche d'information.") in text
    assert "une validation C2i2e ne vaut pas un niveau CRCN" in text
