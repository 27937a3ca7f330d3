"""Delivers outbox rows through adapters: in order per conversation, with retry and backoff, once.

A row is claimed (status "sending") in its own short transaction before the platform call and marked
"sent" after it. A crash between the two leaves a "sending" row that start-up puts back to pending: the
adapter receives the outbox id as an idempotency key (Matrix transaction id, Discord nonce), so a resend
is dropped by the platform rather than shown twice.

Order is kept per conversation (thread, channel, DM; bot/outbox_heads.py): a row waiting for a retry
holds back the rows after it in its conversation, and nothing else. Rows are only claimed for adapters
that are registered and ready: rows of an adapter still logging in, or of a platform no longer
configured, wait untried and burn no attempt. A row given up on ("failed") no longer blocks its
conversation; it is kept with its reason, coordinators are told (bot/delivery_failures.py) and
`ticebot outbox retry` puts it back in the queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.database import Database
from bot.db.models import Outbox
from bot.delivery_failures import note_failure
from bot.outbox import payload_to_action
from bot.outbox_heads import due_heads, earliest_head, has_pending
from bot.ports import Adapter, DeliveryFailed, NotAttempted, RetryLater
from bot.redact import redact

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BASE_BACKOFF = 2.0
MAX_BACKOFF = 600.0
CLAIM_BATCH = 20  # rows claimed per transaction (distinct conversations)
NOT_READY_POLL = 5.0  # seconds between two looks at an adapter that is registered but not ready
DELIVER_TIMEOUT = 120.0  # one platform call that hangs longer is abandoned and retried later


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempts - 1)))


class Dispatcher:
    def __init__(self, db: Database, clock: Clock, adapters: Mapping[str, Adapter]) -> None:
        self.db = db
        self.clock = clock
        self.adapters = adapters
        self._sending: dict[str, asyncio.Lock] = {}

    def ready_platforms(self) -> list[str]:
        return [name for name, adapter in self.adapters.items() if getattr(adapter, "ready", True)]

    def own_send_platforms(self) -> list[str]:
        """Ready platforms whose rows an event's transaction may claim and send itself (bot/own_sends.py);
        an adapter opts out with `own_sends = False`."""
        return [name for name in self.ready_platforms() if getattr(self.adapters[name], "own_sends", True)]

    def waiting_platforms(self) -> list[str]:
        """Registered but not ready yet (a gateway still connecting)."""
        return [name for name, adapter in self.adapters.items() if not getattr(adapter, "ready", True)]

    async def recover(self) -> int:
        """Rows left "sending" by a crash go back to pending (at start-up only)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(Outbox).where(Outbox.status == "sending").values(status="pending")
            )
            return result.rowcount or 0

    async def claim(self, limit: int = CLAIM_BATCH) -> list[Outbox]:
        """Mark the due heads of up to `limit` conversations "sending" (one attempt each) and return them."""
        now = self.clock.now()
        if self.db.is_sqlite:
            # Looked at first without the write lock: a pass with nothing due takes none (BEGIN IMMEDIATE
            # would make the sync loop's and the events' writes wait in SQLite's busy handler).
            async with self.db.reading() as session:
                if not await due_heads(session, self.ready_platforms(), now, 1, lock=False):
                    return []
        async with self.db.transaction() as session:
            rows = await due_heads(session, self.ready_platforms(), now, limit, lock=self.db.is_postgres)
            for row in rows:
                row.status = "sending"
                row.attempts += 1
            return rows

    async def deliver_pending(self, limit: int = 1000) -> int:
        """Send what is due, conversation by conversation; returns how many rows were sent."""
        delivered = tried = 0
        while tried < limit:
            rows = await self.claim(min(CLAIM_BATCH, limit - tried))
            if not rows:
                break
            for row in rows:
                tried += 1
                if await self._deliver_one(self.adapters[row.platform], row):
                    delivered += 1
        return delivered

    async def send_claimed(self, rows: list[Outbox]) -> int:
        """Send rows an event's transaction claimed for this instance (bot/own_sends.py), in order;
        returns how many were sent. The outcome is recorded exactly as for rows `claim` returned."""
        delivered = 0
        for row in rows:
            adapter = self.adapters.get(row.platform)
            if adapter is None:  # unregistered since the claim (connection lost): back to the queue, untried
                await self._give_back(row)
            elif await self._deliver_one(adapter, row):
                delivered += 1
        return delivered

    async def _give_back(self, row: Outbox) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(Outbox).where(Outbox.id == row.id, Outbox.status == "sending")
                                  .values(status="pending", attempts=Outbox.attempts - 1))

    async def next_due(self) -> datetime | None:
        """When this dispatcher next has something to try: a conversation's head on a ready adapter, or
        a look at an adapter that is not ready yet. Rows of unregistered platforms do not count (an
        adapter registering wakes the loop)."""
        async with self.db.reading() as session:
            due = await earliest_head(session, self.ready_platforms())
            if await has_pending(session, self.waiting_platforms()):
                poll = self.clock.now() + timedelta(seconds=NOT_READY_POLL)
                due = poll if due is None else min(due, poll)
        return due

    async def calls_done(self, platform: str) -> None:
        """Returns once the platform call in flight to `platform` (an event's own send or the loop's), if
        any, has ended: a stopping adapter waits for it, so no call outlives the client it uses."""
        lock = self._sending.get(platform)
        if lock is not None:
            async with lock:
                pass

    async def _call(self, adapter: Adapter, row: Outbox) -> str | None:
        action = payload_to_action(row.kind, row.payload)
        # One platform call at a time per adapter, as when the dispatcher alone sent: an event's own send
        # and the dispatcher's pass take turns.
        async with self._sending.setdefault(row.platform, asyncio.Lock()):
            return await self._call_now(adapter, row, action)

    async def _call_now(self, adapter: Adapter, row: Outbox, action: Any) -> str | None:
        deliver_with_key = getattr(adapter, "deliver_keyed", None)
        if deliver_with_key is not None:
            return await asyncio.wait_for(deliver_with_key(action, f"ticebot-{row.id}"), DELIVER_TIMEOUT)
        return await asyncio.wait_for(adapter.deliver(action), DELIVER_TIMEOUT)

    async def _deliver_one(self, adapter: Adapter, row: Outbox) -> bool:
        now = self.clock.now()
        status, error, message_id = "sent", None, None
        next_attempt = now
        attempts = row.attempts
        try:
            message_id = await self._call(adapter, row)
        except NotAttempted as exc:
            # The platform was not asked: give the attempt back, so waiting never turns into failing.
            status, error, attempts = "pending", f"not attempted: {redact(exc)}", attempts - 1
            next_attempt = now + timedelta(seconds=exc.retry_after if exc.retry_after is not None else NOT_READY_POLL)
        except RetryLater as exc:
            status, error = "pending", f"retry: {redact(exc)}"
            delay = exc.retry_after if exc.retry_after is not None else backoff(attempts)
            next_attempt = now + timedelta(seconds=delay)
            if attempts >= MAX_ATTEMPTS:
                status = "failed"
        except DeliveryFailed as exc:
            status, error = "failed", redact(exc)
        except Exception as exc:  # an adapter bug must not stop the bot; the row is retried later
            log.exception("adapter %s failed on outbox %s", row.platform, row.id)
            # The type only: an unexpected error's text may quote the message being sent.
            status, error = "pending", type(exc).__name__
            next_attempt = now + timedelta(seconds=backoff(attempts))
            if attempts >= MAX_ATTEMPTS:
                status = "failed"
        async def record(session: AsyncSession) -> None:
            await session.execute(
                update(Outbox)
                .where(Outbox.id == row.id)
                .values(
                    status=status,
                    attempts=attempts,
                    last_error=error,
                    next_attempt_at=next_attempt,
                    sent_at=now if status == "sent" else None,
                    failed_at=now if status == "failed" else None,
                    platform_message_id=message_id,
                )
            )
            if status == "failed":
                row.status, row.last_error = status, error
                await note_failure(session, row, now)

        # Retried when the connection drops: the platform call is made, and a row left "sending" would
        # wait for the next start-up and then be sent a second time.
        await self.db.run_with_retry(record)
        if status == "failed":
            log.error("outbox %s (%s, %s) abandoned after %d attempts: %s", row.id, row.kind, row.template,
                      attempts, error)
        return status == "sent"
