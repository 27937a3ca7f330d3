"""Two bots on one database (issue 17): what each Core keeps in memory never makes the other wrong.

Roles are read from the database in every event: a formateur demoted through one instance can no
longer validate through the other, although that other instance has already served her.
"""

from __future__ import annotations

from core_support import RecordingAdapter, make_app, user
from sqlalchemy import select

from bot.config import SpaceConfig
from bot.db.models import Declaration
from bot.events import MemberRolesChanged, PostCreated
from bot.refs import ChannelRef, MessageRef, ThreadRef

GENERAL = ChannelRef("console", "general")


def post(event_id: str, who: str, text: str, thread: str | None = None) -> PostCreated:
    return PostCreated(event_id, user(who), GENERAL, MessageRef(GENERAL, event_id), text,
                       thread=ThreadRef(GENERAL, thread) if thread else None)


async def states(app) -> list[str]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        return [d.state for d in (await s.execute(select(Declaration).order_by(Declaration.id))).scalars()]


async def test_demoted_in_one_instance_cannot_validate_in_the_other(database_url: str) -> None:
    config = SpaceConfig(id="demo", referential="c2i2e", roles={"member": ["console:alice"]})
    first, _, clock = await make_app(database_url, config=config)
    second, seen, _ = await make_app(database_url, clock=clock, config=config, adapter=RecordingAdapter())
    try:
        for app in (first, second):
            await app.core.register_channel("demo", GENERAL, "general", "general")
        await second.core.handle(post("hello", "fabienne", "Bonjour à tous"))  # the second instance knows her

        await first.core.handle(MemberRolesChanged("promote", user("fabienne"), "demo", frozenset({"trainer"})))
        await first.core.handle(post("d1", "alice", "/declare A1-1 https://exemple.org/trace"))
        await second.core.handle(post("v1", "fabienne", "/valider Bravo", thread="d1"))
        assert await states(second) == ["validated"]  # the promotion made in the first instance counts

        await first.core.handle(MemberRolesChanged("demote", user("fabienne"), "demo", frozenset()))
        await first.core.handle(post("d2", "alice", "/declare A1-2 https://exemple.org/trace2"))
        seen.sent.clear()
        await second.core.handle(post("v2", "fabienne", "/valider Bravo", thread="d2"))
        await second.run_once()
        assert await states(second) == ["validated", "declared"]
        refusals = [a for a in seen.core_sent() if getattr(a, "template", "") == "declarations/refuse_role"]
        assert refusals, seen.templates()
    finally:
        await second.close()
        await first.close()
