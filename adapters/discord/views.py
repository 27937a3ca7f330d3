"""Buttons under a declaration (Valider / Refuser / Demander des précisions) and their modals.

The buttons are `DynamicItem`s: the declaration id and the action live in the custom id
(`ticebot:decl:<id>:validate`), so a click on a message sent weeks ago, before a restart, is still
understood without any stored view. A click becomes the same CommandInvoked as the slash command
(`valider` / `refuser` / `precisions` with args `#<id> <text>`); who may validate is the core's call.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord.ack import acknowledge_and_submit
from adapters.discord.translate import command_invoked, message_ref
from bot.refs import MessageRef

# action in the custom id → (core command, button label, style)
ACTIONS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "validate": ("valider", "Valider", discord.ButtonStyle.success),
    "refuse": ("refuser", "Refuser", discord.ButtonStyle.danger),
    "precisions": ("precisions", "Demander des précisions", discord.ButtonStyle.secondary),
}
ACK = {"valider": "ack_valider", "refuser": "ack_refuser", "precisions": "ack_precisions"}  # discord/ templates
_MODALS = {
    "refuse": ("Refuser la déclaration n°{id}", "Motif du refus", "Ce qui manque pour valider…"),
    "precisions": ("Précisions sur la déclaration n°{id}", "Votre question", "Pouvez-vous préciser…"),
}


def custom_id(declaration_id: int, action: str) -> str:
    return f"ticebot:decl:{declaration_id}:{action}"


def _target(interaction: discord.Interaction[Any]) -> MessageRef | None:
    message = interaction.message
    if message is None:
        return None
    return message_ref(message.channel, message.channel.id, message.id)


class DeclarationButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ticebot:decl:(?P<id>[0-9]+):(?P<action>validate|refuse|precisions)",
):
    def __init__(self, declaration_id: int, action: str) -> None:
        _, label, style = ACTIONS[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id(declaration_id, action)))
        self.declaration_id = declaration_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> DeclarationButton:
        return cls(int(match["id"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        name = ACTIONS[self.action][0]
        target = _target(interaction)
        if self.action == "validate":
            event = command_invoked(interaction, name, f"#{self.declaration_id}", target=target)
            await acknowledge_and_submit(interaction, event, ACK[name])
            return
        await interaction.response.send_modal(ReasonModal(self.declaration_id, self.action, target))


class ReasonModal(discord.ui.Modal):
    """The motif of a refusal, or the question asked back to the member."""

    def __init__(self, declaration_id: int, action: str, target: MessageRef | None) -> None:
        title, label, placeholder = _MODALS[action]
        super().__init__(
            title=title.format(id=declaration_id),
            custom_id=custom_id(declaration_id, action) + ":modal",
            timeout=30 * 60,
        )
        self.declaration_id = declaration_id
        self.action = action
        self.target = target
        self.reason: discord.ui.TextInput[ReasonModal] = discord.ui.TextInput(
            label=label,
            style=discord.TextStyle.paragraph,
            placeholder=placeholder,
            required=True,
            max_length=1500,
        )
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        name = ACTIONS[self.action][0]
        args = f"#{self.declaration_id} {self.reason.value.strip()}"
        event = command_invoked(interaction, name, args, target=self.target)
        await acknowledge_and_submit(interaction, event, ACK[name])


def declaration_view(declaration_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ACTIONS:
        view.add_item(DeclarationButton(declaration_id, action))
    return view
