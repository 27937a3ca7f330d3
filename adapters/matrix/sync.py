"""The sync loop: resumable from the database, complete under load, blind to history before the join.

- The sync token is saved in the kv store after each fully handled sync, so a restart resumes there:
  nothing is replayed, nothing posted while the bot was down is missed.
- Synapse sends at most `timeline.limit` events per room per sync; beyond that the timeline is
  `limited` and older events are only reachable through /messages from `prev_batch`. We page back to the
  last event we handled in that room (kept in kv) and hand everything over in order.
- The very first sync (no token yet) replays the rooms' history: its timeline is skipped, only its state
  is read; in a room joined later, events before the bot's own join are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from nio import AsyncClient, InviteInfo, MessageDirection, RoomMessagesResponse, SyncResponse, Timeline

from adapters.matrix import state
from adapters.matrix.state import KeyValue
from adapters.matrix.translate import Source, is_join_of
from bot.redact import redact

log = logging.getLogger(__name__)

LONG_POLL_MS = 30_000
MAX_BACKFILL = 2_000  # events paged back per room per sync: bounded so a lost marker cannot walk forever
MAX_BACKOFF = 60.0


def sync_filter(timeline_limit: int) -> dict[str, Any]:
    return {
        "room": {
            "timeline": {"limit": timeline_limit},
            # Full member lists: display names and "who may invite the bot" need them.
            "state": {"lazy_load_members": False},
            "ephemeral": {"not_types": ["*"]},  # typing and receipts are of no use to the bot
        },
        "presence": {"not_types": ["*"]},
    }


class SyncHandler(Protocol):
    async def on_state(self, response: SyncResponse) -> None:
        """Room state snapshot (first sync of a process): initial power levels, encrypted rooms."""

    async def on_invites(self, invites: dict[str, InviteInfo]) -> None: ...

    async def on_room_events(self, room_id: str, events: list[Source]) -> None:
        """New timeline events of one room, oldest first, history before the bot's join removed.
        With encryption on, nio has already replaced what it could decrypt by the plaintext event."""

    async def after_sync(self, response: SyncResponse) -> None:
        """Once the sync's rooms are handled: key housekeeping, events whose key has just arrived."""


async def _stored(write: Awaitable[None]) -> None:
    """Await a token write; its failure costs only a re-sync from the previous token after a crash."""
    try:
        await write
    except Exception as exc:
        log.warning("matrix: could not store the sync token (%s); the next sync's write carries it", redact(exc))


