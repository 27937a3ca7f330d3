"""`/sos <question>` as a slash command: the bot publishes the question for the member, then hands the
core an ordinary post by that member, so the question has a thread to live in.

A slash command leaves no message behind, and a question needs one: its thread is where the receipt,
the nudges and the answers go. So the question is posted where the space's questions live — a new post
in the SOS forum (or a top-level message when the SOS channel is a text channel; in the channel where
the command was typed when the space has no SOS channel), written by the bot, naming the member — and
the core receives a PostCreated by the member, with the text `/sos <question>`, at the command's time:
exactly what a member typing `/sos` in that channel would produce. The member is not pinged by the post
itself (the receipt in the thread names them).
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord.ack import Acknowledgement, acknowledge, submit_then_report, tell_later, ticebot_client
from adapters.discord.deliver import thread_name
from adapters.discord.spaces import DiscordSpace
from adapters.discord.translate import command_invoked, location, message_ref, user_ref
from adapters.discord.wording import language, say
from bot.events import PostCreated

log = logging.getLogger(__name__)

QUESTION_LIMIT = 1800  # characters: the post (a header plus the question) must fit Discord's 2,000
_NO_PING = discord.AllowedMentions.none()


async def _home(client: Any, space: DiscordSpace | None, interaction: discord.Interaction[Any]) -> Any:
    """The channel the question is published in."""
    if space is not None and space.sos is not None:
        found = client.get_channel(space.sos)
        return found if found is not None else await client.fetch_channel(space.sos)
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent is not None:
        return channel.parent
    return channel


async def _publish(home: Any, who: discord.abc.User, question: str, lang: str) -> tuple[Any, discord.Message]:
    """(the channel the question's post lives in, that post)."""
    body = say(lang, "sos_post", who=who.mention, question=question)
    if isinstance(home, discord.ForumChannel):
        created = await home.create_thread(name=thread_name(question), content=body, allowed_mentions=_NO_PING)
        return created.thread, created.message
    message = await home.send(body, allowed_mentions=_NO_PING)
    return home, message


async def ask(interaction: discord.Interaction[Any], question: str) -> None:
    lang = language(interaction)
    acknowledged: Acknowledgement = await acknowledge(interaction, say(lang, "ack_sos"))
    client = ticebot_client(interaction)
    space = client.spaces.by_guild(interaction.guild_id)
    text = question.strip()
    if not text or space is None:
        # Nothing to publish (or not in a space): the core explains what is wrong and what to type.
        await submit_then_report(interaction, command_invoked(interaction, "sos", text), acknowledged, lang)
        return
    try:
        home = await _home(client, space, interaction)
        where, post = await _publish(home, interaction.user, text, lang)
    except (discord.HTTPException, discord.ClientException, AttributeError) as exc:
        log.warning("discord: could not publish the /sos of interaction %s (%s)", interaction.id, type(exc).__name__)
        await tell_later(interaction, acknowledged, say(lang, "sos_not_posted"))
        return
    client.locations.remember(post.id, where.id)
    parent, _thread, _direct = location(where, where.id)  # the post is a thread root: no thread of its own
    event = PostCreated(
        event_id=str(post.id),
        author=user_ref(interaction.user),
        channel=parent,
        message=message_ref(where, where.id, post.id),
        text=f"/sos {text}",
        title=getattr(where, "name", "") if isinstance(where, discord.Thread) else "",
        at=interaction.created_at,
        space_hint=space.space_id,
    )
    await submit_then_report(interaction, event, acknowledged, lang)
