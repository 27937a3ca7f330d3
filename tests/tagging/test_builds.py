"""Tagger builds run off the event loop: posts keep flowing while a space's model is rebuilt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from held_executor import HeldExecutor
from sqlalchemy import select

from adapters.console.replay import Replay
from bot.db.models import Post, Tag
from bot.tagging.builds import TaggerBuilds, builds_of

HEAD = """\
space demo referential=c2i2e
member alice
member bruno
formateur fabienne
"""
# Vocabulary the referential and the seeds do not know: B3-5 can only come from the correction.
FIRST = "Les casques Bluetooth se désappairent sans arrêt pendant l'écoute, quelqu'un a une solution ?"
LATER = "Encore les casques Bluetooth qui se désappairent pendant l'écoute en anglais"


@pytest.fixture
async def replay() -> AsyncIterator[Replay]:
    r = Replay()
    try:
        yield r
    finally:
        await r.close()


@pytest.fixture
def held() -> Any:
    executor = HeldExecutor()
    try:
        yield executor
    finally:
        executor.gate.set()
        executor.shutdown(wait=True)


async def tags_of(r: Replay, text: str) -> dict[str, Tag]:
    assert r.app is not None
    async with r.app.db.transaction() as session:
        rows = (await session.execute(select(Tag).join(Post, Post.id == Tag.post_id)
                                      .where(Post.text == text))).scalars().all()
        return {t.code: t for t in rows}


async def test_posts_keep_flowing_while_a_rebuild_runs(replay: Replay, held: HeldExecutor) -> None:
    await replay.run_script(HEAD + f"alice in sos: {FIRST}\n")  # first model: default executor
    assert replay.app is not None
    builds = builds_of(replay.app.core)
    await builds.settled()
    builds.executor = held

    await replay.run_script("fabienne reply: /tag B3-5\n")
    await held.wait_started()  # the rebuild with the correction is in progress, held at the gate
    assert replay.delivered[-1].template == "tagging/tagged"
    assert (await tags_of(replay, FIRST))["B3-5"].source == "trainer"  # the correction applies at once

    # A new question while the rebuild is held: handled, stored, tagged with the previous model,
    # and its SOS acknowledgement goes out.
    before = len(replay.delivered)
    await replay.run_script(f"bruno in sos: {LATER}\n")
    assert "sos/received" in [d.template for d in replay.delivered[before:]]
    assert "B3-5" not in await tags_of(replay, LATER)
    assert builds.building("demo") and held.jobs == 1

    held.gate.set()
    await builds.settled()
    await replay.run_script(f"bruno in general: {LATER} !\n")
    later = await tags_of(replay, f"{LATER} !")
    assert later["B3-5"].source == "model"  # the rebuilt model learnt from the correction
    assert held.jobs == 1  # posts during the build did not start a second one


async def test_start_up_builds_the_referential_model_without_blocking_the_loop(
        c2i2e, held: HeldExecutor) -> None:
    builds = TaggerBuilds(executor=held, shared_models={})
    preparing = asyncio.create_task(builds.prepare([c2i2e]))
    await held.wait_started()
    # The loop is free while the model is being built: other work completes meanwhile.
    served = asyncio.Event()
    asyncio.get_running_loop().call_soon(served.set)
    await served.wait()
    assert not preparing.done()
    held.gate.set()
    await preparing
    assert held.jobs == 1
    builds.start("demo", ("c2i2e", "1.0", 0, 0, 0), c2i2e, [], [])
    assert builds.current("demo", ("c2i2e", "1.0", 0, 0, 0)) is not None  # ready: no build, no wait
    assert held.jobs == 1


async def test_bot_start_up_prepares_the_configured_referentials(replay: Replay) -> None:
    await replay.run_script("space demo referential=crcn\nmember alice\n")
    app = await replay._ensure_app()
    shared = builds_of(app.core).shared(app.core.referentials["crcn"])
    assert shared.done()  # built before any event: the first post does not wait
    await replay.run_script("alice in general: Je fais programmer mes CM1 avec Scratch\n")
    assert "3.4" in await tags_of(replay, "Je fais programmer mes CM1 avec Scratch")


async def test_spaces_without_corrections_share_one_model(c2i2e) -> None:
    builds = TaggerBuilds()

    async def nothing() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        return [], []

    a = await builds.tagger("a", ("c2i2e", "1.0", 0, 0, 0), c2i2e, nothing)
    b = await builds.tagger("b", ("c2i2e", "1.0", 0, 0, 0), c2i2e, nothing)
    assert a is b
    assert a.examples == []


async def test_a_space_with_corrections_gets_its_own_model(c2i2e) -> None:
    builds = TaggerBuilds()

    async def corrections() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        return [(FIRST, "B3-5")], []

    async def nothing() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        return [], []

    meanwhile = await builds.tagger("a", ("c2i2e", "1.0", 1, 0, 7), c2i2e, corrections)
    shared = await builds.tagger("b", ("c2i2e", "1.0", 0, 0, 0), c2i2e, nothing)
    assert meanwhile is shared  # until its own model is built, the space uses the referential's
    await builds.settled()
    own = await builds.tagger("a", ("c2i2e", "1.0", 1, 0, 7), c2i2e, corrections)
    assert own is not shared and own.examples == [(FIRST, "B3-5")]
    assert "B3-5" in [r.code for r in own.tag(LATER)]
    assert "B3-5" not in [r.code for r in shared.tag(LATER)]
    # Same stamp: the cached model, no rebuild.
    assert builds.current("a", ("c2i2e", "1.0", 1, 0, 7)) is own
    assert builds.current("a", ("c2i2e", "1.0", 2, 0, 9)) is None
