"""Core events: what adapters hand to the core. Plain data, no platform objects inside.

`event_id` is the platform's own id of the event: the idempotency key (a replayed event changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    url: str = ""
    mime: str = ""


@dataclass(frozen=True, slots=True)
class PostCreated:
    """A message was posted. `thread` is None for a top-level post (a new thread root)."""

    event_id: str
    author: UserRef
    channel: ChannelRef
    message: MessageRef
    text: str
    thread: ThreadRef | None = None
    title: str = ""  # a forum post's title (Discord forum), else empty
    is_direct: bool = False  # a private conversation with the bot
    author_is_bot: bool = False
    reply_to: MessageRef | None = None  # quoted reply outside a thread
    attachments: tuple[Attachment, ...] = ()
    at: datetime | None = None  # platform timestamp; the injected clock is used when None
    # The space the platform says this happened in (e.g. the Discord guild's space), for channels
    # that the configuration does not list: they count as the space's general channels.
    space_hint: str | None = None


@dataclass(frozen=True, slots=True)
class PostEdited:
    event_id: str
    message: MessageRef
    text: str


@dataclass(frozen=True, slots=True)
class PostDeleted:
    event_id: str
    message: MessageRef


@dataclass(frozen=True, slots=True)
class ReactionAdded:
    event_id: str
    user: UserRef
    message: MessageRef
    emoji: str


@dataclass(frozen=True, slots=True)
class CommandInvoked:
    """A command coming from a platform's native command UI (slash command, button, modal).

    Text commands inside posts arrive as PostCreated and are parsed by the core, so both paths meet in
    the same handlers.
    """

    event_id: str
    user: UserRef
    channel: ChannelRef
    name: str
    args: str = ""
    thread: ThreadRef | None = None
    is_direct: bool = False
    target: MessageRef | None = None  # e.g. the declaration message a button sits on
    space_hint: str | None = None


@dataclass(frozen=True, slots=True)
class MemberRolesChanged:
    event_id: str
    user: UserRef
    space_id: str
    roles: frozenset[str] = field(default_factory=frozenset)


CoreEvent = PostCreated | PostEdited | PostDeleted | ReactionAdded | CommandInvoked | MemberRolesChanged
