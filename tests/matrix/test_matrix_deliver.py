"""Core actions → the exact Matrix content sent, on a recording fake client; errors → outbox exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import ClientConnectionError
from matrix_fakes import FakeClient
from nio import RoomSendError

from adapters.matrix import state
from adapters.matrix.deliver import MatrixDeliverer
from adapters.matrix.render import render
from adapters.matrix.state import MemoryKeyValue
from bot.actions import MarkThread, MentionRoles, React, ReplyInThread, SendDirect, SendMessage
from bot.ports import DeliveryFailed, RetryLater
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

ROOM = ChannelRef("matrix", "!sos:hs")
FAB = UserRef("matrix", "@fabienne:hs", "Fabienne")
ALICE = UserRef("matrix", "@alice:hs", "Alice")


def deliverer() -> tuple[MatrixDeliverer, FakeClient, MemoryKeyValue]:
    client, kv = FakeClient(), MemoryKeyValue()
    return MatrixDeliverer(client, kv), client, kv  # type: ignore[arg-type]


def test_markdown_and_pills() -> None:
    content = render("**Bonjour** @Alice, voir @Fabienne_M.\nMerci", (ALICE, UserRef("matrix", "@f:hs", "Fabienne_M")))
    assert content["body"] == "**Bonjour** @Alice, voir @Fabienne_M.\nMerci"
    assert content["formatted_body"] == (
        '<strong>Bonjour</strong> <a href="https://matrix.to/#/@alice:hs">Alice</a>, voir '
        '<a href="https://matrix.to/#/@f:hs">Fabienne_M</a>.<br />\nMerci'
    )
    assert content["m.mentions"] == {"user_ids": ["@alice:hs", "@f:hs"]}
    assert content["format"] == "org.matrix.custom.html"


def test_longest_name_first_and_html_escaped() -> None:
    ann, anne = UserRef("matrix", "@ann:hs", "Ann"), UserRef("matrix", "@anne:hs", "Anne <3")
    content = render("@Anne <3 et @Ann", (ann, anne))
    assert (
        'href="https://matrix.to/#/@anne:hs">Anne &lt;3</a> et <a href="https://matrix.to/#/@ann:hs">Ann</a>'
        in (content["formatted_body"])
    )


async def test_reply_in_thread_content() -> None:
    d, client, _ = deliverer()
    action = ReplyInThread(ThreadRef(ROOM, "$q"), "Relance @Alice", "sos/nudge", (ALICE,))
    event_id = await d.deliver(action, "ticebot-7")
    sent = client.sent[0]
    assert event_id == "$sent0" and sent.room_id == "!sos:hs" and sent.tx_id == "ticebot-7"
    assert sent.content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$q",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$q"},
    }
    assert sent.content["m.mentions"] == {"user_ids": ["@alice:hs"]}
    assert sent.content["org.ticebot.template"] == "sos/nudge"


async def test_react_and_mark_thread() -> None:
    d, client, _ = deliverer()
    await d.deliver(React(MessageRef(ROOM, "$q"), "👀"))
    assert client.sent[0].type == "m.reaction"
    assert client.sent[0].content == {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$q", "key": "👀"}}
    assert await d.deliver(MarkThread(ThreadRef(ROOM, "$q"), "resolved")) is None
    assert len(client.sent) == 1


async def test_mention_roles_pings_everyone_listed() -> None:
    d, client, _ = deliverer()
    await d.deliver(MentionRoles(ROOM, "Question sans réponse", ("trainer",), "sos/trainers_alert", (FAB,)))
    content = client.sent[0].content
    assert content["body"] == "Question sans réponse @Fabienne"
    assert '<a href="https://matrix.to/#/@fabienne:hs">Fabienne</a>' in content["formatted_body"]


async def test_send_direct_opens_then_reuses_a_dm_room() -> None:
    d, client, kv = deliverer()
    await d.deliver(SendDirect(FAB, "Une question attend", "sos/referent"))
    await d.deliver(SendDirect(FAB, "Encore une"))
    assert len(client.created) == 1 and client.created[0]["invite"] == ["@fabienne:hs"]
    assert client.created[0]["is_direct"] is True
    assert [s.room_id for s in client.sent] == ["!dm1:hs", "!dm1:hs"]
    assert kv.data[state.dm_room("@fabienne:hs")] == "!dm1:hs"
    assert kv.data[state.dm_user("!dm1:hs")] == "@fabienne:hs"


async def test_send_direct_reopens_when_the_person_left() -> None:
    d, client, kv = deliverer()
    kv.data[state.dm_room("@fabienne:hs")] = "!old:hs"
    client.room("!old:hs")  # Fabienne is no longer a member
    await d.deliver(SendDirect(FAB, "Bonjour"))
    assert client.sent[0].room_id == "!dm1:hs"


async def test_image_is_uploaded_and_sent_after_the_text(tmp_path: Path) -> None:
    chart = tmp_path / "digest.png"
    chart.write_bytes(b"\x89PNG fake")
    d, client, _ = deliverer()
    await d.deliver(SendMessage(ROOM, "Bilan de la semaine", "digest/space", image_path=str(chart)), "ticebot-9")
    assert [s.content["msgtype"] for s in client.sent] == ["m.notice", "m.image"]
    image = client.sent[1].content
    assert image["url"] == "mxc://hs/media1" and image["info"] == {"mimetype": "image/png", "size": 9}
    assert client.sent[1].tx_id == "ticebot-9-image"
    assert client.uploads[0]["content_type"] == "image/png"


async def test_rate_limit_is_retry_later_with_delay() -> None:
    d, client, _ = deliverer()
    client.send_error = RoomSendError("Too Many Requests", "M_LIMIT_EXCEEDED", retry_after_ms=2500)
    with pytest.raises(RetryLater) as caught:
        await d.deliver(SendMessage(ROOM, "x"))
    assert caught.value.retry_after == 2.5


async def test_connection_error_is_retry_later() -> None:
    d, client, _ = deliverer()
    client.send_error = ClientConnectionError("refused")
    with pytest.raises(RetryLater):
        await d.deliver(SendMessage(ROOM, "x"))


async def test_forbidden_is_delivery_failed_and_unknown_error_retries() -> None:
    d, client, _ = deliverer()
    client.send_error = RoomSendError("not in room", "M_FORBIDDEN")
    with pytest.raises(DeliveryFailed):
        await d.deliver(SendMessage(ROOM, "x"))
    client.send_error = RoomSendError("bad gateway", None)
    with pytest.raises(RetryLater):
        await d.deliver(SendMessage(ROOM, "x"))


async def test_forbidden_in_a_dm_forgets_the_room_and_retries() -> None:
    d, client, kv = deliverer()
    kv.data[state.dm_room("@fabienne:hs")] = "!gone:hs"
    client.send_error = RoomSendError("not in room", "M_FORBIDDEN")
    with pytest.raises(RetryLater):
        await d.deliver(SendDirect(FAB, "x"))
    assert kv.data[state.dm_room("@fabienne:hs")] == ""


def test_mention_of_someone_without_display_name() -> None:
    bare = UserRef("matrix", "@gil:hs")
    content = render("Merci @@gil:hs.", (bare,))
    assert content["body"] == "Merci @gil:hs."
    assert content["formatted_body"] == 'Merci <a href="https://matrix.to/#/@gil:hs">@gil:hs</a>.'


async def test_notice_by_convention_text_where_someone_must_be_notified() -> None:
    """Element's default push rules silence m.notice: DMs and messages naming people stay m.text."""
    d, client, _ = deliverer()
    client.room("!dm:hs", "@fabienne:hs")
    await d.kv.kv_set(state.dm_room("@fabienne:hs"), "!dm:hs")
    await d.deliver(ReplyInThread(ThreadRef(ROOM, "$q"), "Question résolue.", "sos/resolved"))
    await d.deliver(ReplyInThread(ThreadRef(ROOM, "$q"), "Relance @Alice", "sos/nudge", (ALICE,)))
    await d.deliver(SendDirect(FAB, "Une question attend", "sos/referent"))
    assert [(s.room_id, s.content["msgtype"]) for s in client.sent] == [
        ("!sos:hs", "m.notice"), ("!sos:hs", "m.text"), ("!dm:hs", "m.text"),
    ]


async def test_people_known_only_by_id_are_named_by_their_room_display_name() -> None:
    d, client, _ = deliverer()
    client.room("!sos:hs", "@fabienne_88f58d:hs")  # the fake names her "Fabienne_88f58d" in the room
    bare = UserRef("matrix", "@fabienne_88f58d:hs", "@fabienne_88f58d:hs")  # from the configuration only
    await d.deliver(MentionRoles(ROOM, "Formateurs : @@fabienne_88f58d:hs, une question attend.", ("trainer",),
                                 "sos/trainers_alert", (bare,)))
    content = client.sent[0].content
    assert content["body"] == "Formateurs : @Fabienne_88f58d, une question attend."
    assert '<a href="https://matrix.to/#/@fabienne_88f58d:hs">Fabienne_88f58d</a>' in content["formatted_body"]
    assert content["m.mentions"] == {"user_ids": ["@fabienne_88f58d:hs"]}  # the pill keeps the id
