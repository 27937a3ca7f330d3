"""The adapter's routing without a homeserver: which rooms are read, DMs, invites, roles, undecryptable events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from matrix_fakes import BOT, FakeClient, message
from nio import InviteInfo, InviteMemberEvent, SyncResponse

from adapters.matrix import MatrixAdapter, state
from adapters.matrix.state import MemoryKeyValue
from bot.config import MatrixConfig, Settings, SpaceConfig
from bot.events import CoreEvent, MemberRolesChanged, PostCreated
from bot.refs import ChannelRef, ThreadRef


def settings(power_level_trainer: int | None = 50) -> Settings:
    return Settings(
        matrix=MatrixConfig(homeserver="http://hs", user_id=BOT, power_level_trainer=power_level_trainer),
        spaces=[
            SpaceConfig(
                id="gfp",
                roles={"trainer": ["@fabienne:hs"], "coordinator": ["@claire:hs"]},
                matrix={"sos": "!sos:hs", "formateurs": "!staff:hs"},
            )
        ],
    )


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


def adapter(
    clock: Clock | None = None, **kwargs: Any
) -> tuple[MatrixAdapter, FakeClient, MemoryKeyValue, list[CoreEvent]]:
    client, kv, seen = FakeClient(), MemoryKeyValue(), []

    async def sink(event: CoreEvent) -> None:
        seen.append(event)

    made = MatrixAdapter(settings(**kwargs), kv, sink, client=client, now=clock or Clock())  # type: ignore[arg-type]
    return made, client, kv, seen


async def test_configured_room_read_unknown_room_ignored_own_messages_skipped() -> None:
    a, client, _, seen = adapter()
    client.room("!sos:hs", "@alice:hs")
    client.room("!random:hs", "@alice:hs", "@bob:hs")
    await a.on_room_events("!sos:hs", [message("$q", "@alice:hs", "Aide ?"), message("$b", BOT, "Reçu")])
    await a.on_room_events("!random:hs", [message("$z", "@alice:hs", "bla")])
    assert [e.event_id for e in seen] == ["$q"]
    assert isinstance(seen[0], PostCreated) and seen[0].author.display == "Alice"


async def test_two_person_room_is_a_dm_and_is_remembered() -> None:
    a, client, kv, seen = adapter()
    client.room("!priv:hs", "@alice:hs")
    await a.on_room_events("!priv:hs", [message("$m", "@alice:hs", "/portfolio")])
    assert isinstance(seen[0], PostCreated) and seen[0].is_direct
    assert kv.data[state.dm_user("!priv:hs")] == "@alice:hs"


async def test_private_answers_go_to_the_direct_room_the_person_last_wrote_in() -> None:
    a, client, kv, seen = adapter()
    client.room("!dm-bot:hs", "@alice:hs")  # the room the bot opened
    client.room("!dm-alice:hs", "@alice:hs")  # one Alice opened later
    kv.data[state.dm_room("@alice:hs")] = "!dm-bot:hs"
    kv.data[state.dm_user("!dm-bot:hs")] = "@alice:hs"
    await a.on_room_events("!dm-alice:hs", [message("$1", "@alice:hs", "/portfolio"), message("$2", BOT, "…")])
    assert kv.data[state.dm_room("@alice:hs")] == "!dm-alice:hs"
    await a.on_room_events("!dm-bot:hs", [message("$3", "@alice:hs", "/aide")])
    assert kv.data[state.dm_room("@alice:hs")] == "!dm-bot:hs"
    assert [(e.event_id, e.is_direct) for e in seen] == [("$1", True), ("$3", True)]  # type: ignore[attr-defined]


async def test_reply_outside_thread_uses_replied_events_root_fetched_once() -> None:
    a, client, _, seen = adapter()
    client.room("!sos:hs", "@alice:hs", "@bob:hs")
    client.events["$nudge"] = message("$nudge", BOT, "Relance", {"rel_type": "m.thread", "event_id": "$q"})
    reply = message("$r", "@bob:hs", "> <@ticebot:hs> Relance\n\nVoici", {"m.in_reply_to": {"event_id": "$nudge"}})
    again = message("$r2", "@bob:hs", "Et aussi", {"m.in_reply_to": {"event_id": "$nudge"}})
    await a.on_room_events("!sos:hs", [reply, again])
    assert [e.thread for e in seen] == [ThreadRef(ChannelRef("matrix", "!sos:hs"), "$q")] * 2  # type: ignore[union-attr]
    assert client.fetched == ["$nudge"]


async def test_power_levels_become_roles_for_the_space() -> None:
    a, client, _, seen = adapter()
    client.room("!sos:hs", "@alice:hs", "@gil:hs")
    event = {
        "type": "m.room.power_levels",
        "event_id": "$pl",
        "sender": "@claire:hs",
        "state_key": "",
        "content": {"users": {BOT: 100, "@gil:hs": 50, "@alice:hs": 0}},
        "unsigned": {"prev_content": {"users": {BOT: 100, "@alice:hs": 50}}},
    }
    await a.on_room_events("!sos:hs", [event])
    roles = {e.user.id: e.roles for e in seen if isinstance(e, MemberRolesChanged)}
    assert roles == {"@gil:hs": frozenset({"trainer"}), "@alice:hs": frozenset()}
    assert {e.event_id for e in seen} == {"$pl:@gil:hs", "$pl:@alice:hs"}
    assert all(isinstance(e, MemberRolesChanged) and e.space_id == "gfp" for e in seen)


async def test_power_levels_ignored_without_threshold() -> None:
    a, client, _, seen = adapter(power_level_trainer=None)
    event = {
        "type": "m.room.power_levels",
        "event_id": "$pl",
        "sender": "@c:hs",
        "state_key": "",
        "content": {"users": {"@gil:hs": 50}},
    }
    await a.on_room_events("!sos:hs", [event])
    assert seen == []


def _encrypted(event_id: str, session: str = "s1", thread: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {
        "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA", "sender_key": "curve", "session_id": session,
        "device_id": "ALICEDEV",
    }
    if thread:
        content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread}
    return {"type": "m.room.encrypted", "event_id": event_id, "sender": "@alice:hs",
            "origin_server_ts": 1_757_235_600_000, "content": content}


async def test_undecryptable_message_waits_then_its_author_is_told_once_in_the_thread() -> None:
    clock = Clock()
    a, client, kv, seen = adapter(clock)
    client.room("!sos:hs", "@alice:hs")
    await a.on_room_events("!sos:hs", [_encrypted("$c1", thread="$q"), _encrypted("$c2", thread="$q")])
    assert seen == [] and client.sent == []  # nothing to hand to the core, nothing said yet

    clock.at += timedelta(minutes=4)  # key_wait is 5 minutes by default
    await a.after_sync(SyncResponse.from_dict({"next_batch": "s2"}))
    assert client.sent == []

    clock.at += timedelta(minutes=2)
    await a.after_sync(SyncResponse.from_dict({"next_batch": "s3"}))
    told = [s for s in client.sent if s.content.get("org.ticebot.template") == "matrix/undecryptable"]
    assert len(told) == 1  # one message for the two events of the same session
    assert told[0].room_id == "!sos:hs"
    assert told[0].content["m.relates_to"]["event_id"] == "$q"  # where Alice wrote
    assert told[0].content["m.mentions"] == {"user_ids": ["@alice:hs"]}
    assert "n'a pas pu lire votre message chiffré" in told[0].content["body"]
    assert "Alice" in told[0].content["body"] and "ciphertext" not in told[0].content["body"]

    restarted = MatrixAdapter(settings(), kv, a.sink, client=client, now=clock)  # type: ignore[arg-type]
    clock.at += timedelta(minutes=10)
    await restarted.after_sync(SyncResponse.from_dict({"next_batch": "s4"}))
    assert len(client.sent) == 1  # remembered across restarts: not told twice


def _invite(inviter: str, is_direct: bool = True) -> InviteInfo:
    member = InviteMemberEvent.from_dict(
        {
            "type": "m.room.member",
            "sender": inviter,
            "state_key": BOT,
            "content": {"membership": "invite", "is_direct": is_direct},
        }
    )
    return InviteInfo([member])


async def test_invites_accepted_only_from_people_of_a_configured_space() -> None:
    a, client, kv, _ = adapter()
    client.room("!sos:hs", "@alice:hs")  # Alice is a member of a configured room
    await a.on_invites(
        {
            "!dm-f:hs": _invite("@fabienne:hs"),  # config role
            "!dm-a:hs": _invite("@alice:hs"),  # member of a configured room
            "!dm-x:hs": _invite("@stranger:hs"),  # nobody
        }
    )
    assert client.joined == ["!dm-f:hs", "!dm-a:hs"] and client.left == ["!dm-x:hs"]
    assert kv.data[state.dm_room("@alice:hs")] == "!dm-a:hs"
    assert kv.data[state.dm_user("!dm-f:hs")] == "@fabienne:hs"
