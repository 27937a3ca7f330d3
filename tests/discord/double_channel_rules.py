"""Double of what Discord lets a bot write where (Discord docs, Resources → Channel, Topics → Threads):

- a forum (type 15) or media (type 16) channel takes no plain message: only thread creation
  (`POST /channels/{forum}/threads` with a starter `message`); a message answers 400, code 40058
  (Cannot send messages in a forum channel);
- an archived thread takes no message and no edit, except one that unarchives it (`archived: false`):
  400, code 50083 (Operation cannot be performed on an archived thread);
- a locked thread can be unarchived, and written to, only with MANAGE_THREADS: else 403, code 50013
  (unarchive) or 160005 (Thread is locked).
"""

from __future__ import annotations

from typing import Any

FORUM_TYPES = (15, 16)
THREAD_TYPES = (10, 11, 12)

Answer = tuple[int, dict[str, Any]]
ARCHIVED: Answer = (400, {"code": 50083, "message": "Operation cannot be performed on an archived thread"})


def _meta(channel: dict[str, Any]) -> dict[str, Any]:
    return channel.get("thread_metadata") or {}


def check_post(channel: dict[str, Any], may_manage_threads: bool) -> Answer | None:
    """None when a message may be posted in `channel`."""
    if channel["type"] in FORUM_TYPES:
        return 400, {"code": 40058, "message": "Cannot send messages in a forum channel"}
    if channel["type"] in THREAD_TYPES:
        if _meta(channel).get("archived"):
            return ARCHIVED
        if _meta(channel).get("locked") and not may_manage_threads:
            return 403, {"code": 160005, "message": "Thread is locked"}
    return None


def check_edit(channel: dict[str, Any], body: dict[str, Any], may_manage_threads: bool) -> Answer | None:
    """None when `PATCH /channels/{id}` with `body` may be applied."""
    if channel["type"] not in THREAD_TYPES or not _meta(channel).get("archived"):
        return None
    if body.get("archived") is not False:
        return ARCHIVED
    if _meta(channel).get("locked") and not may_manage_threads:
        return 403, {"code": 50013, "message": "Missing Permissions"}
    return None


def check_react(channel: dict[str, Any]) -> Answer | None:
    if channel["type"] in THREAD_TYPES and _meta(channel).get("archived"):
        return ARCHIVED
    return None
