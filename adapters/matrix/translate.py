"""Matrix event (raw `source` dict) → core event. Pure functions: no client, no I/O.

We read `event.source` rather than nio's typed events because nio has no thread type and parses
reactions, edits and redactions into different classes across versions; the JSON is the stable contract.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.events import Attachment, CoreEvent, PostCreated, PostDeleted, PostEdited, ReactionAdded
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

PLATFORM = "matrix"
_ATTACHMENT_TYPES = {"m.image", "m.file", "m.video", "m.audio"}

Source = dict[str, Any]


def relation(source: Source) -> dict[str, Any]:
    relates = source.get("content", {}).get("m.relates_to")
    return relates if isinstance(relates, dict) else {}


def thread_root(source: Source) -> str | None:
    """The thread root this event belongs to (m.thread relation), or None."""
    rel = relation(source)
    if rel.get("rel_type") == "m.thread" and isinstance(rel.get("event_id"), str):
        return str(rel["event_id"])
    return None


def reply_target(source: Source) -> str | None:
    """The event replied to with a rich reply *outside* a thread: its thread root must be looked up.

    Inside a thread, `m.in_reply_to` is only the client's fallback and the m.thread root decides.
    """
    rel = relation(source)
    if rel.get("rel_type") == "m.thread":
        return None
    target = rel.get("m.in_reply_to", {})
    event_id = target.get("event_id") if isinstance(target, dict) else None
    return event_id if isinstance(event_id, str) else None


def is_join_of(source: Source, user_id: str) -> bool:
    """True for `user_id`'s own join (not a join→join profile change): history before it is ignored."""
    if source.get("type") != "m.room.member" or source.get("state_key") != user_id:
        return False
    if source.get("content", {}).get("membership") != "join":
        return False
    previous = source.get("unsigned", {}).get("prev_content", {}) or {}
    return previous.get("membership") != "join"


def changed_power_users(source: Source) -> set[str]:
    """Users whose explicit power level differs between this m.room.power_levels event and the previous."""
    if source.get("type") != "m.room.power_levels":
        return set()
    now = source.get("content", {}).get("users", {}) or {}
    before = (source.get("unsigned", {}).get("prev_content", {}) or {}).get("users", {}) or {}
    return {user for user in set(now) | set(before) if now.get(user) != before.get(user)}


def strip_reply_fallback(body: str) -> str:
    """Drop the "> <@user> quoted text" lines clients prepend to a rich reply's body."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> <"):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


def _at(source: Source) -> datetime | None:
    ts = source.get("origin_server_ts")
    return datetime.fromtimestamp(ts / 1000, tz=UTC) if isinstance(ts, int | float) else None


def _attachments(content: dict[str, Any]) -> tuple[Attachment, ...]:
    if content.get("msgtype") not in _ATTACHMENT_TYPES:
        return ()
    name = str(content.get("filename") or content.get("body") or "")
    mime = str((content.get("info") or {}).get("mimetype", ""))
    return (Attachment(name=name, url=str(content.get("url", "")), mime=mime),)


def _text(content: dict[str, Any], is_reply: bool) -> str:
    body = content.get("body", "")
    body = body if isinstance(body, str) else ""
    msgtype = content.get("msgtype")
    if msgtype in _ATTACHMENT_TYPES:
        # A caption exists only when `filename` is set and differs from `body`; else body is the file name.
        filename = content.get("filename")
        return body if filename and filename != body else ""
    return strip_reply_fallback(body) if is_reply else body


def translate(
    source: Source,
    room_id: str,
    *,
    is_direct: bool = False,
    display: str = "",
    reply_root: str | None = None,
) -> CoreEvent | None:
    """Translate one timeline event of `room_id`; None for events the core does not care about.

    `reply_root` is the thread root of the event this one replies to outside a thread (the replied-to
    event's own thread root, or the replied-to event itself); the caller looks it up when
    `reply_target(source)` is set.
    """
    event_id = source.get("event_id")
    sender = source.get("sender")
    if not isinstance(event_id, str) or not isinstance(sender, str):
        return None
    channel = ChannelRef(PLATFORM, room_id)
    content = source.get("content", {}) or {}
    kind = source.get("type")
    rel = relation(source)

    if kind == "m.room.redaction":
        # Room v11 moved `redacts` into content; older rooms have it at top level.
        redacts = content.get("redacts") or source.get("redacts")
        return PostDeleted(event_id, MessageRef(channel, str(redacts))) if redacts else None

    if kind == "m.reaction":
        if rel.get("rel_type") != "m.annotation" or not rel.get("event_id") or not rel.get("key"):
            return None
        user = UserRef(PLATFORM, sender, display)
        return ReactionAdded(event_id, user, MessageRef(channel, str(rel["event_id"])), str(rel["key"]))

    if kind != "m.room.message" or "msgtype" not in content:
        return None  # state events, encrypted events, redacted messages (empty content), calls…

    if rel.get("rel_type") == "m.replace" and rel.get("event_id"):
        new = content.get("m.new_content") or {}
        text = new.get("body", content.get("body", ""))
        if isinstance(text, str) and text.startswith("* "):
            text = text[2:]  # the fallback body of an edit without m.new_content
        return PostEdited(event_id, MessageRef(channel, str(rel["event_id"])), str(text))

    root = thread_root(source)
    replied = reply_target(source)
    thread: ThreadRef | None = None
    reply_to: MessageRef | None = None
    if root:
        thread = ThreadRef(channel, root)
    elif replied:
        reply_to = MessageRef(channel, replied)
        thread = ThreadRef(channel, reply_root or replied)
    return PostCreated(
        event_id=event_id,
        author=UserRef(PLATFORM, sender, display),
        channel=channel,
        message=MessageRef(channel, event_id),
        text=_text(content, is_reply=replied is not None),
        thread=thread,
        is_direct=is_direct,
        # m.notice is how Matrix bots mark their output; answering it invites bot loops.
        author_is_bot=content.get("msgtype") == "m.notice",
        reply_to=reply_to,
        attachments=_attachments(content),
        at=_at(source),
    )
