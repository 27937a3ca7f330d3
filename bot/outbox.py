"""Outbox rows ↔ core actions. Rows are written with the state change; the dispatcher delivers them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import actions as A
from bot.db.models import Outbox
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

_KINDS: dict[str, type] = {
    "send_message": A.SendMessage,
    "reply_in_thread": A.ReplyInThread,
    "send_direct": A.SendDirect,
    "react": A.React,
    "mention_roles": A.MentionRoles,
    "mark_thread": A.MarkThread,
}
_NAMES = {cls: name for name, cls in _KINDS.items()}


def action_platform(action: A.CoreAction) -> str:
    if isinstance(action, A.SendDirect):
        return action.user.platform
    if isinstance(action, A.ReplyInThread | A.MarkThread):
        return action.thread.channel.platform
    if isinstance(action, A.React):
        return action.message.channel.platform
    return action.channel.platform


def conversation_of(action: A.CoreAction) -> str:
    """The conversation an action belongs to: delivery keeps the order within it, and only within it.

    A thread (replies and its forum label), a channel (messages, alerts, reactions to its messages) or a
    private conversation with one person.
    """
    platform = action_platform(action)
    if isinstance(action, A.ReplyInThread | A.MarkThread):
        return f"{platform}:thread:{action.thread.channel.id}:{action.thread.id}"
    if isinstance(action, A.SendDirect):
        return f"{platform}:dm:{action.user.id}"
    if isinstance(action, A.React):
        return f"{platform}:room:{action.message.channel.id}"
    return f"{platform}:room:{action.channel.id}"


def action_kind(action: A.CoreAction) -> str:
    return _NAMES[type(action)]


_ATOMS = (str, int, float, type(None))  # bool is an int
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # by dataclass: its fields' names, in order


def _plain(value: Any) -> Any:
    """What `dataclasses.asdict` makes of a value, without its deep copies of strings and numbers
    (actions hold only those, refs and tuples of them): every reply and label is queued through here."""
    if isinstance(value, _ATOMS):
        return value
    names = _FIELD_NAMES.get(type(value))
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if type(value) in (tuple, list):
        return type(value)(_plain(v) for v in value)
    return asdict(_Boxed(value))["value"]  # anything else exactly as asdict has it


@dataclass(frozen=True)
class _Boxed:
    value: Any


def action_to_payload(action: A.CoreAction) -> dict[str, Any]:
    """The action as `dataclasses.asdict` gives it (the payload's JSON)."""
    return _plain(action)  # type: ignore[no-any-return]


def _ref(data: dict[str, Any], key: str, cls: type) -> Any:
    value = data.get(key)
    if value is None:
        return None
    if cls is ThreadRef:
        return ThreadRef(channel=ChannelRef(**value["channel"]), id=value["id"])
    if cls is MessageRef:
        return MessageRef(channel=ChannelRef(**value["channel"]), id=value["id"])
    return cls(**value)


def payload_to_action(kind: str, payload: dict[str, Any]) -> A.CoreAction:
    cls = _KINDS[kind]
    data = dict(payload)
    for f in fields(cls):
        if f.name in ("channel",):
            data[f.name] = _ref(payload, f.name, ChannelRef)
        elif f.name == "thread":
            data[f.name] = _ref(payload, f.name, ThreadRef)
        elif f.name in ("message", "endorse_reply"):
            data[f.name] = _ref(payload, f.name, MessageRef)
        elif f.name == "user":
            data[f.name] = _ref(payload, f.name, UserRef)
        elif f.name == "mentions":
            data[f.name] = tuple(UserRef(**m) for m in payload.get("mentions", ()))
        elif f.name in ("roles", "actions"):
            data[f.name] = tuple(payload.get(f.name, ()))
    return cls(**data)


_EMITTED = "ticebot.outbox.emitted"  # session.info key: the rows this transaction queued


def emitted_rows(session: AsyncSession) -> list[Outbox]:
    """The rows `emit` queued in this session's transaction (some may since be lost with a savepoint)."""
    return list(session.info.get(_EMITTED, ()))


def emit(session: AsyncSession, action: A.CoreAction, now: datetime) -> Outbox:
    """Queue an action in the current transaction: it is sent only if the transaction commits."""
    row = Outbox(
        platform=action_platform(action),
        conversation=conversation_of(action),
        kind=action_kind(action),
        template=getattr(action, "template", ""),
        payload=action_to_payload(action),
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.info.setdefault(_EMITTED, []).append(row)
    return row
