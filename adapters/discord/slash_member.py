"""Slash commands about the member themself: `/positionner`, and the settings with fixed choices
(`/confidentialite`, `/consentement`, `/oublier`, `/langue`), offered as Discord choices so that a
mistyped word cannot be sent (the core still refuses anything else, as for typed text)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord.slash_submit import submit

Choice = app_commands.Choice

# CRCN's scale is 1–8; a referential with a shorter one gets the core's polite refusal listing it.
LEVEL_MAX = 8


@app_commands.describe(
    code="Code de la compétence (tapez le début : 2.3, B2…)",
    niveau="Le niveau que vous pensez avoir atteint (1 à 8 dans le CRCN)",
    trace="La trace : un lien, ou quelques lignes sur ce que vous avez fait",
    fichier="Une pièce jointe comme trace (facultatif)",
)
async def positionner(
    interaction: discord.Interaction[Any],
    code: str,
    niveau: app_commands.Range[int, 1, LEVEL_MAX],
    trace: str,
    fichier: discord.Attachment | None = None,
) -> None:
    args = f"{code} {niveau} {trace}"
    if fichier is not None:
        args += f" {fichier.url}"
    await submit(interaction, args)


@app_commands.describe(choix="Qui voit vos déclarations faites dans un fil public")
@app_commands.choices(choix=[
    Choice(name="privé — seuls vous, les validateurs et la coordination", value="prive"),
    Choice(name="public — les décisions sont données dans le fil", value="public"),
])
async def confidentialite(interaction: discord.Interaction[Any], choix: str) -> None:
    await submit(interaction, choix)


@app_commands.describe(choix="Accepter d'être nommé·e dans les bilans et remerciements publics, ou non")
@app_commands.choices(choix=[
    Choice(name="public — je peux être nommé·e", value="public"),
    Choice(name="privé — ne pas me nommer (par défaut)", value="prive"),
])
async def consentement(interaction: discord.Interaction[Any], choix: str) -> None:
    await submit(interaction, choix)


@app_commands.describe(etape="Vide : demander l'effacement ; puis « confirmer » dans les 10 minutes, ou « annuler »")
@app_commands.choices(etape=[
    Choice(name="confirmer — effacer mes données maintenant (irréversible)", value="confirmer"),
    Choice(name="annuler — garder mes données", value="annuler"),
])
async def oublier(interaction: discord.Interaction[Any], etape: str | None = None) -> None:
    await submit(interaction, etape or "")


@app_commands.describe(langue="La langue de mes messages")
@app_commands.choices(langue=[Choice(name="français", value="fr"), Choice(name="English", value="en")])
async def langue(interaction: discord.Interaction[Any], langue: str) -> None:
    await submit(interaction, langue)


@app_commands.describe(
    mots="Les mots à chercher ; ou « ajouter [titre | résumé] », « modifier ‹n°› titre: … résumé: … », "
         "« retirer ‹n°› » (formateurs)",
)
async def faq(interaction: discord.Interaction[Any], mots: app_commands.Range[str, 1, 400]) -> None:
    # One free-text option: /faq's sub-commands are words of the core's own syntax, parsed there.
    await submit(interaction, mots)
