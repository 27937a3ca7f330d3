"""Gateway events, parsed by discord.py itself, become the right core events."""

from __future__ import annotations

import discord_payloads as p
from discord_fakes import Harness

from bot.events import MemberRolesChanged, PostCreated, PostDeleted, PostEdited, ReactionAdded
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

SOS = ChannelRef("discord", str(p.SOS_FORUM))
GENERAL = ChannelRef("discord", str(p.GENERAL))


async def forum_post(h: Harness, title: str = "Partager un document ?", text: str = "Sans ENT, comment faire ?") -> int:
    """A new forum post as Discord sends it: THREAD_CREATE, then the starter message (same id)."""
    post_id = p.snowflake()
    await h.gateway("THREAD_CREATE", {**p.thread(post_id, p.SOS_FORUM, title), "newly_created": True})
    await h.gateway("MESSAGE_CREATE", p.message(post_id, post_id, p.ALICE, "Alice", text))
    return post_id


def posts(h: Harness) -> list[PostCreated]:
    return [e for e in h.events if isinstance(e, PostCreated)]


async def test_forum_post_is_a_new_thread_root_titled_by_the_post(harness: Harness) -> None:
    post_id = await forum_post(harness)
    (event,) = posts(harness)
    assert event == PostCreated(
        event_id=str(post_id),
        author=UserRef("discord", str(p.ALICE), "Alice"),
        channel=SOS,
        message=MessageRef(SOS, str(post_id)),
        text="Sans ENT, comment faire ?",
        thread=None,
        title="Partager un document ?",
        at=event.at,
        space_hint="gfp-lettres",
    )
    assert event.at is not None and event.at.tzinfo is not None


async def test_starter_message_before_its_thread_is_cached_is_resolved_by_fetching(harness: Harness) -> None:
    post_id = p.snowflake()
    # The thread exists on the server but THREAD_CREATE has not reached us yet.
    harness.api.add_channel(p.thread(post_id, p.SOS_FORUM, "Question Pronote"))
    await harness.gateway("MESSAGE_CREATE", p.message(post_id, post_id, p.ALICE, "Alice", "Mot de passe perdu"))
    (event,) = posts(harness)
    assert event.channel == SOS and event.thread is None and event.title == "Question Pronote"
    assert harness.api.find("GET", rf"/channels/{post_id}")


async def test_reply_in_a_forum_post_names_the_thread(harness: Harness) -> None:
    post_id = await forum_post(harness)
    reply_id = p.snowflake()
    await harness.gateway("MESSAGE_CREATE", p.message(reply_id, post_id, p.BRUNO, "Bruno", "Essaie l'espace classe."))
    reply = posts(harness)[-1]
    assert reply.channel == SOS
    assert reply.thread == ThreadRef(SOS, str(post_id))
    # Named by the parent channel, as the core files it (delivery finds the thread back).
    assert reply.message == MessageRef(SOS, str(reply_id))
    assert reply.title == "" and not reply.is_direct


async def test_top_level_message_in_a_text_channel_is_a_thread_root(harness: Harness) -> None:
    msg_id = p.snowflake()
    await harness.gateway("MESSAGE_CREATE", p.message(msg_id, p.GENERAL, p.ALICE, "Alice", "Bonjour à tous"))
    (event,) = posts(harness)
    assert (event.channel, event.thread, event.message) == (GENERAL, None, MessageRef(GENERAL, str(msg_id)))


async def test_quoted_reply_attachments_and_bots(harness: Harness) -> None:
    first, second = p.snowflake(), p.snowflake()
    await harness.gateway("MESSAGE_CREATE", p.message(first, p.GENERAL, p.ALICE, "Alice", "Ma séquence"))
    await harness.gateway(
        "MESSAGE_CREATE",
        p.message(
            second,
            p.GENERAL,
            777,
            "Autre bot",
            "Voici la mienne",
            reference=(p.GENERAL, first),
            attachments=[p.attachment("sequence.pdf", "application/pdf")],
            bot=True,
        ),
    )
    event = posts(harness)[-1]
    assert event.reply_to == MessageRef(GENERAL, str(first))
    assert event.author_is_bot
    (att,) = event.attachments
    assert att.name == "sequence.pdf" and att.mime == "application/pdf" and att.url.endswith("/sequence.pdf")


