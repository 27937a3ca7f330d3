"""The adapter's routing without a homeserver: which rooms are read, DMs, invites, roles, E2EE notice."""

from __future__ import annotations

from typing import Any

from matrix_fakes import BOT, FakeClient, message
from nio import InviteInfo, InviteMemberEvent

from adapters.matrix import E2EE_NOTICE, MatrixAdapter, state
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


def adapter(**kwargs: Any) -> tuple[MatrixAdapter, FakeClient, MemoryKeyValue, list[CoreEvent]]:
    client, kv, seen = FakeClient(), MemoryKeyValue(), []

    async def sink(event: CoreEvent) -> None:
        seen.append(event)

    return MatrixAdapter(settings(**kwargs), kv, sink, client=client), client, kv, seen  # type: ignore[arg-type]


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


async def test_encrypted_room_gets_one_french_notice_even_after_restart() -> None:
    a, client, kv, seen = adapter()
    client.room("!sos:hs", "@alice:hs")
    encrypted = {"type": "m.room.encrypted", "event_id": "$c1", "sender": "@alice:hs", "content": {}}
    await a.on_room_events("!sos:hs", [encrypted, {**encrypted, "event_id": "$c2"}])
    assert [s.content["body"] for s in client.sent] == [E2EE_NOTICE]
    assert client.sent[0].content["msgtype"] == "m.notice"
    restarted = MatrixAdapter(settings(), kv, a.sink, client=client)  # type: ignore[arg-type]
    await restarted.on_room_events("!sos:hs", [{**encrypted, "event_id": "$c3"}])
    assert len(client.sent) == 1 and seen == []


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
