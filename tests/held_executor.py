"""A real one-thread executor whose jobs wait at a gate the test opens (no timing involved)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class HeldExecutor(ThreadPoolExecutor):
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
