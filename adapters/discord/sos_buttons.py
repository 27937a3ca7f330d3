"""Buttons under an SOS assignment's private message: Je la prends / Je passe / La réponse est juste.

The core names the actions it offers (`SendDirect.actions`: "claim", "pass", "endorse"). Like the
declaration buttons (`views.py`) they are `DynamicItem`s whose custom id carries everything
(`ticebot:sos:<question>:claim`), so a press on a message sent before a restart is still understood.
A press becomes exactly what the person could have typed or done:
- claim → `/claim #<question>` in the DM (the number says which question: the core resolves it);
- pass → a form for an optional reason, then `/passer #<question> <reason>`;
- endorse → a ✅ on the peer's reply (`SendDirect.endorse_reply`, in the custom id), the same reaction
  event, with the same id, as ticking it in the thread.
Who may do what stays the core's call.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord.ack import acknowledge_and_submit
from adapters.discord.translate import channel_ref, command_invoked, user_ref
from bot.actions import SendDirect
from bot.events import ReactionAdded
from bot.refs import MessageRef

ENDORSE_EMOJI = "✅"
REASON_LIMIT = 500
# action → (button label, style); the order is the buttons' order.
BUTTONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "claim": ("Je la prends", discord.ButtonStyle.success),
    "pass": ("Je passe", discord.ButtonStyle.secondary),
    "endorse": ("La réponse est juste ✅", discord.ButtonStyle.primary),
}
ACK = {"claim": "ack_claim", "pass": "ack_passer", "endorse": "ack_endorse"}  # discord/ templates


def custom_id(question_id: int, action: str, reply: MessageRef | None = None) -> str:
    base = f"ticebot:sos:{question_id}:{action}"
    return f"{base}:{reply.channel.id}:{reply.id}" if reply is not None else base


class SosButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ticebot:sos:(?P<id>[0-9]+):(?P<action>claim|pass|endorse)(?::(?P<channel>[0-9]+):(?P<message>[0-9]+))?",
):
    def __init__(self, question_id: int, action: str, reply: MessageRef | None = None) -> None:
        label, style = BUTTONS[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id(question_id, action, reply)))
        self.question_id = question_id
        self.action = action
        self.reply = reply

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> SosButton:
        reply = None
        if match["message"] is not None:
            reply = MessageRef(channel_ref(int(match["channel"])), match["message"])
        return cls(int(match["id"]), match["action"], reply)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.action == "pass":
            await interaction.response.send_modal(PassModal(self.question_id))
            return
        if self.action == "claim":
            event: Any = command_invoked(interaction, "claim", f"#{self.question_id}")
        else:
            assert self.reply is not None  # the template only matches endorse with its reply
            event = ReactionAdded(
                event_id=f"reaction:{self.reply.id}:{interaction.user.id}:{ENDORSE_EMOJI}",
                user=user_ref(interaction.user),
                message=self.reply,
                emoji=ENDORSE_EMOJI,
            )
        await acknowledge_and_submit(interaction, event, ACK[self.action])


class PassModal(discord.ui.Modal):
    """The reason is optional: passing must stay one click away from "I can't"."""

    def __init__(self, question_id: int) -> None:
        super().__init__(
            title=f"Passer la question n°{question_id}", custom_id=custom_id(question_id, "pass") + ":modal",
            timeout=30 * 60,
        )
        self.question_id = question_id
        self.reason: discord.ui.TextInput[PassModal] = discord.ui.TextInput(
            label="Raison, pour la personne suivante (facultatif)",
            style=discord.TextStyle.paragraph,
            placeholder="En formation cette semaine…",
            required=False,
            max_length=REASON_LIMIT,
        )
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        args = f"#{self.question_id} {self.reason.value.strip()}"
        await acknowledge_and_submit(interaction, command_invoked(interaction, "passer", args), ACK["pass"])


def sos_view(action: SendDirect) -> discord.ui.View | None:
    """The buttons of an assignment message; None when the core offered no action a button can do."""
    if action.question_id is None:
        return None
    items = [SosButton(action.question_id, name, action.endorse_reply if name == "endorse" else None)
             for name in BUTTONS if name in action.actions and (name != "endorse" or action.endorse_reply)]
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view
