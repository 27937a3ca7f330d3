"""End-to-end on a real Synapse: the real core, a real clock, SOS delays in seconds (8s → rungs at 2/4/6/8s)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from matrix_homeserver import Homeserver
from matrix_world import Bot, World, make_world, person, start_bot, template, thread_of
from nio import RoomCreateResponse, RoomGetStateEventResponse
from sqlalchemy import func, select

from adapters.matrix import MatrixLoginError, start_matrix
from bot.actions import React, SendMessage
from bot.app import TicebotApp
from bot.db.models import Member, Outbox, Post, ProcessedEvent, Question, Role, ScheduledStep
from bot.refs import ChannelRef, MessageRef

pytestmark = pytest.mark.matrix

QUESTION = "Comment partager un document avec mes élèves sans ENT ?"


@pytest.fixture
async def world(homeserver: Homeserver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    created = await make_world(homeserver, tmp_path, monkeypatch)
    yield created
    await created.close()


@pytest.fixture
async def bots() -> AsyncIterator[list[Bot]]:
    """Bots started by a test; all stopped at the end even when the test fails."""
    started: list[Bot] = []
    yield started
    for bot in started:
        with contextlib.suppress(Exception):  # already stopped by the test
            await bot.stop()


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll the bot's database until `check()` is true (state changes have no chat message)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"condition not met within {within}s"
        await asyncio.sleep(0.05)


async def question_for(app: TicebotApp, root: str) -> Question | None:
    async with app.db.transaction() as session:
        return (await session.execute(select(Question).where(Question.thread_root_id == root))).scalar_one_or_none()


def ts(source: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(source["origin_server_ts"] / 1000, tz=UTC)


async def test_unanswered_question_climbs_the_whole_ladder(world: World, bots: list[Bot]) -> None:
    bots.append(await start_bot(world.settings(delay="8s")))
    q = await world.alice.say(world.sos, QUESTION)
    received = await world.alice.wait_template("sos/received", world.sos)
    assert thread_of(received) == q
    assert received["content"]["m.mentions"] == {"user_ids": [world.alice.user_id]}
    assert f'href="https://matrix.to/#/{world.alice.user_id}">Alice</a>' in received["content"]["formatted_body"]

    nudge = await world.alice.wait_template("sos/nudge", world.sos)
    assert thread_of(nudge) == q
    room, referent = await world.fabienne.wait_for(lambda r, s: template(s) == "sos/referent")
    assert room not in (world.sos, world.general, world.staff)  # a direct room the bot opened
    alert = await world.fabienne.wait_template("sos/trainers_alert", world.staff)
    assert world.fabienne.user_id in alert["content"]["m.mentions"]["user_ids"]
    coordinator_room, _ = await world.claire.wait_for(lambda r, s: template(s) == "sos/breach_coordinator")
    assert coordinator_room not in (world.sos, world.general, world.staff)
    breach = await world.alice.wait_template("sos/breach_thread", world.sos)
    assert thread_of(breach) == q

    asked = ts(next(s for _r, s in world.alice.seen if s.get("event_id") == q))
    offsets = {
        name: (ts(source) - asked).total_seconds()
        for name, source in (("nudge", nudge), ("referent", referent), ("trainers", alert), ("breach", breach))
    }
    offsets["received"] = (ts(received) - asked).total_seconds()
    print(f"matrix ladder offsets (s): {offsets}")  # shown with -s; the numbers quoted in the report
    # Bounds leave room for a loaded CI machine; typical values are 0.1 s and due + 0.04–0.5 s.
    assert offsets["received"] < 2.0, offsets  # the acknowledgement is one round trip, not a sweep
    for name, due in (("nudge", 2), ("referent", 4), ("trainers", 6), ("breach", 8)):
        assert due <= offsets[name] < due + 3.0, offsets  # on time: not at the next minute's sweep


async def test_formateur_reply_stops_the_ladder_and_asker_tick_resolves(world: World, bots: list[Bot]) -> None:
    bot = await start_bot(world.settings(delay="8s"))
    bots.append(bot)
    q = await world.alice.say(world.sos, QUESTION)
    await world.alice.wait_template("sos/received", world.sos)

    # Bruno answers with a rich reply outside the thread: it counts in the question's thread.
    quoted = await world.bob.say(
        world.sos,
        f"> <{world.alice.user_id}> {QUESTION}\n\nPar la messagerie ?",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": q}}},
    )
    # Alice fixes a typo in her question: an edit, not a new question.
    await world.alice.say(
        world.sos,
        "* " + QUESTION.replace("document", "PDF"),
        **{
            "m.new_content": {"msgtype": "m.text", "body": QUESTION.replace("document", "PDF")},
            "m.relates_to": {"rel_type": "m.replace", "event_id": q},
        },
    )
    answer = await world.fabienne.say(world.sos, "Déposez-le dans le cahier de textes, en pièce jointe.", thread=q)

    async def answered() -> bool:
        question = await question_for(bot.app, q)
        return question is not None and question.status == "answered"

    await until(answered)
    async with bot.app.db.transaction() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(ScheduledStep)
            .where(
                ScheduledStep.state == "pending",
                ScheduledStep.kind.like("sos.%"),
                ScheduledStep.kind != "sos.solved_check",
            )
        )
        posts = {p.platform_post_id: p for p in (await session.execute(select(Post))).scalars()}
        questions = await session.scalar(select(func.count()).select_from(Question))
    assert pending == 0  # the ladder is stopped
    assert posts[quoted].thread_root_id == q
    assert posts[q].text == QUESTION.replace("document", "PDF")
    assert questions == 1

    await world.alice.react(world.sos, answer, "✅")
    resolved = await world.alice.wait_template("sos/resolved", world.sos)
    assert thread_of(resolved) == q
    assert [t for _r, s in world.alice.bot_messages(world.sos) if (t := template(s)).startswith("sos/nudge")] == []


async def test_restart_mid_scenario_loses_and_duplicates_nothing(world: World, bots: list[Bot]) -> None:
    settings = world.settings(delay="8s")
    # A timeline limit of 5 makes the catch-up sync `limited`: the adapter must page back with /messages.
    first = await start_bot(settings, timeline_limit=5)
    bots.append(first)
    q = await world.alice.say(world.sos, QUESTION)
    await world.alice.wait_template("sos/received", world.sos)
    question = await question_for(first.app, q)
    assert question is not None
    async with first.app.db.transaction() as session:
        nudge_due = await session.scalar(
            select(ScheduledStep.due_at).where(
                ScheduledStep.question_id == question.id, ScheduledStep.kind == "sos.nudge"
            )
        )
    device = first.adapter.client.device_id
    await first.stop()

    # While the bot is down: 12 replies in the thread, a new question, and the nudge falls due.
    replies = [await world.bob.say(world.sos, f"piste {i} : essayez l'option {i}", thread=q) for i in range(12)]
    q2 = await world.bob.say(world.sos, "Quel outil pour un QCM rapide en classe ?")
    assert nudge_due is not None
    await asyncio.sleep(max(0.0, (nudge_due - datetime.now(UTC)).total_seconds()) + 0.2)

    second = await start_bot(settings, timeline_limit=5)
    bots.append(second)
    assert second.adapter.client.device_id == device  # one device across restarts (kept in the database)
    await world.bob.wait_template("sos/received", world.sos)  # Bruno's question, asked while down
    await world.alice.wait_template("sos/nudge", world.sos)  # the overdue rung, fired at catch-up
    await world.fabienne.wait_for(lambda r, s: template(s) == "sos/referent")  # the ladder goes on

    async with second.app.db.transaction() as session:
        thread_posts = (
            (
                await session.execute(
                    select(Post.platform_post_id)
                    .where(Post.thread_root_id == q, Post.platform_post_id != q)
                    .order_by(Post.id)
                )
            )
            .scalars()
            .all()
        )
        processed = await session.scalar(
            select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.event_id.in_([q, q2, *replies]))
        )
        rows = (await session.execute(select(Outbox.template, Outbox.payload))).all()
    queued = Counter((name, (payload.get("thread") or {}).get("id")) for name, payload in rows)
    assert thread_posts == replies  # all of them, once, in order
    assert processed == 14
    # One acknowledgement per question and one nudge for the first: nothing replayed by the restart.
    assert queued[("sos/received", q)] == 1 and queued[("sos/received", q2)] == 1
    assert queued[("sos/nudge", q)] == 1

    await world.alice.pump()
    bot_in_thread = [template(s) for _r, s in world.alice.bot_messages(world.sos) if thread_of(s) == q]
    assert bot_in_thread.count("sos/received") == 1 and bot_in_thread.count("sos/nudge") == 1


async def test_direct_messages_and_invites(
    world: World, bots: list[Bot], homeserver: Homeserver
) -> None:
    bots.append(await start_bot(world.settings(delay="1h")))
    alice = world.alice

    # Alice (member of a configured room) opens a DM: the bot joins and answers privately there.
    dm = await alice.client.room_create(is_direct=True, invite=[world.bot_user])
    assert isinstance(dm, RoomCreateResponse)
    await alice.wait_joined(dm.room_id, world.bot_user)
    await alice.say(dm.room_id, "!aide")
    help_message = await alice.wait_template("general/help", dm.room_id)
    assert "!aide" in help_message["content"]["body"] and "/aide" not in help_message["content"]["body"]

    # A stranger belongs to no configured space: the invitation is declined.
    stranger = await person(homeserver, "mallory", "Mallory")
    try:
        other = await stranger.client.room_create(is_direct=True, invite=[world.bot_user])
        assert isinstance(other, RoomCreateResponse)
        await stranger.wait_for(
            lambda r, s: (
                r == other.room_id
                and s.get("state_key") == world.bot_user
                and s["content"].get("membership") == "leave"
            )
        )
    finally:
        await stranger.client.close()



async def test_power_level_makes_a_formateur(world: World, bots: list[Bot]) -> None:
    bot = await start_bot(world.settings(delay="1h", power_level_trainer=50))
    bots.append(bot)
    current = await world.claire.client.room_get_state_event(world.sos, "m.room.power_levels")
    assert isinstance(current, RoomGetStateEventResponse)
    content = dict(current.content)
    content["users"] = {**content.get("users", {}), world.bob.user_id: 50}
    await world.claire.client.room_put_state(world.sos, "m.room.power_levels", content)

    async def bob_is_trainer() -> bool:
        async with bot.app.db.transaction() as session:
            roles = (
                (
                    await session.execute(
                        select(Role.role)
                        .join(Member, Member.id == Role.member_id)
                        .where(Member.platform_user_id == world.bob.user_id, Role.source == "platform")
                    )
                )
                .scalars()
                .all()
            )
        return "trainer" in roles

    await until(bob_is_trainer)


async def test_declaration_in_a_thread_validated_by_a_formateur(world: World, bots: list[Bot]) -> None:
    bots.append(await start_bot(world.settings(delay="1h")))
    await world.alice.say(world.general, "!confidentialite public")  # decisions shown in the thread
    root = await world.alice.say(world.general, "Ma séquence avec le TNI en 5e")
    await world.alice.say(world.general, "!declare B2-3 https://example.org/ma-sequence", thread=root)
    declared = await world.alice.wait_template("declarations/declared", world.general)
    assert thread_of(declared) == root
    room, _notify = await world.fabienne.wait_for(lambda r, s: template(s) == "declarations/notify_validator")
    assert room not in (world.sos, world.general, world.staff)  # told privately

    await world.fabienne.say(world.general, "!valider Belle séquence", thread=root)
    validated = await world.alice.wait_template("declarations/validated", world.general)
    assert thread_of(validated) == root
    assert world.alice.user_id in validated["content"]["m.mentions"]["user_ids"]


async def test_ticebot_run_entry_point_with_access_token(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `ticebot run` does: app.run_forever + start_matrix, here logging in with an access token."""
    monkeypatch.setenv("TICEBOT_TEST_MATRIX_TOKEN", world.bot_token)
    settings = world.settings(delay="1h")
    assert settings.matrix is not None
    config = settings.matrix.model_copy(update={"password_env": None, "access_token_env": "TICEBOT_TEST_MATRIX_TOKEN"})
    settings = settings.model_copy(update={"matrix": config})
    app = await TicebotApp.create(settings)
    tasks = [asyncio.create_task(app.run_forever()), asyncio.create_task(start_matrix(config, app))]
    try:
        await world.alice.wait_joined(world.sos, world.bot_user)  # what was said before the join is not ours
        q = await world.alice.say(world.sos, QUESTION)
        received = await world.alice.wait_template("sos/received", world.sos)
        assert thread_of(received) == q
    finally:
        app.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.close()


