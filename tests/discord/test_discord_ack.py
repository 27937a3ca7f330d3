"""Whatever happens to an interaction's acknowledgement, the command takes effect, and the person is
told afterwards that it was taken into account (follow-up while the token lives, else DM).

The double answers callbacks as Discord documents it (double_interactions): these tests make it fail
the way a loaded or slow Discord does, and check the database and what each person reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord_payloads as p
import pytest
from discord_world import GENERAL_PAYLOAD, World, open_world
from double_clock import ManualClock
from double_interactions import Interactions

from adapters.discord import ack
from bot.db import models

CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = r"/webhooks/\d+/[^/]+"


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setattr(ack, "ACK_TIMEOUT", 0.2)  # Discord's 3 s, scaled down for the test
    w = await open_world(tmp_path)
    yield w
    await w.discord.close()
    await w.app.close()


def declare_payload() -> dict:
    return p.slash(
        "declare",
        [{"name": "code", "type": 3, "value": "B2-3"}, {"name": "trace", "type": 3, "value": "https://ex.org/seq"}],
        p.ALICE,
        "Alice",
        GENERAL_PAYLOAD,
    )


async def declared(world: World) -> list[tuple[str, str]]:
    return [(d.code, d.state) for d in await world.rows(models.Declaration)]


async def test_a_500_on_the_acknowledgement_still_declares_and_alice_is_told_by_dm(world: World) -> None:
    world.discord.api.fail("POST", CALLBACK, 500, message="Internal Server Error")
    await world.interaction(declare_payload())
    await world.tick()
    assert await declared(world) == [("B2-3", "declared")]
    assert len(await world.sent("declarations/notify_validator")) == 1  # Fabienne is told
    # Never acknowledged: the follow-up webhook does not exist (10015), so Alice gets a DM instead.
    assert [c.status for c in world.discord.api.find("POST", FOLLOWUP)] == [404]
    assert any("/declare" in t and "bien été prise en compte" in t for t in world.dm_texts(p.ALICE))


async def test_an_acknowledgement_without_answer_in_time_still_declares(world: World) -> None:
    world.discord.api.fail("POST", CALLBACK, 0, delay=1.0)  # the double answers too late for us
    await world.interaction(declare_payload())
    await world.tick()
    assert await declared(world) == [("B2-3", "declared")]
    assert any("bien été prise en compte" in t for t in world.dm_texts(p.ALICE))


async def test_an_expired_interaction_still_declares(world: World) -> None:
    world.discord.api.fail("POST", CALLBACK, 404, 10062, "Unknown interaction")
    await world.interaction(declare_payload())
    await world.tick()
    assert await declared(world) == [("B2-3", "declared")]
    assert any("bien été prise en compte" in t for t in world.dm_texts(p.ALICE))


async def test_already_acknowledged_counts_as_acknowledged(world: World) -> None:
    world.discord.api.fail("POST", CALLBACK, 400, 40060, "Interaction has already been acknowledged.")
    await world.interaction(declare_payload())
    await world.tick()
    assert await declared(world) == [("B2-3", "declared")]
    assert world.discord.api.find("POST", FOLLOWUP) == []
    assert not any("bien été prise en compte" in t for t in world.dm_texts(p.ALICE))


async def test_a_normal_acknowledgement_needs_no_word_afterwards(world: World) -> None:
    await world.interaction(declare_payload())
    await world.tick()
    (callback,) = world.discord.api.callbacks()
    assert callback.status == 200 and callback.json["data"]["content"].startswith("Bien reçu")
    assert world.discord.api.find("POST", FOLLOWUP) == []
    assert await declared(world) == [("B2-3", "declared")]


async def test_a_button_click_whose_acknowledgement_fails_still_validates(world: World) -> None:
    await world.interaction(declare_payload())
    await world.tick()
    (notice,) = await world.sent("declarations/notify_validator")
    validate = next(b["custom_id"] for row in notice["components"] for b in row["components"])
    dm = world.dm_channel_of(p.FABIENNE)
    world.discord.api.fail("POST", CALLBACK, 503)
    await world.interaction(p.button_click(validate, p.FABIENNE, "Fabienne", dm, notice, guild_id=None))
    await world.tick()
    assert await declared(world) == [("B2-3", "validated")]
    assert any("/valider" in t for t in world.dm_texts(p.FABIENNE))


async def test_english_clients_read_english(world: World) -> None:
    payload = declare_payload()
    payload["locale"] = "en-GB"
    await world.interaction(payload)
    (callback,) = world.discord.api.callbacks()
    assert callback.json["data"]["content"].startswith("Received")


# ---------------------------------------------------------------- the double's own rules


def test_the_double_enforces_3_seconds_one_response_and_15_minutes() -> None:
    clock = ManualClock()
    windows = Interactions(clock)
    windows.dispatched({"id": "1", "token": "a"})
    windows.dispatched({"id": "2", "token": "b"})
    assert windows.followup("a") == (404, {"code": 10015, "message": "Unknown Webhook"})  # not acknowledged
    clock.advance(2.9)
    assert windows.callback("1", "a", 4) is None
    assert windows.callback("1", "a", 4)[1]["code"] == 40060  # type: ignore[index]
    clock.advance(0.2)  # 3.1 s after dispatch
    assert windows.callback("2", "b", 4)[1]["code"] == 10062  # type: ignore[index]
    assert windows.followup("a") is None
    clock.advance(15 * 60)
    assert windows.followup("a") == (401, {"code": 50027, "message": "Invalid Webhook Token"})
