"""Core actions: what the core asks adapters to do. Stored as outbox rows before delivery.

`text` is Markdown. People named in it appear as `@Display` and are listed in `mentions` so that each
adapter can turn them into its own mention (Matrix pill, Discord `<@id>`).
`template` is the name of the prompt that produced the text (e.g. `sos/nudge`), for tests and replays.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef


@dataclass(frozen=True, slots=True)
class SendMessage:
    channel: ChannelRef
    text: str
    template: str = ""
    mentions: tuple[UserRef, ...] = ()
    image_path: str = ""  # a chart to upload with the message


@dataclass(frozen=True, slots=True)
class ReplyInThread:
    thread: ThreadRef
    text: str
    template: str = ""
    mentions: tuple[UserRef, ...] = ()
    # Set when the core wants buttons under the message (Discord); adapters may ignore it.
    declaration_id: int | None = None


@dataclass(frozen=True, slots=True)
class SendDirect:
    user: UserRef
    text: str
    template: str = ""
    mentions: tuple[UserRef, ...] = ()
    attachment_path: str = ""  # a file to send privately (data export)
    declaration_id: int | None = None
    # An SOS assignment: the question and the actions offered, by stable name ("claim", "pass",
    # "endorse"), which an adapter may render as buttons running the commands /claim, /passer, ✅.
    question_id: int | None = None
    actions: tuple[str, ...] = ()
    # With "endorse": the peer reply it confirms, so that a button can stand for the ✅ on it.
    endorse_reply: MessageRef | None = None


@dataclass(frozen=True, slots=True)
class React:
    message: MessageRef
    emoji: str


@dataclass(frozen=True, slots=True)
class MentionRoles:
    """Alert a group of people in a channel (formateurs' room, coordinator)."""

    channel: ChannelRef
    text: str
    roles: tuple[str, ...] = ()
    template: str = ""
    mentions: tuple[UserRef, ...] = ()



@dataclass(frozen=True, slots=True)
class MarkThread:
    """The question's state changed; platforms with thread labels show it (Discord forum tags)."""

    thread: ThreadRef
    state: str  # "open" | "escalated" | "resolved"


CoreAction = SendMessage | ReplyInThread | SendDirect | React | MentionRoles | MarkThread
