"""The asker's ✅ on the bot's acknowledgement that carried FAQ suggestions resolves the question "par
la FAQ" through the Matrix adapter, not only in the console replay: the bot's message goes out through
the real adapter (a recording nio-shaped client instead of a homeserver), and the m.reaction a client
sends, an m.annotation on the event id the homeserver gave that message (the id the outbox recorded,
`outbox.platform_message_id`), reaches the real core as a reaction on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from matrix_fakes import BOT, FakeClient, message
from sqlalchemy import select

from adapters.matrix import MatrixAdapter
from adapters.matrix.state import MemoryKeyValue
from bot.app import TicebotApp
from bot.clock import FakeClock
from bot.config import MatrixConfig, Settings, SpaceConfig
from bot.db import models

SOS = "!sos:hs"
START = datetime(2026, 9, 14, 7, 0, tzinfo=UTC)


def reaction(event_id: str, sender: str, target: str, key: str = "✅") -> dict[str, Any]:
    """A raw m.reaction source as a client sends it (Element's ✅ is an annotation on the message)."""
    return {
        "type": "m.reaction",
        "event_id": event_id,
        "sender": sender,
        "origin_server_ts": 1_757_235_600_000,
        "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}},
    }


def in_thread(root: str) -> dict[str, Any]:
    return {"rel_type": "m.thread", "event_id": root}


class Bot:
    def __init__(self, app: TicebotApp, adapter: MatrixAdapter, client: FakeClient, clock: FakeClock) -> None:
        self.app, self.adapter, self.client, self.clock = app, adapter, client, clock

    async def see(self, *sources: dict[str, Any]) -> None:
        """Events arriving from a sync of the SOS room, then a sweep/delivery pass."""
        await self.adapter.on_room_events(SOS, list(sources))
        await self.app.run_once()

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.app.db.transaction() as session:
            return list((await session.execute(select(model).where(*where).order_by(model.id))).scalars())


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    settings = Settings(
        matrix=MatrixConfig(homeserver="http://hs", user_id=BOT),
        spaces=[SpaceConfig(id="gfp", referential="c2i2e", matrix={"sos": SOS})],
    )
    clock = FakeClock(START)
    app = await TicebotApp.create(settings, clock=clock, database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    client = FakeClient()
    client.room(SOS, "@alice:hs", "@bruno:hs")
    adapter = MatrixAdapter(settings, MemoryKeyValue(), app.submit, client=client, now=clock.now)  # type: ignore[arg-type]
    app.register_adapter(adapter)
    try:
        yield Bot(app, adapter, client, clock)
    finally:
        await app.close()


async def test_the_askers_checkmark_on_the_suggestions_resolves_by_faq(bot: Bot) -> None:
    # September: Alice's question, answered by Bruno in its thread, ticked by Alice.
    await bot.see(message("$q1", "@alice:hs", "Mon TNI ne reconnaît plus le stylet depuis la mise à jour, que faire ?"))
    await bot.see(
        message(
            "$r1",
            "@bruno:hs",
            "Ouvre le logiciel du tableau, menu Paramètres puis Calibrage, et touche les cinq croix.",
            in_thread("$q1"),
        ),
        reaction("$x1", "@alice:hs", "$r1"),
    )
    bot.clock.advance(timedelta(days=20))

    # October: Bruno asks the same thing; the acknowledgement in his thread suggests Alice's thread.
    await bot.see(
        message("$q2", "@bruno:hs", "Le stylet de mon tableau blanc interactif ne marche plus du tout, une idée ?")
    )
    ack_row = [r for r in await bot.rows(models.Outbox) if r.template == "sos/received"][-1]
    assert ack_row.status == "sent" and ack_row.platform_message_id
    (ack,) = [s for i, s in enumerate(bot.client.sent) if f"$sent{i}" == ack_row.platform_message_id]
    assert ack.room_id == SOS and ack.content["m.relates_to"]["event_id"] == "$q2"  # in Bruno's thread
    assert "Mon TNI ne reconnaît plus le stylet" in ack.content["body"]

    # Alice (not the asker) reacts first: nothing. Then Bruno's ✅ on that very event.
    await bot.see(reaction("$x2", "@alice:hs", ack_row.platform_message_id))
    (question,) = await bot.rows(models.Question, models.Question.thread_root_id == "$q2")
    assert question.status == "open"
    await bot.see(reaction("$x3", "@bruno:hs", ack_row.platform_message_id))

    (question,) = await bot.rows(models.Question, models.Question.thread_root_id == "$q2")
    assert (question.status, question.resolution, question.answered_at) == ("resolved", "faq", None)
    (said,) = [r for r in await bot.rows(models.Outbox) if r.template == "faq/resolved_by_faq"]
    assert said.status == "sent"
    (sent,) = [s for i, s in enumerate(bot.client.sent) if f"$sent{i}" == said.platform_message_id]
    assert sent.content["m.relates_to"]["event_id"] == "$q2"  # told in Bruno's thread
