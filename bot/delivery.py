"""Delivers outbox rows through adapters: in order per platform, with retry and backoff, once.

A row is claimed (status "sending") in its own short transaction before the platform call and marked
"sent" after it. A crash between the two leaves a "sending" row that start-up puts back to pending: the
adapter receives the outbox id as an idempotency key (Matrix transaction id), so a resend is dropped
by the platform rather than shown twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import select, update

from bot.clock import Clock
from bot.db.database import Database
from bot.db.models import Outbox
from bot.outbox import payload_to_action
from bot.ports import Adapter, DeliveryFailed, NotAttempted, RetryLater
from bot.redact import redact

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BASE_BACKOFF = 2.0
MAX_BACKOFF = 600.0


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempts - 1)))


class Dispatcher:
    def __init__(self, db: Database, clock: Clock, adapters: Mapping[str, Adapter]) -> None:
        self.db = db
        self.clock = clock
        self.adapters = adapters

    async def recover(self) -> int:
        """Rows left "sending" by a crash go back to pending (at start-up only)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(Outbox).where(Outbox.status == "sending").values(status="pending")
            )
            return result.rowcount or 0

    async def _claim(self, platform: str) -> Outbox | None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            query = (
                select(Outbox)
                .where(Outbox.platform == platform, Outbox.status == "pending")
                .order_by(Outbox.id)
                .limit(1)
            )
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            row = (await session.execute(query)).scalar_one_or_none()
            # Order matters in a thread: if the oldest pending row waits for a retry, later rows wait too.
            if row is None or row.next_attempt_at > now:
                return None
            row.status = "sending"
            row.attempts += 1
            return row

    async def deliver_pending(self, limit: int = 1000) -> int:
        delivered = 0
        for platform, adapter in self.adapters.items():
            while delivered < limit:
                row = await self._claim(platform)
                if row is None:
                    break
                if await self._deliver_one(adapter, row):
                    delivered += 1
                else:
                    break
        return delivered

    async def _deliver_one(self, adapter: Adapter, row: Outbox) -> bool:
        action = payload_to_action(row.kind, row.payload)
        now = self.clock.now()
        status, error, message_id = "sent", None, None
        next_attempt = now
        attempts = row.attempts
        try:
            deliver_with_key = getattr(adapter, "deliver_keyed", None)
            if deliver_with_key is not None:
                message_id = await deliver_with_key(action, f"ticebot-{row.id}")
            else:
                message_id = await adapter.deliver(action)
        except RetryLater as exc:
            status, error = "pending", f"retry: {redact(exc)}"
            delay = exc.retry_after if exc.retry_after is not None else backoff(row.attempts)
            next_attempt = now + timedelta(seconds=delay)
            if isinstance(exc, NotAttempted):
                attempts -= 1  # never tried: the attempt given back keeps the row from ever failing on it
            elif row.attempts >= MAX_ATTEMPTS:
                status = "failed"
        except DeliveryFailed as exc:
            status, error = "failed", redact(exc)
        except Exception as exc:  # an adapter bug must not stop the bot; the row is retried later
            log.exception("adapter %s failed on outbox %s", row.platform, row.id)
            # The type only: an unexpected error's text may quote the message being sent.
            status, error = "pending", type(exc).__name__
            next_attempt = now + timedelta(seconds=backoff(row.attempts))
            if row.attempts >= MAX_ATTEMPTS:
                status = "failed"
        async with self.db.transaction() as session:
            await session.execute(
                update(Outbox)
                .where(Outbox.id == row.id)
                .values(
                    status=status,
                    attempts=attempts,
                    last_error=error,
                    next_attempt_at=next_attempt,
                    sent_at=now if status == "sent" else None,
                    platform_message_id=message_id,
                )
            )
        if status == "failed":
            log.error("outbox %s (%s) abandoned after %d attempts", row.id, row.kind, row.attempts)
        return status == "sent"
