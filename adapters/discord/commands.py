"""Slash commands: each one becomes a CommandInvoked for the core, answered at once privately.

Commands are registered for every configured guild (guild commands are updated instantly on sync);
the few that make sense in a private conversation with the bot are also registered globally, limited
to DMs, so that `/declare` and `/portfolio` work there too without appearing twice inside the guilds.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord import slash_member, slash_sos_policy
from adapters.discord.ack import ticebot_client
from adapters.discord.slash_sos import QUESTION_LIMIT, ask
from adapters.discord.slash_submit import no_args, submit
from adapters.discord.spaces import DiscordSpace

# Usable in a DM with the bot: they concern the member (or a question named by its number), not a
# thread. The core accepts each of them in a private message; the others need a thread or a message.
DM_COMMANDS = frozenset({
    "declare", "positionner", "portfolio", "bilan", "a-valider", "valider", "refuser", "precisions",
    "claim", "passer", "absent", "permanence", "sla", "digest", "tableau", "confidentialite", "consentement",
    "mes-donnees", "oublier", "aide", "langue", "faq",
})
MAX_CHOICES = 25  # Discord's limit for autocomplete answers
_CHOICE_LEN = 100  # Discord's limit for a choice's name and value


class Competence(Protocol):
    code: str
    label: str


class Referential(Protocol):
    def competences(self) -> Iterable[Competence]: ...


# ---------------------------------------------------------------- autocomplete


def _fold(text: str) -> str:
    """Case, accents and code punctuation folded: "b2.3", "B2-3" and "b2 3" are the same code."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace(".", "-").replace("_", "-").strip()


def competence_choices(
    referential: Referential, current: str, limit: int = MAX_CHOICES
) -> list[app_commands.Choice[str]]:
    """Codes whose code starts with what was typed first, then codes or labels containing it."""
    query = _fold(current)
    words = query.replace("-", " ").split()
    prefix: list[Competence] = []
    other: list[Competence] = []
    for item in referential.competences():
        code = _fold(item.code)
        if code.startswith(query.replace(" ", "-")):
            prefix.append(item)
        elif query and (query in code or all(word in _fold(item.label) for word in words)):
            other.append(item)
    choices = []
    for item in (prefix + other)[:limit]:
        name = f"{item.code} — {item.label}"
        if len(name) > _CHOICE_LEN:
            name = name[: _CHOICE_LEN - 1] + "…"
        choices.append(app_commands.Choice(name=name, value=item.code[:_CHOICE_LEN]))
    return choices


def space_for_interaction(interaction: discord.Interaction[Any]) -> DiscordSpace | None:
    """The guild's space; in a DM, the first space whose guild the user is a member of."""
    client = ticebot_client(interaction)
    if interaction.guild_id is not None:
        return client.spaces.by_guild(interaction.guild_id)
    for space in client.spaces:
        guild = client.get_guild(space.guild_id)
        if guild is not None and guild.get_member(interaction.user.id) is not None:
            return space
    only = list(client.spaces)
    return only[0] if len(only) == 1 else None


async def code_autocomplete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    space = space_for_interaction(interaction)
    if space is None:
        return []
    referential = ticebot_client(interaction).referential_for(space.space_id)
    if referential is None:
        return []
    return competence_choices(referential, current)


# ---------------------------------------------------------------- callbacks


@app_commands.describe(question="Votre question, en une ou deux phrases")
async def sos(interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, QUESTION_LIMIT]) -> None:
    await ask(interaction, question)  # published for the member first: a question needs a thread


@app_commands.describe(choix="on : recevoir votre résumé personnel ; off : l'arrêter ; maintenant : publier le bilan")
@app_commands.choices(
    choix=[
        app_commands.Choice(name="on — recevoir mon résumé personnel chaque semaine", value="on"),
        app_commands.Choice(name="off — ne plus le recevoir", value="off"),
        app_commands.Choice(name="maintenant — publier le bilan de la semaine (coordination)", value="maintenant"),
    ]
)
async def digest(interaction: discord.Interaction[Any], choix: str) -> None:
    await submit(interaction, choix)


@app_commands.describe(
    code="Code de la compétence (tapez le début : B2, 2.3…)",
    trace="La trace : un lien, ou quelques lignes sur ce que vous avez fait",
    fichier="Une pièce jointe comme trace (facultatif)",
)
async def declare(
    interaction: discord.Interaction[Any], code: str, trace: str, fichier: discord.Attachment | None = None
) -> None:
    args = f"{code} {trace}"
    if fichier is not None:
        args += f" {fichier.url}"
    await submit(interaction, args)


@app_commands.describe(code="Code de la compétence")
async def tag(interaction: discord.Interaction[Any], code: str) -> None:
    await submit(interaction, code)


