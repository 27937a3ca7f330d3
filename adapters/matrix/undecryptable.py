"""Encrypted messages the bot could not decrypt yet: ask for the key, handle them when it comes, else say so.

- Logged with room, sender and event id, never content (there is none to log: it is ciphertext).
- The key is requested from the bot's own other devices (nio) and from the sender's device, which
  answers when it had shared the session with the bot (Element does; the to-device message was lost).
- After each sync the waiting events are tried again: a key that arrived is used at once, and the event
  goes to the core as if it had just been received (late, but once).
- After `key_wait` the author is told once per room and session, in the room (in the thread when the
  message was in one), that the bot could not read it. The event keeps waiting a week in case the key
  still comes. The list survives restarts (kv `matrix:undecrypted`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from nio import AsyncClient, EncryptionError, LocalProtocolError, MegolmEvent

from adapters.matrix.state import UNDECRYPTED, KeyValue
from adapters.matrix.translate import Source, thread_root

log = logging.getLogger(__name__)

KEEP_FOR = timedelta(days=7)
MAX_WAITING = 500


@dataclass
class Waiting:
    room_id: str
    source: Source
    since: str  # ISO timestamp, when the bot first failed to decrypt it
    told: bool = False

    @property
    def event_id(self) -> str:
        return str(self.source.get("event_id", ""))

    @property
    def sender(self) -> str:
        return str(self.source.get("sender", ""))

    @property
    def session_id(self) -> str:
        return str((self.source.get("content") or {}).get("session_id", ""))

    @property
    def thread(self) -> str | None:
        return thread_root(self.source)


class Undecryptable:
    def __init__(self, client: AsyncClient, kv: KeyValue, key_wait: timedelta, now: Callable[[], datetime]) -> None:
        self.client = client
        self.kv = kv
        self.key_wait = key_wait
        self.now = now
        self.waiting: dict[str, Waiting] = {}
        self._loaded = False

    async def load(self) -> None:
        if self._loaded:
            return
        raw = await self.kv.kv_get(UNDECRYPTED)
        for item in json.loads(raw) if raw else []:
            entry = Waiting(**item)
            self.waiting[entry.event_id] = entry
        self._loaded = True

    async def _save(self) -> None:
        await self.kv.kv_set(UNDECRYPTED, json.dumps([asdict(w) for w in self.waiting.values()]))

    async def add(self, room_id: str, source: Source) -> None:
        await self.load()
        entry = Waiting(room_id, source, self.now().isoformat())
        if not entry.event_id or entry.event_id in self.waiting:
            return
        log.warning(
            "matrix: cannot decrypt %s from %s in %s (room key missing); key requested",
            entry.event_id, entry.sender, room_id,
        )
        self.waiting[entry.event_id] = entry
        while len(self.waiting) > MAX_WAITING:
            self.waiting.pop(next(iter(self.waiting)))
        await self._request_key(room_id, source)
        await self._save()

    async def _request_key(self, room_id: str, source: Source) -> None:
        event = _megolm(room_id, source)
        if event is None or self.client.olm is None:
            return
        try:
            await self.client.request_room_key(event)  # to the bot's own other devices
        except LocalProtocolError:
            pass  # already requested for this session
        if event.device_id and self.client.device_id:
            message = event.as_key_request(event.sender, self.client.device_id, device_id=event.device_id)
            await self.client.to_device(message)

    async def retry(self) -> list[tuple[str, Source]]:
        """Events whose key has arrived since: (room id, decrypted source), oldest first."""
        await self.load()
        if not self.waiting or self.client.olm is None:
            return []
        ready: list[tuple[str, Source]] = []
        for event_id, entry in list(self.waiting.items()):
            event = _megolm(entry.room_id, entry.source)
            if event is None:
                self.waiting.pop(event_id)
                continue
            try:
                decrypted = self.client.decrypt_event(event)
            except EncryptionError:
                continue
            self.waiting.pop(event_id)
            log.info("matrix: %s in %s decrypted after its key arrived", event_id, entry.room_id)
            ready.append((entry.room_id, decrypted.source))
        if ready:
            await self._save()
        return ready

    async def overdue(self) -> list[Waiting]:
        """Entries past `key_wait` whose author was not told yet (one per room, sender and session)."""
        await self.load()
        now = self.now()
        due: list[Waiting] = []
        told: set[tuple[str, str, str]] = set()
        changed = False
        for event_id, entry in list(self.waiting.items()):
            since = datetime.fromisoformat(entry.since)
            if now - since > KEEP_FOR:
                self.waiting.pop(event_id)
                changed = True
                continue
            if entry.told or now - since < self.key_wait:
                continue
            entry.told = changed = True
            key = (entry.room_id, entry.sender, entry.session_id)
            if key not in told:
                told.add(key)
                due.append(entry)
        if changed:
            await self._save()
        return due


def _megolm(room_id: str, source: Source) -> MegolmEvent | None:
    event = MegolmEvent.from_dict(source)
    if not isinstance(event, MegolmEvent):
        return None
    event.room_id = room_id
    return event


def is_undecrypted(source: dict[str, Any]) -> bool:
    return source.get("type") == "m.room.encrypted"
