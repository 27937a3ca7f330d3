"""Double of Discord's permission answers (Discord docs, Topics → Opcodes and Status Codes → JSON Error
Codes; Topics → Permissions):

- a channel the bot cannot see at all (no VIEW_CHANNEL): every request on it, reads included, answers
  403, code 50001 (Missing Access);
- a channel the bot sees but may not write in (no SEND_MESSAGES, ADD_REACTIONS…): writes answer 403,
  code 50013 (Missing Permissions);
- a person who closed their DMs (or blocked the bot, or shares no server): a DM answers 403, code 50007
  (Cannot send messages to this user) — `closed_dms` in the API;
- MANAGE_THREADS, which the bot is invited with (README), may be withdrawn per channel to test locked
  threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, dict[str, Any]]
MISSING_ACCESS: Answer = (403, {"code": 50001, "message": "Missing Access"})
MISSING_PERMISSIONS: Answer = (403, {"code": 50013, "message": "Missing Permissions"})
DMS_CLOSED: Answer = (403, {"code": 50007, "message": "Cannot send messages to this user"})


@dataclass
class Permissions:
    hidden: set[int] = field(default_factory=set)  # channels without VIEW_CHANNEL
    read_only: set[int] = field(default_factory=set)  # channels without SEND_MESSAGES / ADD_REACTIONS
    no_manage_threads: set[int] = field(default_factory=set)

    def check(self, method: str, channel_id: int, parent_id: int | None = None) -> Answer | None:
        """None when the bot may do `method` on the channel (a thread inherits its parent's rights)."""
        places = {channel_id} | ({parent_id} if parent_id else set())
        if places & self.hidden:
            return MISSING_ACCESS
        if method != "GET" and places & self.read_only:
            return MISSING_PERMISSIONS
        return None

    def may_manage_threads(self, channel_id: int, parent_id: int | None = None) -> bool:
        return not ({channel_id} | ({parent_id} if parent_id else set())) & self.no_manage_threads
