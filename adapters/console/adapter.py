"""The console adapter: delivers core actions as printed lines (or JSON lines) and keeps them for tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import actions as A
from bot.clock import Clock
from bot.outbox import action_kind

PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Delivered:
    at: datetime
    kind: str
    channel: str
    thread: str
    to: str
    template: str
    text: str
    message_id: str

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.astimezone(PARIS).isoformat(timespec="seconds"), "kind": self.kind,
                "channel": self.channel, "thread": self.thread, "to": self.to,
                "template": self.template, "text": self.text}


class ConsoleAdapter:
    platform = "console"

    def __init__(self, clock: Clock, emit: Callable[[str], None] | None = None, json_lines: bool = False) -> None:
        self.clock = clock
        self.emit = emit
        self.json_lines = json_lines
        self.delivered: list[Delivered] = []
        self._ids = itertools.count(1)

    async def deliver(self, action: A.CoreAction) -> str | None:
        message_id = f"b{next(self._ids)}"
        channel = thread = to = ""
        if isinstance(action, A.ReplyInThread | A.MarkThread):
            channel, thread = action.thread.channel.id, action.thread.id
        elif isinstance(action, A.SendDirect):
            to = action.user.id
        elif isinstance(action, A.React):
            channel, thread = action.message.channel.id, action.message.id
        else:
            channel = action.channel.id
        text = getattr(action, "text", "") or getattr(action, "state", "") or getattr(action, "emoji", "")
        image = getattr(action, "image_path", "") or getattr(action, "attachment_path", "")
        if image:
            text = f"{text}\n[fichier : {image}]"
        item = Delivered(self.clock.now(), action_kind(action), channel, thread, to,
                         getattr(action, "template", ""), text, message_id)
        self.delivered.append(item)
        if self.emit is not None:
            self.emit(self._format(item))
        return message_id

    def _format(self, item: Delivered) -> str:
        if self.json_lines:
            return json.dumps(item.as_json(), ensure_ascii=False)
        when = item.at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
        if item.to:
            where = f"→ {item.to} (privé)"
        else:
            where = f"→ {item.channel}" + (f" fil {item.thread}" if item.thread else "")
        if item.kind == "mark_thread":
            return f"[{when}] ticebot {where} : état du fil « {item.text} »"
        body = item.text.replace("\n", "\n    ")
        return f"[{when}] ticebot {where} [{item.template}]\n    {body}"