@app_commands.describe(declaration="Numéro de la déclaration", commentaire="Un mot pour la personne (facultatif)")
async def valider(
    interaction: discord.Interaction[Any], declaration: app_commands.Range[int, 1], commentaire: str = ""
) -> None:
    await submit(interaction, f"#{declaration} {commentaire}")


@app_commands.describe(declaration="Numéro de la déclaration", motif="Ce qui manque pour valider")
async def refuser(interaction: discord.Interaction[Any], declaration: app_commands.Range[int, 1], motif: str) -> None:
    await submit(interaction, f"#{declaration} {motif}")


@app_commands.describe(declaration="Numéro de la déclaration", question="La question posée à la personne")
async def precisions(
    interaction: discord.Interaction[Any], declaration: app_commands.Range[int, 1], question: str
) -> None:
    await submit(interaction, f"#{declaration} {question}")


Callback = Callable[..., Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    description: str
    callback: Callback
    autocomplete: tuple[str, ...] = ()  # parameters completed with competence codes


SPECS: tuple[Spec, ...] = (
    Spec("sos", "Poser une question SOS TICE (réponse sous 4 jours)", sos),
    Spec("declare", "Déclarer une compétence avec une trace", declare, ("code",)),
    Spec("positionner", "Déclarer un niveau de compétence (CRCN) avec une trace", slash_member.positionner, ("code",)),
    Spec("portfolio", "Recevoir votre portfolio en message privé", no_args),
    Spec("bilan", "Recevoir votre bilan des compétences en message privé", no_args),
    Spec("confidentialite", "Visibilité de vos déclarations : privée ou publique", slash_member.confidentialite),
    Spec("resolu", "Marquer cette question comme résolue", no_args),
    Spec("pas-resolu", "Demandeur : les réponses n'ont pas résolu ma question", no_args),
    Spec("claim", "Je prends cette question (dans son fil, ou son numéro en privé)", slash_sos_policy.claim),
    Spec("passer", "Je ne peux pas la prendre : elle passe à la personne suivante", slash_sos_policy.passer),
    Spec("reouvrir", "Rouvrir cette question", no_args),
    Spec("absent", "Je suis absent·e jusqu'à une date (ou « fin » : de retour)", slash_sos_policy.absent),
    Spec("permanence", "Qui est de permanence ; coordination : fixer une semaine", slash_sos_policy.permanence),
    Spec("sla", "Formateur, coordination : le rapport des délais SOS, en privé", no_args),
    Spec("tag", "Formateur : ajouter une compétence à ce message", tag, ("code",)),
    Spec("untag", "Formateur : retirer une compétence de ce message", tag, ("code",)),
    Spec("a-valider", "Formateur : les déclarations en attente", no_args),
    Spec("digest", "Votre résumé de la semaine, ou le bilan publié maintenant", digest),
    Spec("valider", "Valider une déclaration", valider),
    Spec("refuser", "Refuser une déclaration", refuser),
    Spec("precisions", "Demander des précisions sur une déclaration", precisions),
    Spec("tableau", "Recevoir un lien vers le tableau de bord, en privé", no_args),
    Spec("consentement", "Accepter ou non d'être nommé·e dans les bilans publics", slash_member.consentement),
    Spec("mes-donnees", "Recevoir en privé tout ce que le bot a enregistré sur vous", no_args),
    Spec("oublier", "Effacer vos données (demande, puis confirmation)", slash_member.oublier),
    Spec("aide", "Les commandes du bot", no_args),
    Spec("langue", "La langue de mes messages : français ou anglais", slash_member.langue),
    Spec("faq", "Chercher dans les questions résolues et la FAQ de l'espace", slash_member.faq),
)

# Commands of the core deliberately not offered as slash commands, with the reason. Every command of
# the core registry is either in SPECS or here (tests/discord/test_discord_command_coverage.py), so a
# new command cannot silently miss Discord: it still works there as typed text.
TEXT_ONLY: dict[str, str] = {}


def build(spec: Spec, *, dm_only: bool = False) -> app_commands.Command[Any, ..., None]:
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.name, description=spec.description, callback=spec.callback
    )
    for param in spec.autocomplete:
        command.autocomplete(param)(code_autocomplete)
    if dm_only:
        command.allowed_contexts = app_commands.AppCommandContext(guild=False, dm_channel=True, private_channel=False)
    return command


def register(tree: app_commands.CommandTree[Any], guild_ids: Iterable[int]) -> None:
    guilds = [discord.Object(id=g) for g in guild_ids]
    for spec in SPECS:
        if guilds:
            tree.add_command(build(spec), guilds=guilds)
        if spec.name in DM_COMMANDS:
            tree.add_command(build(spec, dm_only=True))
