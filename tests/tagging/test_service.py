"""Tagging inside the bot, through console replay scripts: stored tags, /tag, /untag, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from adapters.console.replay import Replay
from bot.db.models import Post, Tag
from bot.tagging.builds import builds_of
from bot.tagging.cli import tagging_app
from bot.tagging.service import tagging_on_post
from bot.wiring import build_registry

HEAD = """\
space demo referential=c2i2e
member alice
member bruno
formateur fabienne
"""

# Vocabulary the referential and the seeds do not know, so B3-5 can only come from the correction.
FIRST = "Les casques Bluetooth se désappairent sans arrêt pendant l'écoute, quelqu'un a une solution ?"
LATER = "Encore les casques Bluetooth qui se désappairent pendant l'écoute en anglais"


@pytest.fixture
async def replay() -> AsyncIterator[Replay]:
    r = Replay()
    try:
        yield r
    finally:
        await r.close()


async def tags_of(r: Replay, text: str) -> dict[str, Tag]:
    assert r.app is not None
    async with r.app.db.transaction() as session:
        rows = (
            await session.execute(select(Tag).join(Post, Post.id == Tag.post_id).where(Post.text == text))
        ).scalars().all()
        return {t.code: t for t in rows}


def templates(r: Replay) -> list[str]:
    return [d.template for d in r.delivered]


async def rebuilt(r: Replay) -> None:
    """Wait for the tagger rebuild a correction started (it runs off the event loop)."""
    assert r.app is not None
    await builds_of(r.app.core).settled()


def test_tagging_runs_before_sos() -> None:
    observers = build_registry().post_observers
    sos_positions = [i for i, fn in enumerate(observers) if fn.__module__.startswith("bot.sos")]
    assert sos_positions and all(observers.index(tagging_on_post) < i for i in sos_positions)


async def test_explicit_code_in_sos_post(replay: Replay) -> None:
    text = "Une idée de séance pour travailler la #B2-3 avec des 6e ?"
    await replay.run_script(HEAD + f"alice in sos: {text}\n")
    tags = await tags_of(replay, text)
    assert tags["B2-3"].source == "explicit"
    assert tags["B2-3"].score == 1.0
    assert tags["B2-3"].referential_id == "c2i2e"
    assert tags["B2-3"].referential_version == "1.0"
    assert tags["B2-3"].space_id == "demo"
    assert "sos/received" in templates(replay)  # the SOS question still opened


async def test_model_tags_are_stored_with_scores(replay: Replay) -> None:
    text = "Le vidéoprojecteur est tombé en panne en plein cours, il me faut un plan B"
    await replay.run_script(HEAD + f"alice in general: {text}\n")
    tags = await tags_of(replay, text)
    assert "B3-5" in tags
    assert tags["B3-5"].source == "model"
    assert 0 < tags["B3-5"].score <= 1


async def test_commands_and_dms_are_not_tagged(replay: Replay) -> None:
    await replay.run_script(HEAD + "alice dm: le vidéoprojecteur est en panne #B3-5\n"
                            "alice in general: /aide\n")
    assert replay.app is not None
    async with replay.app.db.transaction() as session:
        assert (await session.execute(select(Tag))).scalars().all() == []


async def test_trainer_tag_teaches_the_model_and_untag_removes(replay: Replay) -> None:
    await replay.run_script(HEAD + f"alice in sos: {FIRST}\n")
    assert "B3-5" not in await tags_of(replay, FIRST)

    await replay.run_script("fabienne reply: /tag B3-5\n")
    tags = await tags_of(replay, FIRST)
    assert tags["B3-5"].source == "trainer" and not tags["B3-5"].removed
    assert replay.delivered[-1].template == "tagging/tagged"
    await rebuilt(replay)

    await replay.run_script(f"bruno in sos: {LATER}\n")
    later = await tags_of(replay, LATER)
    assert "B3-5" in later and later["B3-5"].source == "model"

    await replay.run_script("thread 1\nfabienne reply: /untag B3-5\n")
    tags = await tags_of(replay, FIRST)
    assert tags["B3-5"].removed
    assert replay.delivered[-1].template == "tagging/untagged"
    await rebuilt(replay)
    # The removal is a lesson too: the same post again no longer gets B3-5 from the model.
    await replay.run_script(f"bruno in general: {LATER} !\n")
    assert "B3-5" not in await tags_of(replay, f"{LATER} !")


async def test_untag_a_model_tag(replay: Replay) -> None:
    text = "Le vidéoprojecteur est tombé en panne en plein cours, il me faut un plan B"
    await replay.run_script(HEAD + f"alice in general: {text}\nfabienne reply: /untag B3-5 A1-1\n")
    tags = await tags_of(replay, text)
    assert tags["B3-5"].removed and tags["B3-5"].source == "model"
    last = replay.delivered[-1]
    assert last.template == "tagging/untagged" and "A1-1" in last.text


async def test_member_is_refused(replay: Replay) -> None:
    await replay.run_script(HEAD + f"alice in sos: {FIRST}\nbruno reply: /tag B3-5\n")
    assert replay.delivered[-1].template == "tagging/refused"
    tags = await tags_of(replay, FIRST)
    assert all(t.source != "trainer" for t in tags.values())


async def test_unknown_code_gets_suggestions(replay: Replay) -> None:
    await replay.run_script(HEAD + f"alice in sos: {FIRST}\nfabienne reply: /tag B3-5 B3-9\n")
    last = replay.delivered[-1]
    assert last.template == "tagging/unknown_code"
    assert "B3-9" in last.text and "B3-" in last.text.split("B3-9", 1)[1]
    assert "B3-5" not in await tags_of(replay, FIRST)  # nothing applied when one code is wrong


async def test_tag_needs_a_thread_and_a_code(replay: Replay) -> None:
    await replay.run_script(HEAD + "fabienne in general: /tag B3-5\n")
    assert replay.delivered[-1].template == "tagging/no_thread"
    await replay.run_script(f"alice in sos: {FIRST}\nfabienne reply: /tag\n")
    assert replay.delivered[-1].template == "tagging/usage"


async def test_crcn_space_and_english(replay: Replay) -> None:
    script = ("space crcn referential=crcn lang=en\nmember alice\nformateur fabienne\n"
              "alice in sos: Je fais programmer mes CM1 avec Scratch\nfabienne reply: /tag 3.4 2.3\n")
    await replay.run_script(script)
    tags = await tags_of(replay, "Je fais programmer mes CM1 avec Scratch")
    assert tags["3.4"].source == "trainer" and tags["2.3"].source == "trainer"
    assert tags["3.4"].referential_id == "crcn"
    assert "Noted" in replay.delivered[-1].text


def test_retrain_cli(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"

    async def prepare() -> None:
        r = Replay(database_url=url)
        try:
            await r.run_script(HEAD + f"alice in sos: {FIRST}\nfabienne reply: /tag B3-5 B3-4\n"
                               "fabienne reply: /untag B3-4\n")
        finally:
            await r.close()

    asyncio.run(prepare())  # the CLI runs its own event loop
    result = CliRunner().invoke(tagging_app, ["retrain", "--database", url])
    assert result.exit_code == 0, result.output
    assert "demo: c2i2e 1.0 — 1 corrections, 1 removals, 1 codes learned" in result.output
