"""What a handler gets: the transaction, the time, who acts, where, and ways to answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import React
from bot.config import SpaceConfig
from bot.db.models import Member, Post, Space
from bot.outbound import Outbound
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

# Left on a command typed in a room when its answer goes to the person's private messages.
SENT_PRIVATELY = "📬"

if TYPE_CHECKING:
    from bot.core import Core


class UserError(Exception):
    """A refusal or a mistake to explain politely to the person (template + values); nothing changes."""

    def __init__(self, template: str, **values: Any) -> None:
        super().__init__(template)
        self.template = template
        self.values = values


class NotACommand(Exception):  # noqa: N818 - a signal, not an error
    """A handler does not take a command found inside a message as one (a staff member's help text, a
    /valider outside any declaration…): the core handles the post as an ordinary post instead."""


@dataclass
class Context:
    core: Core
    session: AsyncSession
    now: datetime
    member: Member
    user: UserRef
    channel: ChannelRef
    space: Space | None = None
    roles: set[str] = field(default_factory=set)
    thread: ThreadRef | None = None  # the thread the event happened in (or the one a root post starts)
    post: Post | None = None
    is_direct: bool = False
    channel_kind: str = ""
    # A reaction on one of the bot's own messages: its template (e.g. "sos/received"); no post then.
    bot_template: str = ""
    post_is_new: bool = False  # `post` was stored by this event (nothing refers to it yet: no tags)
    # Does one of the member's declarations await their answer (needs_info)? Read with the member in
    # this transaction; None when not read (then observers that care look for themselves).
    awaits_info: bool | None = None
    # Values post observers asked to be read with the member (bot/hooks.py `reads_along`), by label.
    read_along: dict[str, Any] = field(default_factory=dict)
    _traced: bool = False

    @property
    def space_config(self) -> SpaceConfig:
        if self.space is None:
            raise UserError("errors/no_space")
        return self.core.space_config(self.space)

    @property
    def lang(self) -> str:
        if self.member.language:
            return self.member.language
        return self.space.language if self.space else self.core.default_language

    @property
    def out(self) -> Outbound:
        return Outbound(self.session, self.now, self.lang)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def say(self, template: str, **values: Any) -> None:
        """Answer where the person spoke: in the thread, else privately."""
        if self.is_direct or self.thread is None:
            self.out.direct(self.member, template, **values)
        else:
            self.out.reply(self.thread, template, **values)

    def private(self, template: str, **values: Any) -> None:
        """Answer privately. A command typed in a room gets a 📬 reaction there (once), so the person
        knows to look in their private messages."""
        self.out.direct(self.member, template, **values)
        post = self.post
        if self.is_direct or self._traced or post is None or post.kind != "command":
            return
        self._traced = True
        self.out.emit(React(MessageRef(self.channel, post.platform_post_id), SENT_PRIVATELY))
