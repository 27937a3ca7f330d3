"""Discord → core: turn discord.py models into platform-neutral core events.

Pure functions (no I/O): the client (`bot.py`) resolves whatever must be fetched first, then calls these.

Reference conventions (the core compares refs for equality, so they are built in one place):
- a thread's ref is `ThreadRef(parent channel, thread id)`; Discord gives a forum post, and a thread made
  from a message, the id of its root message, so `ThreadRef.id` is also the root post's id;
- a message's ref names the channel the core knows, the parent channel for anything inside a thread:
  `MessageRef(forum or text channel, message id)`. The core files posts under PostCreated.channel and
  finds them again by the ref of a reaction, edit or deletion, which Discord reports with the thread as
  channel: both sides map to the parent here. (Delivery finds the thread back: `locations.py`.)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import discord

from bot.events import (
    Attachment,
    CommandInvoked,
    MemberRolesChanged,
    PostCreated,
    PostDeleted,
    PostEdited,
    ReactionAdded,
)
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

PLATFORM = "discord"

# Only people's posts are contributions; joins, pins, "thread created" notices and the like are not.
_POST_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.display_name)


def channel_ref(channel_id: int) -> ChannelRef:
    return ChannelRef(PLATFORM, str(channel_id))


def is_direct(channel: object) -> bool:
    """A private conversation: a DM, or a channel we only know by id outside any guild."""
    if isinstance(channel, discord.DMChannel | discord.GroupChannel):
        return True
    if isinstance(channel, discord.PartialMessageable):
        return channel.guild_id is None
    return False


def message_ref(channel: object, channel_id: int, message_id: int) -> MessageRef:
    """The ref of message `message_id` seen in channel `channel_id` (`channel` is the resolved object)."""
    if isinstance(channel, discord.Thread) and channel.parent_id:
        return MessageRef(channel_ref(channel.parent_id), str(message_id))
    return MessageRef(channel_ref(channel_id), str(message_id))


def location(channel: object, channel_id: int) -> tuple[ChannelRef, ThreadRef | None, bool]:
    """(channel, thread, is_direct) for something that happened in `channel`."""
    if isinstance(channel, discord.Thread) and channel.parent_id:
        parent = channel_ref(channel.parent_id)
        return parent, ThreadRef(parent, str(channel.id)), False
    return channel_ref(channel_id), None, is_direct(channel)


def _attachments(message: discord.Message) -> tuple[Attachment, ...]:
    return tuple(Attachment(name=a.filename, url=a.url, mime=a.content_type or "") for a in message.attachments)


def _text(message: discord.Message) -> str:
    # clean_content writes people as "@Display" (the form the core uses in its own texts) and
    # defuses @everyone; links and code are left untouched.
    return message.clean_content


def post_created(message: discord.Message) -> PostCreated | None:
    """A PostCreated for a person's message, or None for system messages."""
    if message.type not in _POST_TYPES:
        return None
    channel = message.channel
    where, thread, direct = location(channel, channel.id)
    title = ""
    if thread is not None and message.id == channel.id:
        # The first message of a forum post: the post itself, a new thread root. Its id is the thread's.
        thread = None
        title = getattr(channel, "name", "") or ""
    reply_to = None
    ref = message.reference
    if ref is not None and ref.message_id is not None and ref.channel_id is not None:
        reply_to = message_ref(channel if ref.channel_id == channel.id else None, ref.channel_id, ref.message_id)
    return PostCreated(
        event_id=str(message.id),
        author=user_ref(message.author),
        channel=where,
        message=message_ref(channel, channel.id, message.id),
        text=_text(message),
        thread=thread,
        title=title,
        is_direct=direct,
        author_is_bot=message.author.bot,
        reply_to=reply_to,
        attachments=_attachments(message),
        at=message.created_at,
    )


def with_space(event: PostCreated, space_id: str) -> PostCreated:
    return replace(event, space_hint=space_id)


def post_edited(message: discord.Message, edited_at: datetime | None) -> PostEdited:
    # The edit timestamp is part of the key: two successive edits are two events, a replayed one is not.
    stamp = edited_at.isoformat() if edited_at else "unknown"
    return PostEdited(
        event_id=f"edit:{message.id}:{stamp}",
        message=message_ref(message.channel, message.channel.id, message.id),
        text=_text(message),
    )


def post_deleted(channel: object, channel_id: int, message_id: int) -> PostDeleted:
    return PostDeleted(event_id=f"delete:{message_id}", message=message_ref(channel, channel_id, message_id))


def reaction_added(
    payload: discord.RawReactionActionEvent, channel: object, user: discord.abc.User | None
) -> ReactionAdded:
    """`channel` is the resolved channel (a thread is named by its parent); `user` may be None when
    the reactor is not cached (DMs): the id alone is then used."""
    who = user_ref(user) if user is not None else UserRef(PLATFORM, str(payload.user_id))
    emoji = str(payload.emoji)
    return ReactionAdded(
        # Gateway reactions carry no id of their own; one person can add one emoji once per message.
        event_id=f"reaction:{payload.message_id}:{payload.user_id}:{emoji}",
        user=who,
        message=message_ref(channel, payload.channel_id, payload.message_id),
        emoji=emoji,
    )


def reaction_seen(message: discord.Message, emoji: str, user: discord.abc.User) -> ReactionAdded:
    """A reaction found reading history: the same event (and id) as the live one it was."""
    return ReactionAdded(
        event_id=f"reaction:{message.id}:{user.id}:{emoji}",
        user=user_ref(user),
        message=message_ref(message.channel, message.channel.id, message.id),
        emoji=emoji,
    )


def roles_changed(member: discord.Member, space_id: str, roles: frozenset[str], stamp: int) -> MemberRolesChanged:
    """`stamp` makes each observation a distinct event: the role set itself may come back to an
    earlier value (A → B → A), which an id built from the set alone would drop as a replay."""
    return MemberRolesChanged(
        event_id=f"roles:{member.guild.id}:{member.id}:{stamp}",
        user=user_ref(member),
        space_id=space_id,
        roles=roles,
    )


def roles_lost(
    user_id: int, member: discord.Member | None, guild_id: int, space_id: str, stamp: int
) -> MemberRolesChanged:
    """No mapped role any more (demoted, or gone from the guild: then only the id is known)."""
    who = user_ref(member) if member is not None else UserRef(PLATFORM, str(user_id))
    return MemberRolesChanged(event_id=f"roles:{guild_id}:{user_id}:{stamp}", user=who, space_id=space_id)


def command_invoked(
    interaction: discord.Interaction, name: str, args: str = "", target: MessageRef | None = None
) -> CommandInvoked:
    channel = interaction.channel
    channel_id = interaction.channel_id or 0
    where, thread, direct = location(channel, channel_id)
    if interaction.guild_id is None:
        direct = True
    return CommandInvoked(
        event_id=str(interaction.id),
        user=user_ref(interaction.user),
        channel=where,
        name=name,
        args=args.strip(),
        thread=thread,
        is_direct=direct,
        target=target,
    )
