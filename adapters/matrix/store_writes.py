"""nio's olm store is written after every sync with the rooms that sync found encrypted, even when it
found none: with its peewee store that is a rebind of every model and an account read, synchronous on the
event loop, ≈ 2 ms per sync for nothing (two syncs per message the bot answers: the message, its echo).
An empty set is skipped; a room that turns encrypted is still written in the sync that shows it."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any


def skip_empty_room_saves(client: Any) -> None:
    """After login (nio opens its store there); harmless without encryption (no store) or when repeated."""
    store = getattr(client, "store", None)
    if store is None or getattr(store, "_ticebot_skips_empty", False):
        return
    save: Callable[[Collection[str]], None] = store.save_encrypted_rooms

    def save_found(rooms: Collection[str]) -> None:
        if rooms:
            save(rooms)

    store.save_encrypted_rooms = save_found
    store._ticebot_skips_empty = True
