"""End-to-end encryption on a real Synapse configured like Tchap (private rooms and DMs encrypted by default).

People are independent nio[e2e] clients with their own olm devices; they trust the bot's device on first
use, as people do in Element. Every bot message checked here reached them encrypted and was decrypted by
their own device (`Person.decrypted`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from matrix_homeserver import Homeserver
from matrix_world import Bot, Person, World, make_world, start_bot, template, thread_of
from nio import RoomCreateResponse, RoomKeyRequest, RoomSendResponse
from sqlalchemy import select

from adapters.matrix.device import DeviceError
from bot.db.models import Declaration, Post, Question

pytestmark = pytest.mark.matrix

QUESTION = "Comment partager un document avec mes élèves sans ENT ?"


@pytest.fixture
async def world(
    tchap_homeserver: Homeserver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    created = await make_world(tchap_homeserver, tmp_path, monkeypatch, encrypted=True)
    yield created
    await created.close()


@pytest.fixture
async def bots() -> AsyncIterator[list[Bot]]:
    started: list[Bot] = []
    yield started
    for bot in started:
        with contextlib.suppress(Exception):
            await bot.stop()


async def joined(world: World, *rooms: str) -> None:
    for room in rooms:
        await world.claire.wait_joined(room, world.bot_user)


async def send_now(someone: Person, room_id: str, body: str) -> str:
    """Send with the device's current room session: no sync or key query in between to rotate it."""
    response = await someone.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
    assert isinstance(response, RoomSendResponse), response
    return str(response.event_id)


def encrypted_room(world: World, room_id: str) -> bool:
    room = world.claire.client.rooms.get(room_id)
    return bool(room is not None and room.encrypted)


async def test_encrypted_question_is_answered_and_the_ladder_reaches_staff_encrypted(
    world: World, bots: list[Bot]
) -> None:
    assert all(encrypted_room(world, r) for r in (world.sos, world.general, world.staff))  # Tchap's default
    bots.append(await start_bot(world.settings(delay="8s")))
    await joined(world, world.sos, world.staff)

    q = await world.alice.say(world.sos, QUESTION)
    received = await world.alice.wait_template("sos/received", world.sos)
    assert thread_of(received) == q
    assert received["event_id"] in world.alice.decrypted  # sent encrypted, readable by Alice's device
    assert "Alice" in received["content"]["body"]

    dm, referent = await world.fabienne.wait_for(lambda r, s: template(s) == "sos/referent")
    assert dm not in (world.sos, world.general, world.staff)  # a DM the bot opened: encrypted too
    assert referent["event_id"] in world.fabienne.decrypted
    assert referent["content"]["msgtype"] == "m.text"  # a DM alert notifies
    alert = await world.fabienne.wait_template("sos/trainers_alert", world.staff)
    assert alert["event_id"] in world.fabienne.decrypted
    assert world.fabienne.user_id in alert["content"]["m.mentions"]["user_ids"]
    _room, breach = await world.claire.wait_for(lambda r, s: template(s) == "sos/breach_coordinator", within=20)
    assert breach["event_id"] in world.claire.decrypted
    assert QUESTION[:20] in breach["content"]["body"] or "question" in breach["content"]["body"]


async def test_portfolio_and_validation_in_encrypted_direct_messages(world: World, bots: list[Bot]) -> None:
    bot = await start_bot(world.settings(delay="1h"))
    bots.append(bot)
    await joined(world, world.sos, world.general)
    alice, fabienne = world.alice, world.fabienne
    await alice.say(world.general, "Bonjour à toutes et à tous !")  # Alice is known in the space

    # Alice opens a DM as Element does; on this server it is encrypted from its creation.
    dm = await alice.client.room_create(is_direct=True, invite=[world.bot_user])
    assert isinstance(dm, RoomCreateResponse)
    await alice.wait_joined(dm.room_id, world.bot_user)
    assert alice.client.rooms[dm.room_id].encrypted
    welcome = await alice.wait_template("privacy/welcome")  # after her first message in the space
    assert welcome["event_id"] in alice.decrypted
    assert "**GFP Test**" in welcome["content"]["body"] and "gfp-test" not in welcome["content"]["body"]
    await alice.say(dm.room_id, "!portfolio")
    portfolio = await alice.wait_template("declarations/portfolio", dm.room_id)
    assert portfolio["event_id"] in alice.decrypted
    assert "Portfolio d'Alice" in portfolio["content"]["body"]  # named by display name, with the elision

    await alice.say(dm.room_id, "!declare B2-3 https://exemple.org/ma-sequence")
    declared = await alice.wait_template("declarations/declared", dm.room_id)
    assert declared["event_id"] in alice.decrypted
    review_dm, notify = await fabienne.wait_for(lambda r, s: template(s) == "declarations/notify_validator")
    assert notify["event_id"] in fabienne.decrypted and "B2-3" in notify["content"]["body"]
    async with bot.app.db.transaction() as session:
        declaration = (await session.execute(select(Declaration))).scalar_one()
    assert f"!valider #{declaration.id}" in notify["content"]["body"]  # Matrix commands are written with "!"

    await fabienne.say(review_dm, f"!valider #{declaration.id} Belle séquence")

    async def validated() -> bool:
        async with bot.app.db.transaction() as session:
            row = await session.get(Declaration, declaration.id)
            return row is not None and row.state == "validated"

    deadline = asyncio.get_running_loop().time() + 15
    while not await validated():
        assert asyncio.get_running_loop().time() < deadline, "the encrypted !valider had no effect"
        await fabienne.pump(200)
    told = await alice.wait_template("declarations/validated")
    assert told["event_id"] in alice.decrypted


