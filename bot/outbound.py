"""Rendering a template and queueing the resulting action, for handlers and scheduled steps alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import CoreAction, MarkThread, MentionRoles, ReplyInThread, SendDirect, SendMessage
from bot.db.models import Member
from bot.members import user_ref
from bot.outbox import emit
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef
from bot.templates import render


@dataclass
class Outbound:
    session: AsyncSession
    now: datetime
    lang: str

    def emit(self, action: CoreAction) -> None:
        emit(self.session, action, self.now)

    def _lang(self, member: Member | None) -> str:
        return (member.language if member is not None else None) or self.lang

    def reply(self, thread: ThreadRef, template: str, *, declaration_id: int | None = None, **values: Any) -> None:
        r = render(self.lang, template, platform=thread.channel.platform, **values)
        self.emit(ReplyInThread(thread, r.text, r.template, r.mentions, declaration_id=declaration_id))

    def direct(
        self, member: Member, template: str, *, declaration_id: int | None = None, question_id: int | None = None,
        actions: tuple[str, ...] = (), endorse_reply: MessageRef | None = None, **values: Any
    ) -> None:
        r = render(self._lang(member), template, platform=member.platform, **values)
        self.emit(SendDirect(user_ref(member), r.text, r.template, r.mentions, declaration_id=declaration_id,
                             question_id=question_id, actions=actions, endorse_reply=endorse_reply))

    def direct_user(self, user: UserRef, template: str, lang: str | None = None, **values: Any) -> None:
        r = render(lang or self.lang, template, platform=user.platform, **values)
        self.emit(SendDirect(user, r.text, r.template, r.mentions))

    def post(self, channel: ChannelRef, template: str, *, image_path: str = "", **values: Any) -> None:
        r = render(self.lang, template, platform=channel.platform, **values)
        self.emit(SendMessage(channel, r.text, r.template, r.mentions, image_path=image_path))

    def alert(self, channel: ChannelRef, roles: tuple[str, ...], template: str, **values: Any) -> None:
        r = render(self.lang, template, platform=channel.platform, **values)
        self.emit(MentionRoles(channel, r.text, roles, r.template, r.mentions))

    def mark(self, thread: ThreadRef, state: str) -> None:
        self.emit(MarkThread(thread, state))
