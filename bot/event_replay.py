"""Replaying a failed step on a stored post (`ticebot events replay --id N`), once the cause is fixed.

The event is rebuilt from the stored post (text, place, thread, author): what the platform sent and we
do not keep (attachments, the replied-to message outside threads) is not part of a replay. A replay runs
the failed command or observer only (the others already ran), with the time of the replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.commands.parser import ParsedCommand
from bot.core import Core
from bot.db.models import EventFailure, Post
from bot.event_failures import CORE, handler_name
from bot.events import PostCreated
from bot.refs import ChannelRef, MessageRef, ThreadRef
from bot.timezones import writing_in


class NotReplayable(Exception):
    """The failure cannot be replayed; the message says why and what to do."""


@dataclass(frozen=True)
class FailureLine:
    id: int
    at: datetime
    platform: str
    event_id: str
    handler: str
    error: str
    post_id: int | None
    replayed_at: datetime | None


async def failures(core: Core, include_replayed: bool = False) -> list[FailureLine]:
    async with core.db.transaction() as session:
        query = select(EventFailure).order_by(EventFailure.id)
        if not include_replayed:
            query = query.where(EventFailure.replayed_at.is_(None))
        return [FailureLine(f.id, f.at, f.platform, f.event_id, f.handler, f.error, f.post_id, f.replayed_at)
                for f in (await session.execute(query)).scalars()]


def _event(post: Post) -> PostCreated:
    channel = ChannelRef(post.platform, post.platform_channel_id)
    is_root = post.thread_root_id == post.platform_post_id
    thread = None if post.is_direct or is_root else ThreadRef(channel, post.thread_root_id)
    from bot.refs import UserRef

    return PostCreated(f"replay:{post.id}", UserRef(post.platform, "", ""), channel,
                       MessageRef(channel, post.platform_post_id), post.text or "", thread=thread, title=post.title,
                       is_direct=post.is_direct, at=post.created_at, space_hint=post.space_id)


async def replay(core: Core, failure_id: int) -> str:
    """Run the failed step again in one transaction; returns what was replayed. Raises NotReplayable,
    or the handler's own exception (nothing is then changed and the failure stays listed)."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        failure = await session.get(EventFailure, failure_id)
        if failure is None:
            raise NotReplayable(f"pas d'échec n° {failure_id}")
        if failure.replayed_at is not None:
            raise NotReplayable(f"l'échec n° {failure_id} a déjà été rejoué ({failure.replayed_at:%Y-%m-%d %H:%M} UTC)")
        if failure.handler == CORE or failure.post_id is None:
            raise NotReplayable(f"l'échec n° {failure_id} n'a rien laissé à rejouer (rien n'a été enregistré) : "
                                "la personne a été invitée à renvoyer son message")
        post = await session.get(Post, failure.post_id)
        if post is None or post.text is None:
            raise NotReplayable(f"le message de l'échec n° {failure_id} a été supprimé ou effacé depuis")
        with writing_in(core.default_timezone):
            ctx = await core.context_for_post(session, post, now)
            if ctx is None:
                raise NotReplayable(f"le salon du message de l'échec n° {failure_id} n'est plus suivi")
            event = _event(post)
            async with session.begin_nested():
                if failure.handler.startswith("/"):
                    parsed = core.parser.parse(post.text, is_direct=post.is_direct)
                    if not isinstance(parsed, ParsedCommand) or f"/{parsed.name}" != failure.handler:
                        raise NotReplayable(f"le message de l'échec n° {failure_id} n'est plus la commande "
                                            f"{failure.handler}")
                    await core.registry.commands[parsed.name].handler(ctx, parsed)
                else:
                    observers = [o for o in core.registry.post_observers if handler_name(o) == failure.handler]
                    if not observers:
                        raise NotReplayable(f"« {failure.handler} » n'existe plus dans cette version du bot")
                    await observers[0](ctx, event)
        failure.replayed_at = now
        return failure.handler
