"""Double of how Discord lets a bot read back what happened (Discord docs, Resources → Message → Get
Channel Messages; Resources → Channel → List Public Archived Threads; Resources → Guild → List Active
Guild Threads; Resources → Message → Get Reactions):

- `GET /channels/{id}/messages`: `limit` 1–100 (default 50), at most one of `before`, `after`, `around`;
  newest first; with `after`, the messages right after that id (still newest first in the page);
- `GET /guilds/{id}/threads/active`: every active (not archived) thread of the guild, `{threads, members}`;
- `GET /channels/{id}/threads/archived/public`: archived threads of a channel, most recently archived
  first, `before` an ISO8601 archive time, `{threads, members, has_more}`;
- `GET /channels/{id}/messages/{mid}/reactions/{emoji}`: who reacted, by user id, `limit` 1–100 (25),
  `after` a user id. A message payload only carries `reactions: [{emoji, count, me}]`: no one's id and no
  time, which is why a bot catching up must ask who reacted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

Payload = dict[str, Any]
Answer = tuple[int, Any]


def _limit(query: dict[str, str], default: int, top: int = 100) -> int | Answer:
    try:
        limit = int(query.get("limit", default))
    except ValueError:
        return 400, {"code": 50035, "message": "Invalid Form Body"}
    if not 1 <= limit <= top:
        return 400, {"code": 50035, "message": "Invalid Form Body", "errors": {"limit": {}}}
    return limit


def list_messages(messages: list[Payload], query: dict[str, str]) -> Answer:
    """`messages` are the channel's, any order."""
    limit = _limit(query, 50)
    if isinstance(limit, tuple):
        return limit
    given = [k for k in ("before", "after", "around") if k in query]
    if len(given) > 1:
        return 400, {"code": 50035, "message": "Invalid Form Body"}
    ordered = sorted(messages, key=lambda m: int(m["id"]))
    if "after" in query:
        after = int(query["after"])
        page = [m for m in ordered if int(m["id"]) > after][:limit]
    elif "before" in query:
        before = int(query["before"])
        page = [m for m in ordered if int(m["id"]) < before][-limit:]
    elif "around" in query:
        around = int(query["around"])
        older = [m for m in ordered if int(m["id"]) < around][-(limit // 2) :] if limit > 1 else []
        newer = [m for m in ordered if int(m["id"]) >= around][: limit - len(older)]
        page = older + newer
    else:
        page = ordered[-limit:]
    return 200, list(reversed(page))


def active_threads(threads: list[Payload]) -> Answer:
    live = [t for t in threads if not (t.get("thread_metadata") or {}).get("archived")]
    return 200, {"threads": live, "members": []}


def archived_threads(threads: list[Payload], query: dict[str, str]) -> Answer:
    limit = _limit(query, 50)
    if isinstance(limit, tuple):
        return limit
    archived = [t for t in threads if (t.get("thread_metadata") or {}).get("archived")]

    def when(thread: Payload) -> datetime:
        return datetime.fromisoformat(thread["thread_metadata"]["archive_timestamp"])

    archived.sort(key=when, reverse=True)
    if "before" in query:
        before = datetime.fromisoformat(query["before"])
        archived = [t for t in archived if when(t) < before]
    page = archived[:limit]
    return 200, {"threads": page, "members": [], "has_more": len(archived) > limit}


def add_reaction(message: Payload, emoji: str, user_id: int, by_bot: bool) -> None:
    """Record a reaction on a stored message (the summary Discord shows, and who reacted)."""
    reactions = message.setdefault("reactions", [])
    found = next((r for r in reactions if r["emoji"]["name"] == emoji), None)
    if found is None:
        found = {"emoji": {"id": None, "name": emoji}, "count": 0, "me": False, "burst_colors": [],
                 "count_details": {"burst": 0, "normal": 0}, "me_burst": False, "burst_count": 0}
        reactions.append(found)
    users: list[int] = message.setdefault("_reactors", {}).setdefault(emoji, [])
    if user_id in users:
        return
    users.append(user_id)
    found["count"] += 1
    found["count_details"]["normal"] += 1
    found["me"] = found["me"] or by_bot


def reactors(message: Payload, emoji: str, query: dict[str, str], users: dict[int, Payload]) -> Answer:
    limit = _limit(query, 25)
    if isinstance(limit, tuple):
        return limit
    ids = sorted(message.get("_reactors", {}).get(emoji, []))
    if "after" in query:
        ids = [i for i in ids if i > int(query["after"])]
    return 200, [users.get(i, {"id": str(i), "username": f"user{i}", "discriminator": "0", "global_name": None,
                               "avatar": None}) for i in ids[:limit]]


def public(message: Payload) -> Payload:
    """A stored message as the API shows it (without the double's own bookkeeping)."""
    return {k: v for k, v in message.items() if not k.startswith("_")}
