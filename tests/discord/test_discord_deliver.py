"""Core actions become the right Discord API requests (recorded by the fake API under discord.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import discord_payloads as p
import pytest
from discord_fakes import Harness

from bot.actions import MarkThread, MentionRoles, React, ReplyInThread, SendDirect, SendMessage
from bot.ports import DeliveryFailed, RetryLater
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

SOS = ChannelRef("discord", str(p.SOS_FORUM))
GENERAL = ChannelRef("discord", str(p.GENERAL))
TRAINERS = ChannelRef("discord", str(p.TRAINERS))
ALICE = UserRef("discord", str(p.ALICE), "Alice")
FABIENNE = UserRef("discord", str(p.FABIENNE), "Fabienne")


async def post(h: Harness, *, archived: bool = False, tags: list[int] | None = None, cached: bool = True) -> int:
    post_id = p.snowflake()
    data = p.thread(post_id, p.SOS_FORUM, "Partager un document ?", archived=archived, applied_tags=tags)
    if cached:
        await h.gateway("THREAD_CREATE", {**data, "newly_created": True})
    else:
        h.api.add_channel(data)  # archived posts are not in the gateway cache: only the API knows them
    h.api.add_message(p.message(post_id, post_id, p.ALICE, "Alice", "Sans ENT ?"))
    return post_id


async def test_reply_in_a_forum_post_with_mentions(harness: Harness) -> None:
    post_id = await post(harness)
    action = ReplyInThread(
        ThreadRef(SOS, str(post_id)),
        "@Fabienne, @Alice attend une réponse (cc @Alice-Marie).",
        template="sos/nudge",
        mentions=(FABIENNE, ALICE),
    )
    sent_id = await harness.adapter.deliver(action)
    (call,) = harness.api.sent(post_id)
    assert call.content == f"<@{p.FABIENNE}>, <@{p.ALICE}> attend une réponse (cc @Alice-Marie)."
    # Only the people named are pinged; never @everyone, never roles.
    assert call.json["allowed_mentions"] == {"parse": [], "users": [p.FABIENNE, p.ALICE]}
    assert sent_id == str(harness.api.messages[max(harness.api.messages)]["id"])


async def test_reply_in_an_archived_post_unarchives_it_first(harness: Harness) -> None:
    post_id = await post(harness, archived=True, cached=False)
    await harness.adapter.deliver(ReplyInThread(ThreadRef(SOS, str(post_id)), "Relance"))
    calls = [(c.method, c.path) for c in harness.api.calls if str(post_id) in c.path]
    assert calls == [
        ("GET", f"/channels/{post_id}"),
        ("PATCH", f"/channels/{post_id}"),
        ("POST", f"/channels/{post_id}/messages"),
    ]
    assert harness.api.find("PATCH", rf"/channels/{post_id}")[0].json == {"archived": False}


async def test_first_reply_to_a_text_channel_message_opens_its_thread(harness: Harness) -> None:
    root = p.snowflake()
    await harness.gateway(
        "MESSAGE_CREATE", p.message(root, p.GENERAL, p.ALICE, "Alice", "Quel outil pour un QCM ?\nMerci")
    )
    await harness.adapter.deliver(ReplyInThread(ThreadRef(GENERAL, str(root)), "Bonne question !"))
    (create,) = harness.api.find("POST", rf"/channels/{p.GENERAL}/messages/{root}/threads")
    assert create.json["name"] == "Quel outil pour un QCM ?"
    # Discord gives the thread the message's id: the reply goes there.
    assert [c.content for c in harness.api.sent(root)] == ["Bonne question !"]
    # The next reply finds the thread (the fake API now has it) and does not create another.
    await harness.adapter.deliver(ReplyInThread(ThreadRef(GENERAL, str(root)), "Autre réponse"))
    assert len(harness.api.find("POST", rf"/channels/{p.GENERAL}/messages/{root}/threads")) == 1


async def test_thread_opened_meanwhile_is_used(harness: Harness) -> None:
    root = p.snowflake()
    harness.api.add_message(p.message(root, p.GENERAL, p.ALICE, "Alice", "Question"))
    harness.api.fail("GET", rf"/channels/{root}", 404, 10003)  # not there when we look…
    harness.api.add_channel(p.thread(root, p.GENERAL, "Question"))  # …but created before our request
    await harness.adapter.deliver(ReplyInThread(ThreadRef(GENERAL, str(root)), "Réponse"))
    assert [c.content for c in harness.api.sent(root)] == ["Réponse"]


async def test_reply_to_a_dm_post_answers_in_the_dm(harness: Harness) -> None:
    dm = harness.api.add_channel(p.dm_channel(p.snowflake(), p.ALICE, "Alice"))
    dm_id = int(dm["id"])
    await harness.adapter.deliver(ReplyInThread(ThreadRef(ChannelRef("discord", str(dm_id)), "42"), "Voici"))
    (call,) = harness.api.sent(dm_id)
    assert call.json["message_reference"]["message_id"] == 42
    assert call.json["message_reference"]["fail_if_not_exists"] is False


async def test_declaration_message_carries_the_three_buttons(harness: Harness) -> None:
    post_id = await post(harness)
    await harness.adapter.deliver(ReplyInThread(ThreadRef(SOS, str(post_id)), "Déclaration B2-3", declaration_id=17))
    (call,) = harness.api.sent(post_id)
    buttons = call.json["components"][0]["components"]
    assert [(b["label"], b["custom_id"]) for b in buttons] == [
        ("Valider", "ticebot:decl:17:validate"),
        ("Refuser", "ticebot:decl:17:refuse"),
        ("Demander des précisions", "ticebot:decl:17:precisions"),
    ]


async def test_long_message_is_split_and_the_image_goes_last(harness: Harness, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG fake")
    paragraphs = [f"Paragraphe {i} " + "x" * 900 for i in range(6)]  # two fit in a message
    msg_id = await harness.adapter.deliver(SendMessage(GENERAL, "\n\n".join(paragraphs), image_path=str(chart)))
    calls = harness.api.sent(p.GENERAL)
    assert len(calls) == 3 and all(len(c.content) <= 2000 for c in calls)
    assert [c.content for c in calls] == ["\n\n".join(paragraphs[i : i + 2]) for i in (0, 2, 4)]
    assert [c.files for c in calls] == [[], [], ["chart.png"]]
    first = [m for m in harness.api.messages.values() if m["content"] == calls[0].content][0]
    assert msg_id == first["id"]


async def test_send_direct_with_attachment(harness: Harness, tmp_path: Path) -> None:
    export = tmp_path / "portfolio.csv"
    export.write_text("code;etat\n")
    await harness.adapter.deliver(SendDirect(ALICE, "Votre portfolio", attachment_path=str(export)))
    (open_dm,) = harness.api.find("POST", r"/users/@me/channels")
    assert open_dm.json == {"recipient_id": p.ALICE}
    (call,) = harness.api.sent()
    assert call.content == "Votre portfolio" and call.files == ["portfolio.csv"]


async def test_closed_dms_fall_back_to_a_mention_in_general_without_the_text(harness: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    harness.api.closed_dms.add(p.ALICE)
    caplog.set_level(logging.INFO)
    msg_id = await harness.adapter.deliver(SendDirect(ALICE, "Votre déclaration B2-3 est refusée : motif privé"))
    (notice,) = harness.api.sent(p.GENERAL)
    assert notice.content.startswith(f"<@{p.ALICE}> ")
    assert "motif privé" not in notice.content
    assert notice.json["allowed_mentions"]["users"] == [p.ALICE]
    assert msg_id is not None
    assert "DMs closed" in caplog.text and "motif privé" not in caplog.text
    # The next private messages of the day do not ping her in public again.
    assert await harness.adapter.deliver(SendDirect(ALICE, "Autre message privé")) is None
    assert len(harness.api.sent(p.GENERAL)) == 1


async def test_closed_dms_of_someone_outside_our_spaces_fail(harness: Harness) -> None:
    stranger = 600000000000000009
    harness.api.users[stranger] = p.user(stranger, "Inconnu")
    harness.api.closed_dms.add(stranger)
    with pytest.raises(DeliveryFailed):
        await harness.adapter.deliver(SendDirect(UserRef("discord", str(stranger)), "Bonjour"))
    assert harness.api.sent(p.GENERAL) == []


async def test_react_on_a_forum_post_goes_to_its_thread(harness: Harness) -> None:
    post_id = await post(harness)
    await harness.adapter.deliver(React(MessageRef(SOS, str(post_id)), "👀"))
    (call,) = harness.api.find("PUT", rf"/channels/{post_id}/messages/{post_id}/reactions/.+/@me")
    assert call.path.endswith("/reactions/👀/@me")


async def test_react_on_a_reply_finds_its_thread(harness: Harness) -> None:
    post_id = await post(harness)
    reply_id = p.snowflake()
    await harness.gateway("MESSAGE_CREATE", p.message(reply_id, post_id, p.BRUNO, "Bruno", "Réponse"))
    await harness.adapter.deliver(React(MessageRef(SOS, str(reply_id)), "👍"))
    assert harness.api.find("PUT", rf"/channels/{post_id}/messages/{reply_id}/reactions/👍/@me")
    # A reply not seen since the restart is looked for in the parent; not there: a permanent failure.
    harness.api.fail("PUT", rf"/channels/{p.GENERAL}/messages/99/reactions/.+", 404, 10008)
    with pytest.raises(DeliveryFailed):
        await harness.adapter.deliver(React(MessageRef(GENERAL, "99"), "👍"))


async def test_react_on_a_text_channel_message(harness: Harness) -> None:
    harness.api.add_message(p.message(4242, p.GENERAL, p.ALICE, "Alice", "Merci à tous"))
    await harness.adapter.deliver(React(MessageRef(GENERAL, "4242"), "✅"))
    assert harness.api.find("PUT", rf"/channels/{p.GENERAL}/messages/4242/reactions/✅/@me")


@pytest.mark.parametrize(
    ("state", "tag"), [("open", p.TAG_OPEN), ("escalated", p.TAG_ESCALATED), ("resolved", p.TAG_RESOLVED)]
)
async def test_mark_thread_sets_the_state_tag_and_keeps_the_others(harness: Harness, state: str, tag: int) -> None:
    post_id = await post(harness, tags=[p.TAG_OTHER, p.TAG_OPEN])
    await harness.adapter.deliver(MarkThread(ThreadRef(SOS, str(post_id)), state))
    edits = harness.api.find("PATCH", rf"/channels/{post_id}")
    if tag == p.TAG_OPEN:
        assert edits == []  # already so: no request
    else:
        (edit,) = edits
        assert sorted(edit.json["applied_tags"]) == sorted([str(tag), str(p.TAG_OTHER)])


async def test_mark_thread_without_the_tag_on_the_forum_or_outside_a_forum(harness: Harness) -> None:
    forum = p.forum_channel(4560, "sans-tags", [])
    await harness.gateway("CHANNEL_CREATE", forum)
    post_id = p.snowflake()
    await harness.gateway("THREAD_CREATE", {**p.thread(post_id, 4560, "Q"), "newly_created": True})
    await harness.adapter.deliver(MarkThread(ThreadRef(ChannelRef("discord", "4560"), str(post_id)), "resolved"))
    await harness.adapter.deliver(MarkThread(ThreadRef(GENERAL, "1234"), "resolved"))
    assert harness.api.find("PATCH", r"/channels/\d+") == []


async def test_mention_roles_pings_the_mapped_discord_role(harness: Harness) -> None:
    await harness.adapter.deliver(MentionRoles(TRAINERS, "Question sans réponse depuis 3 jours", roles=("trainer",)))
    (call,) = harness.api.sent(p.TRAINERS)
    assert call.content == f"<@&{p.TRAINER_ROLE}>\nQuestion sans réponse depuis 3 jours"
    assert call.json["allowed_mentions"]["roles"] == [p.TRAINER_ROLE]


async def test_send_to_the_forum_opens_a_post(harness: Harness) -> None:
    await harness.adapter.deliver(SendMessage(SOS, "**FAQ : partager un document**\nRéponse…"))
    (call,) = harness.api.find("POST", rf"/channels/{p.SOS_FORUM}/threads")
    assert call.json["name"] == "FAQ : partager un document"
    assert call.json["message"]["content"].startswith("**FAQ")


# ---------------------------------------------------------------- failures


async def test_rate_limit_beyond_the_wait_we_accept_is_retry_later(harness: Harness) -> None:
    harness.api.fail(
        "POST",
        rf"/channels/{p.GENERAL}/messages",
        429,
        headers={"Via": "1.1 google"},
        body={"message": "You are being rate limited.", "retry_after": 120.0, "global": False},
    )
    with pytest.raises(RetryLater) as caught:
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour"))
    assert caught.value.retry_after == 120.0


async def test_cloudflare_429_and_server_errors_are_retry_later(harness: Harness) -> None:
    harness.api.fail("POST", rf"/channels/{p.GENERAL}/messages", 429, headers={"Retry-After": "7"})
    with pytest.raises(RetryLater) as caught:
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour"))
    assert caught.value.retry_after == 7.0
    harness.api.fail("POST", rf"/channels/{p.GENERAL}/messages", 503)
    with pytest.raises(RetryLater):
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour"))


async def test_missing_or_forbidden_channel_is_delivery_failed(harness: Harness) -> None:
    with pytest.raises(DeliveryFailed):
        await harness.adapter.deliver(SendMessage(ChannelRef("discord", "31337"), "Bonjour"))
    harness.api.fail("POST", rf"/channels/{p.GENERAL}/messages", 403, 50013, "Missing Permissions")
    with pytest.raises(DeliveryFailed):
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour"))
    with pytest.raises(DeliveryFailed):
        await harness.adapter.deliver(ReplyInThread(ThreadRef(SOS, "31337"), "Bonjour"))


async def test_not_connected_yet_is_retry_later(harness: Harness) -> None:
    harness.client._ready.clear()
    with pytest.raises(RetryLater):
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour"))
    assert harness.api.sent() == []


async def test_a_retried_split_message_resumes_where_it_stopped(harness: Harness) -> None:
    action = SendMessage(GENERAL, "\n\n".join(f"Partie {i} " + "y" * 1500 for i in range(3)))
    harness.api.fail("POST", rf"/channels/{p.GENERAL}/messages", 503, skip=1)  # the second part fails
    with pytest.raises(RetryLater):
        await harness.adapter.deliver(action)
    first_id = await harness.adapter.deliver(action)  # the outbox retries the same action
    starts = [c.content[:8] for c in harness.api.sent(p.GENERAL)]
    assert starts == ["Partie 0", "Partie 1", "Partie 1", "Partie 2"]  # part 0 is not sent twice
    assert first_id == next(m["id"] for m in harness.api.messages.values() if m["content"].startswith("Partie 0"))
