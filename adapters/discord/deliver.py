"""Core → Discord: perform one outbox action with discord.py calls.

Errors are sorted for the outbox: rate limits, server errors and network trouble raise `RetryLater`
(try again later); a channel, thread or message that is gone or forbidden raises `DeliveryFailed`
(recorded, not retried). Log lines name actions and ids, never the text people wrote or will read.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import unicodedata
from collections import OrderedDict
from pathlib import Path
from typing import Any

import aiohttp
import discord

from adapters.discord.locations import MessageLocations
from adapters.discord.sos_buttons import sos_view
from adapters.discord.spaces import DiscordSpace, SpaceDirectory
from adapters.discord.split import LIMIT, split_message
from adapters.discord.views import declaration_view
from adapters.discord.wording import say
from bot.actions import CoreAction, MarkThread, MentionRoles, React, ReplyInThread, SendDirect, SendMessage
from bot.ports import DeliveryFailed, NotAttempted, RetryLater
from bot.refs import MessageRef, ThreadRef, UserRef

log = logging.getLogger(__name__)

# Forum tags shown for each question state, matched without regard to case or accents.
STATE_TAGS = {"open": "En attente", "escalated": "Escaladé", "resolved": "Résolu"}
MAX_APPLIED_TAGS = 5  # Discord's limit per forum post
THREAD_NAME_LIMIT = 100
DMS_CLOSED = 50007  # "Cannot send messages to this user"
THREAD_ALREADY_EXISTS = 160004  # "A thread has already been created for this message"
THREAD_ARCHIVED = 50083  # "Operation cannot be performed on an archived thread"

DM_CLOSED_NOTICE_EVERY = 24 * 3600.0  # seconds: one public reminder a day per person, not one per message

Channel = Any  # a resolved discord.py channel: guild channel, thread or private channel


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def render_mentions(text: str, mentions: tuple[UserRef, ...]) -> tuple[str, list[discord.Object]]:
    """Replace `@Display` (and `@<id>`) by Discord mentions; return the text and the users to ping.

    One pass over the text, longest names first, so "@Anne-Marie" is not taken for "@Anne" and a
    mention already written is never rewritten; a name followed by a letter, digit or hyphen is a
    different name and is left alone.
    """
    people = [u for u in mentions if u.platform == "discord" and u.id.isdigit()]
    if not people:
        return text, []
    ids: dict[str, str] = {}
    for user in people:
        for name in filter(None, (user.display, user.id)):
            ids.setdefault(name, user.id)
    names = sorted(ids, key=len, reverse=True)
    pattern = re.compile(r"(?<!<)@(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")
    rendered = pattern.sub(lambda m: f"<@{ids[m[1]]}>", text)
    return rendered, [discord.Object(id=int(u.id)) for u in people]


def thread_name(text: str) -> str:
    first = next((line.strip(" #*>_") for line in text.splitlines() if line.strip()), "")
    if not first:
        return "Question"
    return first if len(first) <= THREAD_NAME_LIMIT else first[: THREAD_NAME_LIMIT - 1] + "…"


def nonce(key: str, part: int) -> str:
    """Discord drops a second message with the same nonce (enforce_nonce) sent within minutes: the
    outbox key, per part, makes a resend after a crash harmless. Nonces are at most 25 characters."""
    value = f"{key}:{part}"
    if len(value) > 25:
        value = hashlib.blake2b(key.encode(), digest_size=10).hexdigest() + f":{part}"
    return value


def _retry_after(exc: discord.HTTPException) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class Deliverer:
    """Turns core actions into discord.py calls on `client`."""

    def __init__(
        self, client: discord.Client, spaces: SpaceDirectory, locations: MessageLocations | None = None
    ) -> None:
        self.client = client
        self.spaces = spaces
        self.locations = locations or MessageLocations()
        # Messages already sent for an action cut in several parts: when the outbox retries it after a
        # rate limit, delivery resumes at the first unsent part instead of repeating the others.
        self._progress: OrderedDict[CoreAction, list[int]] = OrderedDict()
        self._dm_closed_noticed: dict[int, float] = {}  # user id → monotonic time of the last notice

    async def deliver(self, action: CoreAction, key: str | None = None) -> str | None:
        """Perform `action`; `key` (the outbox row's) makes Discord ignore a repeated send."""
        kind = type(action).__name__
        try:
            return await self._deliver(action, key)
        except (RetryLater, DeliveryFailed):
            raise
        except discord.RateLimited as exc:
            raise NotAttempted(f"{kind}: rate limited", retry_after=exc.retry_after) from exc
        except discord.HTTPException as exc:
            if exc.status == 429:
                # Discord said when to come back: not a failed attempt (a storm must not fail messages).
                raise NotAttempted(f"{kind}: discord 429", retry_after=_retry_after(exc)) from exc
            if exc.status >= 500:
                raise RetryLater(f"{kind}: discord {exc.status}", retry_after=_retry_after(exc)) from exc
            raise DeliveryFailed(f"{kind}: discord {exc.status} (code {exc.code})") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise RetryLater(f"{kind}: network error {type(exc).__name__}") from exc

    async def _deliver(self, action: CoreAction, key: str | None) -> str | None:
        match action:
            case SendMessage():
                channel = await self._channel(int(action.channel.id))
                return await self._post(
                    action, channel, action.text, action.mentions, file_path=action.image_path, key=key
                )
            case ReplyInThread():
                target, reference = await self._thread(action.thread)
                view = declaration_view(action.declaration_id) if action.declaration_id is not None else None
                try:
                    return await self._send(
                        action, target, action.text, action.mentions, view=view, reference=reference, key=key
                    )
                except discord.HTTPException as exc:
                    if exc.code != THREAD_ARCHIVED or not isinstance(target, discord.Thread):
                        raise
                    # Archived since the cache last heard of it: unarchive, then send the rest.
                    target = await target.edit(archived=False)
                    return await self._send(
                        action, target, action.text, action.mentions, view=view, reference=reference, key=key
                    )
            case SendDirect():
                return await self._direct(action, key)
            case MentionRoles():
                return await self._mention_roles(action, key)
            case React():
                message = await self._message(action.message)
                await message.add_reaction(action.emoji)
                return None
            case MarkThread():
                await self._mark(action)
                return None
        raise DeliveryFailed(f"unknown action {type(action).__name__}")

    # ------------------------------------------------------------ resolution

    async def _channel(self, channel_id: int) -> Channel:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except discord.NotFound as exc:
                raise DeliveryFailed(f"channel {channel_id} not found") from exc
        return channel

    async def _existing_thread(self, parent: Channel, thread_id: int) -> discord.Thread | None:
        guild = getattr(parent, "guild", None)
        thread = guild.get_thread(thread_id) if guild is not None else None
        if thread is not None:
            return thread
        try:
            # Archived threads leave the cache: ask the API.
            found = await self.client.fetch_channel(thread_id)
        except discord.NotFound:
            return None
        return found if isinstance(found, discord.Thread) else None

    async def _awake(self, thread: discord.Thread) -> discord.Thread:
        if thread.archived:
            # Posting in an archived thread fails; unarchiving needs Manage Threads if it is locked.
            thread = await thread.edit(archived=False)
        return thread

    async def _thread(self, ref: ThreadRef) -> tuple[Channel, discord.MessageReference | None]:
        """Where to post a reply in `ref`; a DM "thread" is the DM itself, as a reply to its root."""
        parent = await self._channel(int(ref.channel.id))
        root = int(ref.id)
        if isinstance(parent, discord.DMChannel | discord.GroupChannel):
            reference = parent.get_partial_message(root).to_reference(fail_if_not_exists=False)
            return parent, reference
        if isinstance(parent, discord.Thread):
            return await self._awake(parent), None
        thread = await self._existing_thread(parent, root)
        if thread is not None:
            return await self._awake(thread), None
        if isinstance(parent, discord.ForumChannel):
            raise DeliveryFailed(f"forum post {root} not found")
        return await self._create_thread(parent, root), None

    async def _create_thread(self, parent: Channel, root: int) -> discord.Thread:
        """The first reply to a top-level message opens a thread on it (same id as the message)."""
        try:
            message = await parent.fetch_message(root)
        except discord.NotFound as exc:
            raise DeliveryFailed(f"root message {root} not found") from exc
        try:
            return await message.create_thread(name=thread_name(message.content))
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_EXISTS:
                raise
            # Someone opened it between our look-up and our request.
            thread = await self._existing_thread(parent, root)
            if thread is None:
                raise
            return await self._awake(thread)

    async def _message(self, ref: MessageRef) -> discord.PartialMessage:
        """The message named by `ref`, which names a thread's parent for messages inside threads."""
        message_id = int(ref.id)
        seen_in = self.locations.channel_of(message_id)
        channel = await self._channel(seen_in or int(ref.channel.id))
        if isinstance(channel, discord.ForumChannel):
            # A forum post's root message lives in the post's thread, whose id is the message's.
            thread = await self._existing_thread(channel, message_id)
            if thread is None:
                raise DeliveryFailed(f"forum post {message_id} not found")
            channel = thread
        return channel.get_partial_message(message_id)

    # ------------------------------------------------------------ sending

    async def _send(
        self,
        action: CoreAction,
        target: Channel,
        text: str,
        mentions: tuple[UserRef, ...],
        *,
        file_path: str = "",
        view: discord.ui.View | None = None,
        reference: discord.MessageReference | None = None,
        extra_pings: list[discord.Role] | None = None,
        key: str | None = None,
    ) -> str:
        """Send `text` in as many messages as needed; file and buttons go under the last one."""
        body, users = render_mentions(text, mentions)
        allowed = discord.AllowedMentions(everyone=False, users=users, roles=extra_pings or False, replied_user=False)
        parts = split_message(body, LIMIT) if body else [""]
        sent = self._progress.setdefault(action, [])
        for index in range(len(sent), len(parts)):
            last = index == len(parts) - 1
            kwargs: dict[str, Any] = {"allowed_mentions": allowed}
            if last and file_path:
                kwargs["file"] = discord.File(Path(file_path))
            if last and view is not None:
                kwargs["view"] = view
            if index == 0 and reference is not None:
                kwargs["reference"] = reference
                kwargs["mention_author"] = False
            if key is not None:
                kwargs["nonce"] = nonce(key, index)
            message = await target.send(parts[index] or None, **kwargs)
            sent.append(message.id)
        self._progress.pop(action, None)
        self._trim_progress()
        return str(sent[0])

    def _trim_progress(self) -> None:
        while len(self._progress) > 256:
            self._progress.popitem(last=False)

    async def _post(
        self,
        action: CoreAction,
        channel: Channel,
        text: str,
        mentions: tuple[UserRef, ...],
        *,
        file_path: str = "",
        key: str | None = None,
    ) -> str:
        if not isinstance(channel, discord.ForumChannel):
            return await self._send(action, channel, text, mentions, file_path=file_path, key=key)
        # A forum takes no plain messages: the text opens a post, titled by its first line.
        body, users = render_mentions(text, mentions)
        parts = split_message(body, LIMIT)
        allowed = discord.AllowedMentions(everyone=False, users=users, roles=False)
        kwargs: dict[str, Any] = {"allowed_mentions": allowed}
        if file_path and len(parts) == 1:
            kwargs["file"] = discord.File(Path(file_path))
        created = await channel.create_thread(name=thread_name(body), content=parts[0], **kwargs)
        if len(parts) > 1:
            rest = "\n\n".join(parts[1:])
            await self._send(action, created.thread, rest, mentions, file_path=file_path, key=key)
        return str(created.message.id)

    async def _direct(self, action: SendDirect, key: str | None) -> str | None:
        user_id = int(action.user.id)
        user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
        view = declaration_view(action.declaration_id) if action.declaration_id is not None else sos_view(action)
        try:
            channel = user.dm_channel or await user.create_dm()
            return await self._send(
                action, channel, action.text, action.mentions, file_path=action.attachment_path, view=view, key=key
            )
        except discord.Forbidden as exc:
            if exc.code != DMS_CLOSED:
                raise
        return await self._dm_fallback(action, user_id, key)

    async def _dm_fallback(self, action: SendDirect, user_id: int, key: str | None) -> str | None:
        """DMs closed: mention the person in their space's general channel, without the private text
        (a refusal motif or a portfolio is nobody else's business), at most once a day per person."""
        self._progress.pop(action, None)
        last = self._dm_closed_noticed.get(user_id)
        if last is not None and time.monotonic() - last < DM_CLOSED_NOTICE_EVERY:
            log.info("discord: DMs closed for user %s; already told today", user_id)
            return None
        for space in self.spaces:
            if space.general is None or not await self._is_member(space, user_id):
                continue
            channel = await self._channel(space.general)
            message = await channel.send(
                say(space.language, "dm_closed", who=f"<@{user_id}>"),
                allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(user_id)]),
                nonce=nonce(key, 0) if key is not None else None,
            )
            self._dm_closed_noticed[user_id] = time.monotonic()
            log.info(
                "discord: DMs closed for user %s; notice posted in channel %s (space %s)",
                user_id,
                space.general,
                space.space_id,
            )
            return str(message.id)
        raise DeliveryFailed(f"DMs closed for user {user_id} and no general channel of theirs to fall back on")

    async def _is_member(self, space: DiscordSpace, user_id: int) -> bool:
        guild = self.client.get_guild(space.guild_id)
        if guild is None:
            return False
        if guild.get_member(user_id) is not None:
            return True
        try:
            await guild.fetch_member(user_id)
        except (discord.NotFound, discord.Forbidden):
            return False
        return True

    async def _mention_roles(self, action: MentionRoles, key: str | None) -> str:
        channel = await self._channel(int(action.channel.id))
        guild = getattr(channel, "guild", None)
        space = self.spaces.by_guild(guild.id) if guild is not None else None
        pings: list[discord.Role] = []
        if space is not None and guild is not None:
            for core_role in action.roles:
                found = space.discord_roles(core_role, guild)
                if not found:
                    log.warning("discord: no Discord role mapped to %r in space %s", core_role, space.space_id)
                pings.extend(found)
        text = action.text
        if pings:
            text = " ".join(role.mention for role in pings) + "\n" + text
        return await self._send(action, channel, text, action.mentions, extra_pings=pings, key=key)

    async def _mark(self, action: MarkThread) -> None:
        wanted = STATE_TAGS.get(action.state)
        if wanted is None:
            log.warning("discord: unknown thread state %r", action.state)
            return
        parent = await self._channel(int(action.thread.channel.id))
        if not isinstance(parent, discord.ForumChannel):
            return  # threads outside forums have no tags
        thread = await self._existing_thread(parent, int(action.thread.id))
        if thread is None:
            raise DeliveryFailed(f"forum post {action.thread.id} not found")
        state_names = {fold(name) for name in STATE_TAGS.values()}
        target = next((t for t in parent.available_tags if fold(t.name) == fold(wanted)), None)
        kept = [t for t in thread.applied_tags if fold(t.name) not in state_names]
        tags = ([target] if target is not None else []) + kept
        tags = tags[:MAX_APPLIED_TAGS]
        if {t.id for t in tags} == {t.id for t in thread.applied_tags}:
            return
        if thread.archived:
            # An archived post refuses edits unless they also unarchive it.
            await thread.edit(applied_tags=tags, archived=False)
        else:
            await thread.edit(applied_tags=tags)