class SyncLoop:
    def __init__(
        self,
        client: AsyncClient,
        kv: KeyValue,
        handler: SyncHandler,
        *,
        timeline_limit: int = 100,
        long_poll_ms: int = LONG_POLL_MS,
    ) -> None:
        self.client = client
        self.kv = kv
        self.handler = handler
        self.filter = sync_filter(timeline_limit)
        self.long_poll_ms = long_poll_ms
        self.since: str | None = None
        self._full_state = True  # nio keeps room state in memory only: the first sync of a process needs it

    async def start(self) -> None:
        """Resume from the stored token, or take the current position on the very first run."""
        self.since = await self.kv.kv_get(state.SINCE)
        if self.since:
            return
        response = await self._sync(timeout_ms=0)
        self._full_state = False
        await self.handler.on_state(response)
        await self.handler.on_invites(response.rooms.invite)
        for room_id, info in response.rooms.join.items():
            events = info.timeline.events
            if events:
                await self.kv.kv_set(state.last_event(room_id), events[-1].source.get("event_id", ""))
        await self.handler.after_sync(response)
        await self._save(response.next_batch)
        log.info("matrix: first run, history before now ignored")

    async def sync_once(self, timeout_ms: int | None = None) -> None:
        response = await self._sync(self.long_poll_ms if timeout_ms is None else timeout_ms)
        items = await self._handle(response)
        if items:
            await self.kv.kv_set_many(items)

    async def _handle(self, response: SyncResponse) -> dict[str, str] | None:
        """Hand over a sync's events; returns the rooms' markers and the token to store (None: nothing to)."""
        if self._full_state:
            await self.handler.on_state(response)
            self._full_state = False
        await self.handler.on_invites(response.rooms.invite)
        markers: dict[str, str] = {}
        for room_id, info in response.rooms.join.items():
            events = await self._room_events(room_id, info.timeline)
            if not events:
                continue
            await self.handler.on_room_events(room_id, events)
            markers[state.last_event(room_id)] = events[-1].get("event_id", "")
        await self.handler.after_sync(response)
        # One transaction for the rooms' markers and the token, after every event was handled: a crash
        # before it syncs again from the previous token, and the core drops what it already handled.
        self.since = response.next_batch
        if self._only_echoes(response):
            # Nothing but the bot's own messages coming back (after each one it sends): synced again
            # after a crash, they would be skipped again, so the write waits for the next sync's.
            return None
        return {**markers, state.SINCE: response.next_batch}

    def _only_echoes(self, response: SyncResponse) -> bool:
        if response.rooms.invite or response.rooms.leave or response.to_device_events:
            return False
        events = [event.source for info in response.rooms.join.values() for event in info.timeline.events]
        return bool(events) and all(
            source.get("sender") == self.client.user_id and source.get("type") != "m.room.power_levels"
            for source in events
        )

    async def run_forever(self) -> None:
        """Sync until cancelled; a failing homeserver is retried with exponential backoff.

        A sync's token is written while the next long poll is out (the write is a checkpoint: the token
        in memory already moved on, and the events were handled), so the bot listens again at once
        instead of after a database round trip; that write is awaited before the next sync is handled.
        """
        failures = 0
        saving: asyncio.Task[None] | None = None
        try:
            while True:
                try:
                    response = await self._sync(self.long_poll_ms)
                    if saving is not None:
                        done, saving = saving, None
                        await _stored(done)
                    items = await self._handle(response)
                    if items:
                        saving = asyncio.create_task(self.kv.kv_set_many(items), name="matrix sync token")
                    failures = 0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # network down, 5xx, a handler bug: keep the bot alive, retry later
                    failures += 1
                    delay = min(MAX_BACKOFF, 0.5 * 2**failures)
                    log.warning("matrix: sync failed (%s), retrying in %.1fs", redact(exc), delay)
                    await asyncio.sleep(delay)
        finally:
            if saving is not None:  # stopping: the last token is stored before the adapter closes
                await _stored(asyncio.shield(saving))

    async def _sync(self, timeout_ms: int) -> SyncResponse:
        response = await self.client.sync(
            timeout=timeout_ms, sync_filter=self.filter, since=self.since, full_state=self._full_state
        )
        if not isinstance(response, SyncResponse):
            raise RuntimeError(f"sync error: {response}")
        return response

    async def _save(self, token: str) -> None:
        self.since = token
        await self.kv.kv_set(state.SINCE, token)

    async def _room_events(self, room_id: str, timeline: Timeline) -> list[Source]:
        events = [event.source for event in timeline.events]
        # A room joined in this sync may show history from before the join: the bot never saw it live.
        for index in range(len(events) - 1, -1, -1):
            if is_join_of(events[index], self.client.user_id):
                return events[index + 1 :]
        if timeline.limited and timeline.prev_batch:
            marker = await self.kv.kv_get(state.last_event(room_id))
            older = await self._page_back(room_id, timeline.prev_batch, marker)
            log.info("matrix: %s timeline limited, %d older events fetched", room_id, len(older))
            seen = {e.get("event_id") for e in events}
            events = [e for e in older if e.get("event_id") not in seen] + events
            for index in range(len(events) - 1, -1, -1):
                if is_join_of(events[index], self.client.user_id):
                    return events[index + 1 :]
        return events

    async def _page_back(self, room_id: str, token: str, marker: str | None) -> list[Source]:
        """Events older than `token` down to (excluding) `marker`, our join or the room's creation."""
        collected: list[Source] = []
        while len(collected) < MAX_BACKFILL:
            response = await self.client.room_messages(room_id, start=token, direction=MessageDirection.back, limit=100)
            if not isinstance(response, RoomMessagesResponse):
                raise RuntimeError(f"/messages failed in {room_id}: {response}")
            for event in response.chunk:  # newest first
                source = event.source
                if marker and source.get("event_id") == marker:
                    return collected[::-1]
                collected.append(source)
                if is_join_of(source, self.client.user_id) or source.get("type") == "m.room.create":
                    return collected[::-1]
            if not response.chunk or not response.end or response.end == token:
                break
            token = response.end
        return collected[::-1]