async def test_wrong_password_is_a_clear_configuration_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(world.bot_password_env, "not-the-password")
    settings = world.settings()
    assert settings.matrix is not None
    app = await TicebotApp.create(settings)
    try:
        with pytest.raises(MatrixLoginError) as caught:
            await start_matrix(settings.matrix, app)
        assert "not-the-password" not in str(caught.value)
        assert world.bot_user in str(caught.value)
    finally:
        await app.close()


async def test_outgoing_image_and_reaction_on_the_real_server(world: World, bots: list[Bot], tmp_path: Path) -> None:
    bot = await start_bot(world.settings(delay="1h"))
    bots.append(bot)
    chart = tmp_path / "bilan.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    general = ChannelRef("matrix", world.general)
    text_id = await bot.adapter.deliver(
        SendMessage(general, "**Bilan** de la semaine", "digest/space", image_path=str(chart))
    )
    _room, image = await world.alice.wait_for(
        lambda r, s: r == world.general and s.get("content", {}).get("msgtype") == "m.image"
    )
    assert image["content"]["url"].startswith("mxc://") and image["content"]["info"]["mimetype"] == "image/png"
    texts = [s["event_id"] for r, s in world.alice.seen if r == world.general and template(s) == "digest/space"]
    assert texts == [text_id]  # the text first, then the image

    said = await world.alice.say(world.general, "Bonjour à toutes et à tous")
    await bot.adapter.deliver(React(MessageRef(general, said), "👋"))
    _room, reaction = await world.alice.wait_for(lambda r, s: s.get("type") == "m.reaction")
    assert reaction["sender"] == world.bot_user
    assert reaction["content"]["m.relates_to"] == {"rel_type": "m.annotation", "event_id": said, "key": "👋"}


async def test_rooms_configured_by_alias_are_resolved_at_start(world: World, bots: list[Bot]) -> None:
    server = world.claire.user_id.split(":", 1)[1]
    alias = f"#sos-{world.homeserver.unique('alias')}:{server}"
    put = await world.claire.client.room_put_alias(alias, world.sos)
    assert not hasattr(put, "status_code"), put
    settings = world.settings(delay="1h")
    settings.spaces[0].matrix["sos"] = alias
    app = await TicebotApp.create(settings)
    from adapters.matrix.adapter import MatrixAdapter

    adapter = MatrixAdapter(settings, kv=app, sink=app.submit, long_poll_ms=2_000,
                            register_channel=app.core.register_channel)
    app.register_adapter(adapter)
    await adapter.start()
    bots.append(Bot(app, adapter, [asyncio.create_task(adapter.run_forever()),
                                   asyncio.create_task(app.run_forever())]))
    q = await world.alice.say(world.sos, QUESTION)
    received = await world.alice.wait_template("sos/received", world.sos)
    assert thread_of(received) == q
