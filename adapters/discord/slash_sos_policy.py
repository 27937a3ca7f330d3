"""Slash commands of the SOS policy: `/claim`, `/passer`, `/absent`, `/permanence`.

Each one writes the arguments the typed command takes (`/passer 12 raison`, `/absent 20/09`,
`/permanence <@id> 2026-09-21`); the core reads, checks and refuses them exactly as typed text.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord.slash_submit import submit

REASON_LIMIT = 500  # characters: a reason is a few words for the next person, not a message


def _numbered(question: int | None, rest: str = "") -> str:
    """`#12 rest` when a number was given (needed in a DM), else the rest alone (the thread's question)."""
    return f"#{question} {rest}" if question is not None else rest


@app_commands.describe(question="Numéro de la question (en message privé ; dans le fil, inutile)")
async def claim(interaction: discord.Interaction[Any], question: app_commands.Range[int, 1] | None = None) -> None:
    await submit(interaction, _numbered(question))


@app_commands.describe(
    question="Numéro de la question (en message privé ; dans le fil, inutile)",
    raison="Pourquoi vous passez, pour la personne suivante (facultatif)",
)
async def passer(
    interaction: discord.Interaction[Any],
    question: app_commands.Range[int, 1] | None = None,
    raison: app_commands.Range[str, 1, REASON_LIMIT] | None = None,
) -> None:
    await submit(interaction, _numbered(question, raison or ""))


@app_commands.rename(jusqu_au="jusqu-au")
@app_commands.describe(
    jusqu_au="Dernier jour d'absence, inclus (20/09, 20/09/2026 ou 2026-09-20), ou « fin » si vous êtes de retour",
    du="Premier jour, pour une absence déclarée à l'avance (19/10) ; vide : à partir de maintenant",
    raison="Pourquoi (facultatif, pour vous seul·e : formation, congé…)",
)
async def absent(
    interaction: discord.Interaction[Any],
    jusqu_au: app_commands.Range[str, 1, 40] | None = None,
    du: app_commands.Range[str, 1, 40] | None = None,
    raison: app_commands.Range[str, 1, 200] | None = None,
) -> None:
    # The same words as typed: `/absent du 19/10 au 30/10 formation`; nothing at all lists the absences.
    words = [f"du {du} au" if du and jusqu_au else "", jusqu_au or du or "", raison or ""]
    await submit(interaction, " ".join(w for w in words if w))


@app_commands.describe(
    formateur="Coordination : le formateur ou la formatrice de permanence (vide : voir les permanences)",
    semaine="Un jour de la semaine concernée (20/09, 2026-09-21 ; vide : cette semaine)",
)
async def permanence(
    interaction: discord.Interaction[Any],
    formateur: discord.Member | discord.User | None = None,
    semaine: app_commands.Range[str, 1, 40] | None = None,
) -> None:
    words = [f"<@{formateur.id}>" if formateur is not None else "", semaine or ""]
    await submit(interaction, " ".join(w for w in words if w))
