"""Matrix event sources → core events: threads, rich replies, reactions, edits, redactions, files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from matrix_fakes import message
from nio import Event

from adapters.matrix.translate import changed_power_users, is_join_of, reply_target, translate
from bot.events import Attachment, PostCreated, PostDeleted, PostEdited, ReactionAdded
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

ROOM = "!sos:hs"
CH = ChannelRef("matrix", ROOM)


def via_nio(source: dict[str, Any]) -> dict[str, Any]:
    """Parse with nio as the sync does, then hand back `.source`: proves nio keeps what we read."""
    return Event.parse_event(source).source


def test_top_level_message_starts_a_thread() -> None:
    event = translate(via_nio(message("$q", "@alice:hs", "Comment partager ?")), ROOM, display="Alice")
    assert event == PostCreated(
        event_id="$q",
        author=UserRef("matrix", "@alice:hs", "Alice"),
        channel=CH,
        message=MessageRef(CH, "$q"),
        text="Comment partager ?",
        thread=None,
        at=datetime(2025, 9, 7, 9, 0, tzinfo=UTC),
    )


def test_thread_reply_points_at_the_root() -> None:
    source = message(
        "$r",
        "@bob:hs",
        "Par l'ENT",
        {"rel_type": "m.thread", "event_id": "$q", "is_falling_back": True, "m.in_reply_to": {"event_id": "$q"}},
    )
    event = translate(via_nio(source), ROOM)
    assert isinstance(event, PostCreated)
    assert event.thread == ThreadRef(CH, "$q")
    assert event.reply_to is None  # in a thread, m.in_reply_to is only the fallback
    assert reply_target(source) is None


def test_rich_reply_outside_thread_joins_the_replied_events_thread() -> None:
    body = "> <@alice:hs> Comment partager ?\n\nPar l'ENT"
    source = message("$r", "@bob:hs", body, {"m.in_reply_to": {"event_id": "$x"}})
    assert reply_target(source) == "$x"
    event = translate(via_nio(source), ROOM, reply_root="$q")
    assert isinstance(event, PostCreated)
    assert event.thread == ThreadRef(CH, "$q")
    assert event.reply_to == MessageRef(CH, "$x")
    assert event.text == "Par l'ENT"  # quoted fallback removed


def test_rich_reply_to_a_top_level_message_uses_it_as_root() -> None:
    source = message("$r", "@bob:hs", "oui", {"m.in_reply_to": {"event_id": "$q"}})
    event = translate(source, ROOM)
    assert isinstance(event, PostCreated) and event.thread == ThreadRef(CH, "$q")


def test_reaction_is_reaction_added() -> None:
    source = {
        "type": "m.reaction",
        "event_id": "$k",
        "sender": "@alice:hs",
        "origin_server_ts": 1,
        "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$r", "key": "✅"}},
    }
    assert translate(via_nio(source), ROOM, display="Alice") == ReactionAdded(
        "$k", UserRef("matrix", "@alice:hs", "Alice"), MessageRef(CH, "$r"), "✅"
    )


def test_edit_is_post_edited_not_a_new_post() -> None:
    source = message(
        "$e",
        "@alice:hs",
        "* Comment partager un PDF ?",
        {"rel_type": "m.replace", "event_id": "$q"},
        **{"m.new_content": {"msgtype": "m.text", "body": "Comment partager un PDF ?"}},
    )
    assert translate(via_nio(source), ROOM) == PostEdited("$e", MessageRef(CH, "$q"), "Comment partager un PDF ?")


@pytest.mark.parametrize("where", ["top", "content"])  # room versions < 11 and ≥ 11
def test_redaction_is_post_deleted(where: str) -> None:
    source: dict[str, Any] = {
        "type": "m.room.redaction",
        "event_id": "$d",
        "sender": "@alice:hs",
        "origin_server_ts": 1,
        "content": {},
    }
    if where == "top":
        source["redacts"] = "$q"
    else:
        source["content"]["redacts"] = "$q"
    assert translate(source, ROOM) == PostDeleted("$d", MessageRef(CH, "$q"))


def test_direct_message_and_notice_and_image() -> None:
    dm = translate(message("$m", "@alice:hs", "/portfolio"), "!dm:hs", is_direct=True)
    assert isinstance(dm, PostCreated) and dm.is_direct and dm.thread is None
    notice = translate(message("$n", "@otherbot:hs", "hello", msgtype="m.notice"), ROOM)
    assert isinstance(notice, PostCreated) and notice.author_is_bot
    image = translate(
        message("$i", "@alice:hs", "capture.png", msgtype="m.image", url="mxc://hs/a", info={"mimetype": "image/png"}),
        ROOM,
    )
    assert isinstance(image, PostCreated)
    assert image.attachments == (Attachment("capture.png", "mxc://hs/a", "image/png"),)
    assert image.text == ""


def test_ignored_events() -> None:
    assert translate({"type": "m.room.topic", "event_id": "$t", "sender": "@a:hs", "content": {}}, ROOM) is None
    redacted = {"type": "m.room.message", "event_id": "$x", "sender": "@a:hs", "content": {}}
    assert translate(redacted, ROOM) is None
    encrypted = {"type": "m.room.encrypted", "event_id": "$c", "sender": "@a:hs", "content": {"ciphertext": "…"}}
    assert translate(encrypted, ROOM) is None


def test_join_and_power_level_helpers() -> None:
    join = {
        "type": "m.room.member",
        "state_key": "@bot:hs",
        "content": {"membership": "join"},
        "unsigned": {"prev_content": {"membership": "invite"}},
    }
    profile = {**join, "unsigned": {"prev_content": {"membership": "join"}}}
    assert is_join_of(join, "@bot:hs") and not is_join_of(profile, "@bot:hs")
    levels = {
        "type": "m.room.power_levels",
        "content": {"users": {"@f:hs": 50, "@a:hs": 0}},
        "unsigned": {"prev_content": {"users": {"@a:hs": 0, "@old:hs": 50}}},
    }
    assert changed_power_users(levels) == {"@f:hs", "@old:hs"}
