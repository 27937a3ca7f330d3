"""Fixtures for the Discord adapter tests: a real discord.py client on a fake REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from discord_fakes import Harness


@dataclass(frozen=True)
class Item:
    code: str
    label: str


class TinyReferential:
    """The two attributes autocomplete reads (`.competences()` → `.code`, `.label`)."""

    ITEMS = (
        Item("A1-3", "Choisir et utiliser les ressources et services disponibles dans un ENT."),
        Item("B2-1", "Concevoir des situations d'apprentissage mettant en œuvre des outils numériques."),
        Item("B2-2", "Préparer des ressources adaptées à la diversité des publics."),
        Item("B2-3", "Organiser le travail des élèves en intégrant les usages numériques."),
        Item("B3-1", "Conduire des situations d'apprentissage diversifiées."),
        Item("C2-1", "Évaluer avec le numérique, en b2b comme ailleurs."),
    )

    def competences(self) -> tuple[Item, ...]:
        return self.ITEMS


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = await Harness.start(referentials=lambda space_id: TinyReferential())
    yield h
    await h.close()
