"""Helpers for the FAQ tests: a September thread resolved by a formateur, replayed on a chosen database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select

from adapters.console.adapter import Delivered
from adapters.console.replay import Replay

TEAM = """
space lettres referential=c2i2e delay=4d {options}
member alice
member bruno
member chloe
tutor thomas
trainer fabienne
coordinator claire
"""

# Thread 1 (m1): resolved in September by fabienne's answer, ticked by alice.
SEPTEMBER = """
at 2026-09-14T09:00
alice in sos: Mon TNI ne reconnaît plus le stylet depuis la mise à jour, que faire ?
+2h
fabienne reply: Ouvre le logiciel du tableau, menu Paramètres puis Calibrage, et touche les cinq croix.
alice react ✅
"""

OCTOBER_ASK = """
at 2026-10-05T10:00
chloe in sos: Le stylet de mon tableau blanc interactif ne marche plus du tout, une idée ?
"""


def team(options: str = "") -> str:
    return TEAM.format(options=options)


@asynccontextmanager
async def replay(database_url: str, script: str) -> AsyncIterator[Replay]:
    run = Replay(database_url=database_url)
    try:
        await run.run_script(script)
        yield run
    finally:
        await run.close()


def sent(run: Replay, template: str | None = None) -> list[Delivered]:
    return [d for d in run.delivered if d.template and not d.template.startswith("privacy/")
            and (template is None or d.template == template)]


async def rows(run: Replay, model: type, *where: Any) -> list[Any]:
    assert run.app is not None
    async with run.app.db.transaction() as session:
        query = select(model).where(*where) if where else select(model)
        return list((await session.execute(query)).scalars())


class HeldExecutor(ThreadPoolExecutor):
    """A real one-thread executor whose jobs wait at a gate the test opens (no timing involved)."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.gate = threading.Event()
        self.started = threading.Event()
        self.jobs = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def held() -> Any:
            self.jobs += 1
            self.started.set()
            # Bounded so a failing test cannot leave a thread hanging the interpreter's exit.
            self.gate.wait(timeout=120)
            return fn(*args, **kwargs)

        return super().submit(held)

    async def wait_started(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.started.wait, 120)