async def test_restart_still_decrypts_and_writes_readable_messages(world: World, bots: list[Bot]) -> None:
    settings = world.settings(delay="1h")
    # A timeline limit of 3 makes the catch-up sync `limited`: the older encrypted events come from /messages.
    first = await start_bot(settings, timeline_limit=3)
    bots.append(first)
    await joined(world, world.sos)
    q1 = await world.alice.say(world.sos, QUESTION)
    await world.alice.wait_template("sos/received", world.sos)
    device = first.adapter.client.device_id
    await first.stop()

    # Posted while the bot is down, encrypted with room keys shared with its device.
    replies = [await world.bob.say(world.sos, f"piste {i} : essayez l'option {i}", thread=q1) for i in range(5)]
    q2 = await world.bob.say(world.sos, "Quel outil pour un QCM rapide en classe ?")
    second = await start_bot(settings, timeline_limit=3)
    bots.append(second)
    assert second.adapter.client.device_id == device  # same device, same keys
    _room, received = await world.bob.wait_for(lambda r, s: template(s) == "sos/received" and thread_of(s) == q2)
    assert received["event_id"] in world.bob.decrypted

    async with second.app.db.transaction() as session:
        stored = (await session.execute(
            select(Post.platform_post_id, Post.text).where(Post.thread_root_id == q1, Post.platform_post_id != q1)
            .order_by(Post.id))).all()
    assert [row[0] for row in stored] == replies  # every one, once, in order, paged back and decrypted
    assert [row[1] for row in stored] == [f"piste {i} : essayez l'option {i}" for i in range(5)]

    q3 = await world.alice.say(world.sos, "Et pour projeter un document au TNI ?")
    again = await world.alice.wait_for(lambda r, s: template(s) == "sos/received" and thread_of(s) == q3)
    assert again[1]["event_id"] in world.alice.decrypted
    assert q1 != q3


async def test_lost_olm_store_is_refused_instead_of_a_silent_new_device(world: World, bots: list[Bot]) -> None:
    settings = world.settings(delay="1h")
    first = await start_bot(settings)
    bots.append(first)
    device = first.adapter.client.device_id
    await first.stop()
    assert settings.matrix is not None and settings.matrix.store_dir
    shutil.rmtree(settings.matrix.store_dir)  # the data volume was not kept

    with pytest.raises(DeviceError) as refused:
        await start_bot(settings)
    message = str(refused.value)
    assert device is not None and device in message and settings.matrix.store_dir in message
    assert "\n" not in message  # one line for `ticebot run` to print


async def test_a_message_without_its_key_waits_for_it_and_its_author_is_told_when_it_never_comes(
    world: World, bots: list[Bot]
) -> None:
    bot = await start_bot(world.settings(delay="1h", key_wait="2s"))
    bots.append(bot)
    await joined(world, world.sos)
    alice, bob = world.alice, world.bob
    await alice.trust_everyone(world.sos)
    await bob.trust_everyone(world.sos)
    bot_device = bot.adapter.client.device_id
    assert bot_device is not None

    # Alice's client withholds the room key from the bot's device (as when its key share got lost).
    device = alice.client.device_store[world.bot_user][bot_device]
    alice.client.blacklist_device(device)
    await alice.client.share_group_session(world.sos)
    outbound = alice.client.olm.outbound_group_sessions[world.sos]  # type: ignore[union-attr]
    session_id = outbound.id
    q = await send_now(alice, world.sos, QUESTION)

    # The bot asks Alice's device for the key.
    deadline = asyncio.get_running_loop().time() + 10
    while not any(isinstance(e, RoomKeyRequest) and e.session_id == session_id and e.sender == world.bot_user
                  for e in alice.to_device):
        assert asyncio.get_running_loop().time() < deadline, "the bot never asked for the missing key"
        await alice.pump(200)

    # Alice's device answers as Element's does: it forwards its own session to the bot's device.
    olm = alice.client.olm
    assert olm is not None
    alice.client.unblacklist_device(device)
    alice.client.verify_device(device)
    if olm.session_store.get(device.curve25519) is None:
        await alice.client.keys_claim({world.bot_user: [bot_device]})
    own = olm.inbound_group_store.get(world.sos, olm.account.identity_keys["curve25519"], session_id)
    assert own is not None
    forward = olm._encrypt_forwarding_key(world.sos, own, olm.session_store.get(device.curve25519), device)
    await alice.client.to_device(forward)
    _room, received = await alice.wait_for(lambda r, s: template(s) == "sos/received" and thread_of(s) == q)
    assert received["event_id"] in alice.decrypted

    # Bruno's key never comes: after key_wait he is told once, in the room, readable by his device.
    device_b = bob.client.device_store[world.bot_user][bot_device]
    bob.client.blacklist_device(device_b)
    await send_now(bob, world.sos, "Une question que le bot ne pourra pas lire")
    await send_now(bob, world.sos, "Et une deuxième, de la même session")
    _room, told = await bob.wait_for(lambda r, s: template(s) == "matrix/undecryptable", within=20)
    assert told["event_id"] in bob.decrypted or told["type"] == "m.room.message"
    assert bob.user_id in told["content"]["m.mentions"]["user_ids"]
    assert "n'a pas pu lire votre message chiffré" in told["content"]["body"]
    await asyncio.sleep(3)  # past another key_wait: still one message
    await bob.pump()
    assert len([s for _r, s in bob.seen if template(s) == "matrix/undecryptable"]) == 1
    async with bot.app.db.transaction() as session:
        questions = (await session.execute(select(Question.thread_root_id))).scalars().all()
    assert questions == [q]  # Bruno's unreadable messages created nothing
