"""What every adapter offers the core, and how it reports delivery trouble.

An adapter translates platform events into core events (handing them to an EventSink) and core actions
into platform calls (`deliver`). It decides nothing: roles, deadlines and permissions live in the core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.actions import CoreAction
from bot.events import CoreEvent

EventSink = Callable[[CoreEvent], Awaitable[None]]


class RetryLater(Exception):
    """Transient failure (rate limit, server down): the outbox retries after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotAttempted(RetryLater):
    """The platform was not asked at all (not connected yet) or told us when to come back (a rate
    limit): retry after `retry_after`, and do not count it as a failed attempt, so a long outage or a
    rate-limit storm never turns queued messages into failed ones."""


class DeliveryFailed(Exception):
    """Permanent failure (room gone, DMs closed with no fallback): recorded, not retried."""


class Adapter(Protocol):
    """`platform` names the outbox rows it delivers. An adapter may also have a `ready` attribute: while
    it is False the dispatcher leaves its rows queued (untried, no attempt counted) and looks again
    every few seconds. An adapter is only registered with the app once it can be asked at all.
    `own_sends = False` leaves all its rows to the dispatcher (bot/own_sends.py: by default an event's
    replies that head their conversation are sent by the event itself)."""

    platform: str

    async def deliver(self, action: CoreAction) -> str | None:
        """Perform the action; return the platform id of the message sent, if any."""
        ...
