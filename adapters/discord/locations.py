"""Which thread a message lives in, remembered for messages seen while running.

The core names every message by the channel it knows (`MessageRef(parent channel, message id)`, the
same channel as the PostCreated), but Discord's API needs the thread that actually holds a reply to
react to it. A bounded memory of "message id → thread id" fills that gap; a message not remembered
(seen before a restart) is looked for in the parent channel, where thread roots live.
"""

from __future__ import annotations

from collections import OrderedDict


class MessageLocations:
    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._where: OrderedDict[int, int] = OrderedDict()

    def remember(self, message_id: int, channel_id: int) -> None:
        self._where[message_id] = channel_id
        self._where.move_to_end(message_id)
        while len(self._where) > self._capacity:
            self._where.popitem(last=False)

    def channel_of(self, message_id: int) -> int | None:
        return self._where.get(message_id)