async def test_mentions_are_written_as_display_names(harness: Harness) -> None:
    payload = p.message(p.snowflake(), p.GENERAL, p.ALICE, "Alice", f"<@{p.FABIENNE}> tu as vu ? @everyone")
    payload["mentions"] = [p.user(p.FABIENNE, "Fabienne")]
    await harness.gateway("MESSAGE_CREATE", payload)
    assert posts(harness)[-1].text == "@Fabienne tu as vu ? @\u200beveryone"


async def test_direct_message(harness: Harness) -> None:
    dm_id, msg_id = p.snowflake(), p.snowflake()
    await harness.gateway("MESSAGE_CREATE", p.message(msg_id, dm_id, p.ALICE, "Alice", "/portfolio", guild_id=None))
    (event,) = posts(harness)
    assert event.is_direct and event.thread is None
    assert event.channel == ChannelRef("discord", str(dm_id))
    assert event.text == "/portfolio"


async def test_ignored_messages(harness: Harness) -> None:
    # Our own messages, system messages (a pin: type 6), messages of guilds that are no space of ours.
    await harness.gateway("MESSAGE_CREATE", p.message(p.snowflake(), p.GENERAL, p.BOT_ID, "ticebot", "x", bot=True))
    await harness.gateway("MESSAGE_CREATE", p.message(p.snowflake(), p.GENERAL, p.ALICE, "Alice", "", message_type=6))
    other = p.guild(
        guild_id=999,
        channels=[p.text_channel(998, "ailleurs", guild_id=999)],
        members=[p.member(p.BOT_ID, "ticebot"), p.member(p.ALICE, "Alice")],
    )
    await harness.gateway("GUILD_CREATE", other)
    await harness.gateway(
        "MESSAGE_CREATE", p.message(p.snowflake(), 998, p.ALICE, "Alice", "hors espace", guild_id=999)
    )
    assert posts(harness) == []


async def test_reaction_on_a_forum_post_matches_the_post_ref(harness: Harness) -> None:
    post_id = await forum_post(harness)
    # Discord sends the thread as the channel of a reaction to the post's first message.
    await harness.gateway("MESSAGE_REACTION_ADD", p.reaction_add(post_id, post_id, p.ALICE, "Alice", "✅"))
    (reaction,) = [e for e in harness.events if isinstance(e, ReactionAdded)]
    assert reaction.message == posts(harness)[0].message == MessageRef(SOS, str(post_id))
    assert reaction.emoji == "✅"
    assert reaction.user == UserRef("discord", str(p.ALICE), "Alice")
    assert reaction.event_id == f"reaction:{post_id}:{p.ALICE}:✅"


async def test_reaction_on_a_reply_and_in_a_dm(harness: Harness) -> None:
    post_id = await forum_post(harness)
    reply_id = p.snowflake()
    await harness.gateway("MESSAGE_CREATE", p.message(reply_id, post_id, p.BRUNO, "Bruno", "Réponse"))
    await harness.gateway("MESSAGE_REACTION_ADD", p.reaction_add(reply_id, post_id, p.ALICE, "Alice", "👍"))
    await harness.gateway("MESSAGE_REACTION_ADD", p.reaction_add(55, 66, p.ALICE, "Alice", "👍", guild_id=None))
    await harness.gateway("MESSAGE_REACTION_ADD", p.reaction_add(reply_id, post_id, p.BOT_ID, "ticebot", "👀"))
    reactions = [e for e in harness.events if isinstance(e, ReactionAdded)]
    assert [r.message for r in reactions] == [
        MessageRef(SOS, str(reply_id)),  # the same ref as the reply's PostCreated
        MessageRef(ChannelRef("discord", "66"), "55"),
    ]
    assert posts(harness)[-1].message == reactions[0].message


