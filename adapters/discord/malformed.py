"""Gateway payloads that do not match what discord.py expects: repaired when the meaning is clear,
otherwise logged and skipped. One bad event must never end the connection (nor the process).

discord.py calls its parser for each dispatch inside the websocket loop, so an exception there (an
`int(None)` on `guild_id: null`, a role object where an id was expected, a member without its user)
leaves `Client.connect` and stops the bot. Every parser is wrapped here:

- repairs, where Discord documents the field as optional and the payload only spells it oddly:
  `guild_id: null` is the same as no `guild_id` (a DM); a role object `{"id": …}` in a member's
  `roles` is its id; a partial member with no `user` on a reaction is dropped (the reaction's
  `user_id` still names the person); a partial user (id only) gets empty names;
- anything still failing is skipped with one log line naming the event type and its ids, never the
  payload's text, and the connection keeps serving.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)

Parser = Callable[[Any], None]
_IDS = ("id", "channel_id", "guild_id", "message_id", "user_id")
_USER_DEFAULTS = {"username": "", "discriminator": "0", "global_name": None, "avatar": None}


def _role_ids(roles: object) -> object:
    if not isinstance(roles, list):
        return roles
    return [str(r["id"]) if isinstance(r, dict) and "id" in r else r for r in roles]


def _repair_user(user: object) -> None:
    if isinstance(user, dict) and "id" in user:
        for key, value in _USER_DEFAULTS.items():
            user.setdefault(key, value)


def _repair_member(member: object) -> None:
    if not isinstance(member, dict):
        return
    if "roles" in member:
        member["roles"] = _role_ids(member["roles"])
    _repair_user(member.get("user"))


def repair(event: str, data: Any) -> Any:
    """The payload with the odd-but-clear spellings fixed in place (see the module docstring)."""
    if not isinstance(data, dict):
        return data
    if "guild_id" in data and data["guild_id"] is None:
        del data["guild_id"]
    if event.startswith("GUILD_MEMBER"):
        _repair_member(data)
    _repair_user(data.get("user"))
    _repair_user(data.get("author"))
    member = data.get("member")
    if isinstance(member, dict):
        if event.startswith("MESSAGE_REACTION") and "user" not in member:
            del data["member"]  # the reaction's user_id is enough; discord.py needs a full member or none
        else:
            _repair_member(member)
    return data


def _ids(data: Any) -> str:
    if not isinstance(data, dict):
        return type(data).__name__
    return " ".join(f"{key}={data[key]}" for key in _IDS if isinstance(data.get(key), str | int))


def guarded(event: str, parse: Parser) -> Parser:
    def parse_or_skip(data: Any) -> None:
        try:
            parse(repair(event, data))
        except Exception as exc:
            # The error's type and the ids only: payloads carry what people wrote.
            log.error("discord: skipped a malformed %s payload (%s; %s)", event, type(exc).__name__, _ids(data))

    parse_or_skip.__wrapped__ = parse  # type: ignore[attr-defined]
    return parse_or_skip


def guard_parsers(parsers: MutableMapping[str, Parser]) -> None:
    """Wrap every parser in place: discord.py's websocket holds this very dict."""
    for event, parse in list(parsers.items()):
        if not hasattr(parse, "__wrapped__"):
            parsers[event] = guarded(event, parse)
