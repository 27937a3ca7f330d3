"""The running bot: database, core, delivery and the sweep loop, with adapters plugged in.

No per-question timers live in memory: the loop sleeps until the earliest due time stored in the
database (or a minute at most), and any new event wakes it up.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import Core
from bot.db import kv
from bot.db.database import Database
from bot.db.models import Space
from bot.delivery import Dispatcher
from bot.events import CoreEvent
from bot.limits import use_limits
from bot.own_sends import OwnSends
from bot.ports import Adapter
from bot.registry import Registry
from bot.sweep import any_due

log = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 60.0


class TicebotApp:
    def __init__(self, settings: Settings, db: Database, clock: Clock, registry: Registry | None = None) -> None:
        self.settings = settings
        use_limits(settings.limits)
        self.db = db
        self.clock = clock
        self.core = Core(db, clock, default_language=settings.bot.language, registry=registry,
                         default_timezone=settings.bot.timezone)
        self.adapters: dict[str, Adapter] = {}
        self.dispatcher = Dispatcher(db, clock, self.adapters)
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: set[asyncio.Task[Any]] = set()  # events being handled, replies being sent
        self._sending: set[asyncio.Task[Any]] = set()  # replies being sent
        self._closed = False

    @classmethod
    async def create(
        cls, settings: Settings, clock: Clock | None = None, database_url: str | None = None,
        registry: Registry | None = None,
    ) -> TicebotApp:
        db = Database(database_url or settings.database.url)
        await db.create_schema()
        app = cls(settings, db, clock or SystemClock(), registry)
        app.core.referentials  # noqa: B018  (load and validate referentials now: refuse to start if broken)
        for space in settings.spaces:
            if space.referential not in app.core.referentials:
                from bot.config import ConfigError

                known = ", ".join(sorted(app.core.referentials))
                raise ConfigError(f"espace « {space.id} » : référentiel inconnu « {space.referential} » "
                                  f"(disponibles : {known})")
        await app.core.sync_spaces(settings.spaces)
        for hook in app.core.registry.startup_hooks:
            await hook(app.core)
        await app.dispatcher.recover()
        return app

    def register_adapter(self, adapter: Adapter) -> None:
        """From now on the adapter's rows are delivered (it is logged in); the loop looks at once."""
        self.adapters[adapter.platform] = adapter
        self._wake.set()

    def unregister_platform(self, platform: str) -> None:
        """The connection is gone (the supervisor restarts it): its rows wait, untried, meanwhile."""
        self.adapters.pop(platform, None)

    def wake(self) -> None:
        """Run a pass now (an adapter became ready, an operator put rows back in the queue, another
        instance queued rows for our adapters)."""
        self._wake.set()

    async def next_due(self) -> datetime | None:
        """The earliest time the loop has work: a step due, or a conversation that may send again."""
        steps = await self.core.next_due(platforms=())
        rows = await self.dispatcher.next_due()
        candidates = [t for t in (steps, rows) if t is not None]
        return min(candidates) if candidates else None

    async def submit(self, event: CoreEvent) -> bool:
        """Handle an event from an adapter. The handling runs to its commit even if the caller is
        cancelled (a client library stopping, SIGTERM): `close` waits for it, so no transaction is cut
        in the middle and no half-reset connection is left to the pool."""
        if self._closed:
            log.warning("event %s arrived after shutdown began; not handled (the platform redelivers it)",
                        event.event_id)
            return False
        task = asyncio.create_task(self._handle(event), name=f"event {event.event_id}")
        self._track(task)
        return await asyncio.shield(task)

    async def _handle(self, event: CoreEvent) -> bool:
        own = OwnSends(self.dispatcher.own_send_platforms())
        handled = await self.core.handle(event, own)
        if own.rows:
            # Sent now, next to the caller: an adapter's event loop (the Matrix sync) goes on handling
            # events and long-polling meanwhile, as it did while the dispatcher sent; a slow platform
            # call holds up this reply's conversation, not the next events.
            self._track(asyncio.create_task(self._send_own(event, own.rows, own.loop_needed),
                                            name=f"replies of {event.event_id}"), sending=True)
        else:
            self._wake.set()
        return handled

    async def _send_own(self, event: CoreEvent, rows: list[Any], loop_needed: bool) -> None:
        """Rows the event's transaction claimed (bot/own_sends.py), sent without the loop's next pass; the
        loop is woken after for what the event queued behind them, the steps it scheduled and a send that
        did not go (its retry time). With none of these its pass (four reads) would find nothing."""
        sent = 0
        try:
            sent = await self.dispatcher.send_claimed(rows)
        except Exception:  # the event is stored; a row left "sending" is recovered at start-up
            log.exception("event %s: sending its replies failed", event.event_id)
        finally:
            if loop_needed or sent < len(rows):
                self._wake.set()

    def _track(self, task: asyncio.Task[Any], sending: bool = False) -> None:
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        if sending:
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def settle(self) -> None:
        """Wait until the replies events are sending by themselves are sent (or given back to the queue)."""
        while self._sending:
            await asyncio.wait(set(self._sending))

    async def run_once(self, now: datetime | None = None) -> tuple[int, int]:
        # Events' own replies first: a pass sees their conversations settled, not half-sent.
        await self.settle()
        # What an event just queued goes out before the sweep runs: a reply's latency is not a sweep's
        # round trips. What the sweep fires goes out in the same pass.
        sent = await self.dispatcher.deliver_pending()
        now = now or self.clock.now()
        # SQLite: the sweep's transaction takes the write lock even with nothing due; looking first
        # leaves the lock to the sync loop and the events of a pass that has nothing to fire.
        fired = await self.core.sweep(now) if not self.db.is_sqlite or await any_due(self.db, now) else 0
        if fired:
            sent += await self.dispatcher.deliver_pending()
        return fired, sent

    async def run_forever(self) -> None:
        while not self._stopping:
            # Cleared before the pass, not after: an event submitted during the pass still wakes the next one.
            self._wake.clear()
            try:
                await self.run_once()
            except Exception:  # keep the promise running; the next pass retries what failed
                log.exception("sweep/delivery pass failed")
            await self.idle(await self.idle_seconds())

    async def idle_seconds(self) -> float:
        """How long the loop may sleep: until the earliest due time stored, a minute at most."""
        due = await self._safe_next_due()
        if due is None:
            return MAX_IDLE_SECONDS
        return max(0.0, min(MAX_IDLE_SECONDS, (due - self.clock.now()).total_seconds()))

    async def idle(self, seconds: float) -> None:
        """Sleep `seconds`, or less when woken (a new event, an adapter registered, stop)."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _safe_next_due(self) -> datetime | None:
        try:
            return await self.next_due()
        except Exception:
            log.exception("could not read the next due time")
            return None

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def kv_get(self, key: str) -> str | None:
        async with self.db.reading() as session:
            value: str | None = (await session.execute(kv.GET, {"key": key})).scalar_one_or_none()
            return value

    async def kv_get_many(self, keys: list[str]) -> dict[str, str]:
        async with self.db.reading() as session:
            found = await session.execute(kv.GET_MANY, {"keys": list(keys)})
            return {key: value for key, value in found.all()}

    async def kv_set(self, key: str, value: str) -> None:
        await self.kv_set_many({key: value})

    async def kv_set_many(self, items: dict[str, str]) -> None:
        if not items:
            return
        async with self.db.transaction() as session:
            await session.execute(kv.UPSERT, [{"key": key, "value": value} for key, value in items.items()])

    def referential_for(self, space_id: str) -> Any:
        return self.core.referential_for(self.settings.space(space_id))

    def space_for_guild(self, guild_id: str) -> str | None:
        for space in self.settings.spaces:
            if str(space.discord.get("guild", "")) == str(guild_id):
                return space.id
        return None

    async def space_ids(self) -> list[str]:
        async with self.db.transaction() as session:
            return list((await session.execute(select(Space.id).order_by(Space.id))).scalars())

    async def close(self, grace: float = 10.0) -> None:
        """Stop the loop, let the events being handled commit (and their replies go out), then close
        the database."""
        self.stop()
        self._closed = True
        deadline = asyncio.get_running_loop().time() + grace
        # Looked at again after each wait: an event that commits starts the sending of its replies.
        while self._in_flight:
            left = deadline - asyncio.get_running_loop().time()
            _done, hanging = await asyncio.wait(set(self._in_flight), timeout=max(0.0, left))
            if hanging and asyncio.get_running_loop().time() >= deadline:
                log.warning("%d event(s) still being handled after %.0fs; closing anyway", len(hanging), grace)
                break
        await self.db.dispose()


def utcnow() -> datetime:
    return datetime.now(UTC)