async def test_edit_of_a_reply_names_the_parent(harness: Harness) -> None:
    post_id = await forum_post(harness)
    reply_id = p.snowflake()
    await harness.gateway("MESSAGE_CREATE", p.message(reply_id, post_id, p.BRUNO, "Bruno", "Réponse"))
    await harness.gateway(
        "MESSAGE_UPDATE",
        p.message(reply_id, post_id, p.BRUNO, "Bruno", "Réponse corrigée", edited="2026-09-07T09:00:00+00:00"),
    )
    await harness.gateway("MESSAGE_DELETE", p.message_delete(reply_id, post_id))
    changed = [e for e in harness.events if isinstance(e, PostEdited | PostDeleted)]
    assert [e.message for e in changed] == [MessageRef(SOS, str(reply_id))] * 2


async def test_edits_and_deletes(harness: Harness) -> None:
    post_id = await forum_post(harness)
    edited = p.message(post_id, post_id, p.ALICE, "Alice", "Sans ENT ni clé USB ?", edited="2026-09-07T08:00:00+00:00")
    await harness.gateway("MESSAGE_UPDATE", edited)
    # A link preview arriving later is an update without edit timestamp: not an edit.
    await harness.gateway("MESSAGE_UPDATE", p.message(post_id, post_id, p.ALICE, "Alice", "Sans ENT ni clé USB ?"))
    await harness.gateway("MESSAGE_DELETE", p.message_delete(post_id, post_id))
    ref = MessageRef(SOS, str(post_id))
    assert [e for e in harness.events if isinstance(e, PostEdited | PostDeleted)] == [
        PostEdited(event_id=f"edit:{post_id}:2026-09-07T08:00:00+00:00", message=ref, text="Sans ENT ni clé USB ?"),
        PostDeleted(event_id=f"delete:{post_id}", message=ref),
    ]


async def test_role_changes_are_mapped_through_the_space_config(harness: Harness) -> None:
    # At connection, members holding a mapped role are announced (Fabienne is a formatrice).
    (initial,) = [e for e in harness.events if isinstance(e, MemberRolesChanged)]
    assert initial.user.id == str(p.FABIENNE) and initial.roles == frozenset({"trainer"})
    assert initial.space_id == "gfp-lettres"
    # Bruno gets the "Tuteurs" role (mapped by name), then an unmapped change does nothing.
    await harness.gateway("GUILD_MEMBER_UPDATE", p.member_update(p.BRUNO, "Bruno", [p.TUTOR_ROLE]))
    await harness.gateway("GUILD_MEMBER_UPDATE", p.member_update(p.BRUNO, "Bruno", [p.TUTOR_ROLE, 4242]))
    await harness.gateway("GUILD_MEMBER_UPDATE", p.member_update(p.FABIENNE, "Fabienne", []))
    changes = [e for e in harness.events if isinstance(e, MemberRolesChanged)][1:]
    assert [(e.user.id, e.roles) for e in changes] == [
        (str(p.BRUNO), frozenset({"tutor"})),
        (str(p.FABIENNE), frozenset()),
    ]
    assert len({e.event_id for e in changes}) == 2


async def test_core_failure_is_logged_without_the_text(caplog) -> None:  # type: ignore[no-untyped-def]
    async def broken(event: object) -> None:
        raise RuntimeError("database down")

    h = await Harness.start(sink=broken)
    await h.gateway("MESSAGE_CREATE", p.message(p.snowflake(), p.GENERAL, p.ALICE, "Alice", "secret de Polichinelle"))
    assert "the core failed on PostCreated" in caplog.text
    assert "Polichinelle" not in caplog.text


async def test_events_reach_the_core_one_at_a_time_in_arrival_order() -> None:
    import asyncio

    seen: list[str] = []

    async def slow(event: object) -> None:
        seen.append(f"start {event.event_id}")  # type: ignore[attr-defined]
        await asyncio.sleep(0.01 if not seen[1:] else 0)  # the first one is slow
        seen.append(f"end {event.event_id}")  # type: ignore[attr-defined]

    h = await Harness.start(sink=slow)
    seen.clear()
    first, second = p.snowflake(), p.snowflake()
    # Both dispatched before either handler runs, as on a busy gateway.
    h.state.parsers["MESSAGE_CREATE"](p.message(first, p.GENERAL, p.ALICE, "Alice", "Question"))
    h.state.parsers["MESSAGE_CREATE"](p.message(second, p.GENERAL, p.BRUNO, "Bruno", "Réponse"))
    await h.settle()
    assert seen == [f"start {first}", f"end {first}", f"start {second}", f"end {second}"]
