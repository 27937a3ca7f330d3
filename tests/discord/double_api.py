"""The REST side of the Discord double: state (channels, threads, messages, users, members) and routes,
with each documented rule in its own module:

- `double_interactions`  3 s for the initial response, 15 min for follow-ups;
- `double_message_limits` 2,000 characters, embed limits, no empty message;
- `double_rate_limits`   per-route buckets, the global limit, 429 with `retry_after` and headers;
- `double_channel_rules` forums take only threads; archived and locked threads;
- `double_permissions`   50001 Missing Access, 50013 Missing Permissions, 50007 closed DMs;
- `double_history`       reading back messages, threads and who reacted.

It is a double of the documented behaviour, not Discord: what is not listed here is answered kindly or
not at all (404 "fake API has no route"). Every request is recorded in `calls`, whatever the answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord_payloads as p
import double_channel_rules as rules
import double_history as history
from double_clock import DoubleClock, ManualClock, Snowflakes
from double_interactions import Interactions
from double_message_limits import check_message
from double_permissions import DMS_CLOSED, Permissions
from double_rate_limits import RateLimits

Payload = dict[str, Any]
Query = dict[str, str]
Handler = Callable[[re.Match[str], Any, Query], tuple[int, Any]]


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    files: list[str] = field(default_factory=list)
    query: Query = field(default_factory=dict)
    status: int = 0

    @property
    def content(self) -> str | None:
        return (self.json or {}).get("content") if isinstance(self.json, dict) else None


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: Payload
    headers: dict[str, str]
    skip: int  # matching requests let through before this one fails
    delay: float = 0.0  # seconds the answer takes (status 0: the normal answer, only late)
    sticky: bool = False  # every matching request, until clear_failures()


class FakeDiscordAPI:
    """Enough of Discord's REST API for the adapter: channels, threads, messages, DMs, interactions."""

    def __init__(self, clock: DoubleClock | None = None, rate_limits: bool = False) -> None:
        self.clock = clock or ManualClock()
        self.ids = Snowflakes(self.clock)
        self.interactions = Interactions(self.clock)
        self.permissions = Permissions()
        self.rate_limits = RateLimits(self.clock) if rate_limits else None
        self.calls: list[Call] = []
        self.channels: dict[int, Payload] = {}
        self.messages: dict[int, Payload] = {}
        self.users: dict[int, Payload] = {}
        self.members: dict[tuple[int, int], Payload] = {}
        self.closed_dms: set[int] = set()
        self.nonces: dict[tuple[int, str], int] = {}
        self._failures: list[_Failure] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/users/@me"), lambda m, b, q: (200, p.user(p.BOT_ID, "ticebot", bot=True))),
            ("POST", re.compile(r"/users/@me/channels"), self._create_dm),
            ("GET", re.compile(r"/users/(\d+)"), self._get_user),
            ("GET", re.compile(r"/guilds/(\d+)/members/(\d+)"), self._get_member),
            ("GET", re.compile(r"/guilds/(\d+)/threads/active"), self._active_threads),
            ("GET", re.compile(r"/channels/(\d+)"), self._get_channel),
            ("PATCH", re.compile(r"/channels/(\d+)"), self._edit_channel),
            ("GET", re.compile(r"/channels/(\d+)/messages"), self._list_messages),
            ("POST", re.compile(r"/channels/(\d+)/messages"), self._create_message),
            ("GET", re.compile(r"/channels/(\d+)/messages/(\d+)"), self._get_message),
            ("POST", re.compile(r"/channels/(\d+)/messages/(\d+)/threads"), self._thread_from_message),
            ("POST", re.compile(r"/channels/(\d+)/threads"), self._forum_post),
            ("GET", re.compile(r"/channels/(\d+)/threads/archived/public"), self._archived_threads),
            ("PUT", re.compile(r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me"), self._react),
            ("GET", re.compile(r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)"), self._reactors),
            ("PUT", re.compile(r"/applications/(\d+)/guilds/(\d+)/commands"), self._sync),
            ("PUT", re.compile(r"/applications/(\d+)/commands"), self._sync),
            ("POST", re.compile(r"/interactions/(\d+)/([^/]+)/callback"), self._callback),
            ("POST", re.compile(r"/webhooks/(\d+)/([^/]+)"), self._followup),
            ("PATCH", re.compile(r"/webhooks/(\d+)/([^/]+)/messages/@original"), self._edit_original),
        ]

    # ------------------------------------------------------------ test controls

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        code: int = 0,
        message: str = "error",
        headers: dict[str, str] | None = None,
        body: Payload | None = None,
        skip: int = 0,
        delay: float = 0.0,
        sticky: bool = False,
    ) -> None:
        """The next request matching `method` and the `path` regex (after `skip` of them) answers
        `status`, once, after `delay` seconds; status 0 with a delay is the normal answer, late (the
        rules are applied when it is answered, as if the request had arrived then); `sticky`: every
        matching request, until `clear_failures()`."""
        data = body if body is not None else {"code": code, "message": message}
        self._failures.append(_Failure(method, re.compile(path), status, data, headers or {}, skip, delay, sticky))

    def clear_failures(self) -> None:
        self._failures.clear()

    def find(self, method: str, path: str) -> list[Call]:
        pattern = re.compile(path)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)]

    def sent(self, channel_id: int | None = None) -> list[Call]:
        """Messages posted (in `channel_id`, or anywhere), whatever the answer."""
        where = rf"/channels/{channel_id}/messages" if channel_id else r"/channels/\d+/messages"
        return self.find("POST", where)

    def add_channel(self, payload: Payload) -> Payload:
        if payload["type"] == 1:  # Discord keeps one DM channel per person and bot, opened once, for good
            other = self.dm_of(int(payload["recipients"][0]["id"]))
            assert other is None or other["id"] == payload["id"], (
                f"a second DM channel with {payload['recipients'][0]['id']}: Discord has one (use dm_of)")
        self.channels[int(payload["id"])] = payload
        return payload

    def add_message(self, payload: Payload) -> Payload:
        stored = self.messages.setdefault(int(payload["id"]), payload)
        stored.update(payload)
        channel = self.channels.get(int(payload["channel_id"]))
        if channel is not None:
            channel["last_message_id"] = payload["id"]
            parent = self.channels.get(int(channel.get("parent_id") or 0))
            if parent is not None and parent["type"] in rules.FORUM_TYPES and payload["id"] == channel["id"]:
                parent["last_message_id"] = payload["id"]  # a forum's last "message" is its newest post
        return stored

    def archive(self, thread_id: int, *, locked: bool = False) -> None:
        meta = self.channels[thread_id]["thread_metadata"]
        meta.update(archived=True, locked=locked or meta.get("locked", False), archive_timestamp=self.ids.iso_now())

    def dm_of(self, user_id: int) -> Payload | None:
        """The DM channel opened with `user_id`, if any."""
        return next(
            (c for c in self.channels.values() if c["type"] == 1 and int(c["recipients"][0]["id"]) == user_id), None
        )

    def messages_in(self, channel_id: int) -> list[Payload]:
        """The messages of a channel or thread, oldest first."""
        found = [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]
        return sorted(found, key=lambda m: int(m["id"]))

    def callbacks(self) -> list[Call]:
        return self.find("POST", r"/interactions/\d+/[^/]+/callback")

    def observe(self, event: str, data: Payload) -> None:
        """Keep the REST side in step with a gateway dispatch (what the bot is told exists, exists)."""
        if event == "GUILD_CREATE":
            for channel in data.get("channels", []) + data.get("threads", []):
                self.add_channel({**channel, "guild_id": data["id"]})
            for member in data.get("members", []):
                self.users[int(member["user"]["id"])] = member["user"]
                self.members[(int(data["id"]), int(member["user"]["id"]))] = member
        elif event in ("THREAD_CREATE", "CHANNEL_CREATE", "THREAD_UPDATE", "CHANNEL_UPDATE"):
            known = self.channels.get(int(data["id"]))
            if known is not None:
                known.update(data)
            else:
                self.add_channel(dict(data))
        elif event == "MESSAGE_CREATE":
            self.add_message(dict(data))
        elif event == "MESSAGE_REACTION_ADD":
            message = self.messages.get(int(data["message_id"]))
            if message is not None:
                history.add_reaction(message, data["emoji"]["name"], int(data["user_id"]), False)
        elif event == "INTERACTION_CREATE":
            self.interactions.dispatched(data)
        elif event == "GUILD_MEMBER_UPDATE" and isinstance(data.get("user"), dict):
            self.members[(int(data["guild_id"]), int(data["user"]["id"]))] = data
        elif event == "GUILD_MEMBER_REMOVE":
            self.members.pop((int(data["guild_id"]), int(data["user"]["id"])), None)

    # ------------------------------------------------------------ dispatch

    async def answer(
        self, method: str, path: str, body: Any, files: list[str], query: Query | None = None
    ) -> Answer:
        """The answer to a decoded request (`path` without the /api/v10 prefix); recorded in `calls`."""
        call = Call(method, path, body, files, dict(query or {}))
        self.calls.append(call)
        failure = self.failure_for(method, path)
        if failure is not None and failure.delay:
            await asyncio.sleep(failure.delay)  # the double is slow to answer, as a loaded server is
        if failure is not None and failure.status:
            answer = Answer(failure.status, failure.body, failure.headers)
        else:
            answer = self._answer(method, path, body, files, call.query)
        call.status = answer.status
        return answer

    def failure_for(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method == method and failure.path.fullmatch(path):
                if failure.skip:
                    failure.skip -= 1
                    return None
                if not failure.sticky:
                    self._failures.remove(failure)
                return failure
        return None

    def _answer(self, method: str, path: str, body: Any, files: list[str], query: Query) -> Answer:
        if self.rate_limits is not None:
            limited = self.rate_limits.check(method, path)
            if limited is not None:
                return Answer(*limited)
        refused = self._permission(method, path)
        if refused is not None:
            return Answer(*refused)
        for r_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if r_method == method and match:
                status, data = handler(match, body, query)
                headers = self.rate_limits.headers(method, path) if self.rate_limits is not None else {}
                return Answer(status, data, headers)
        return Answer(404, {"code": 0, "message": f"fake API has no route {method} {path}"})

    def _permission(self, method: str, path: str) -> tuple[int, Payload] | None:
        match = re.match(r"/channels/(\d+)", path)
        if match is None:
            return None
        channel = self.channels.get(int(match[1]))
        if channel is None:
            return None
        parent = int(channel["parent_id"]) if channel.get("parent_id") else None
        return self.permissions.check(method, int(channel["id"]), parent)

    def _may_manage_threads(self, channel: Payload) -> bool:
        parent = int(channel["parent_id"]) if channel.get("parent_id") else None
        return self.permissions.may_manage_threads(int(channel["id"]), parent)

    @staticmethod
    def _not_found(code: int, what: str) -> tuple[int, Payload]:
        return 404, {"code": code, "message": f"Unknown {what}"}

    # ------------------------------------------------------------ routes

    def _create_dm(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        user_id = int(body["recipient_id"])
        found = self.dm_of(user_id)
        if found is not None:
            return 200, found
        user = self.users.get(user_id, p.user(user_id, f"user{user_id}"))
        return 200, self.add_channel(p.dm_channel(self.ids.next(), user_id, user["global_name"]))

    def _get_user(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        user = self.users.get(int(m[1]))
        return (200, user) if user else self._not_found(10013, "User")

    def _get_member(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        found = self.members.get((int(m[1]), int(m[2])))
        return (200, found) if found else self._not_found(10007, "Member")

    def _get_channel(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        channel = self.channels.get(int(m[1]))
        return (200, channel) if channel else self._not_found(10003, "Channel")

    def _edit_channel(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        channel = self.channels.get(int(m[1]))
        if channel is None:
            return self._not_found(10003, "Channel")
        refused = rules.check_edit(channel, body or {}, self._may_manage_threads(channel))
        if refused is not None:
            return refused
        for key, value in (body or {}).items():
            if key in ("archived", "locked"):
                channel["thread_metadata"][key] = value
                if key == "archived":
                    channel["thread_metadata"]["archive_timestamp"] = self.ids.iso_now()
            else:
                channel[key] = value
        return 200, channel

    def _list_messages(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        channel_id = int(m[1])
        if channel_id not in self.channels:
            return self._not_found(10003, "Channel")
        status, page = history.list_messages(self.messages_in(channel_id), q)
        return status, [history.public(x) for x in page] if status == 200 else page

    def _create_message(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        channel_id = int(m[1])
        channel = self.channels.get(channel_id)
        if channel is None:
            return self._not_found(10003, "Channel")
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self.closed_dms:
            return DMS_CLOSED
        refused = rules.check_post(channel, self._may_manage_threads(channel))
        if refused is not None:
            return refused
        body = body or {}
        refused = check_message(body, [])
        if refused is not None and not body.get("attachments"):
            return refused
        if body.get("enforce_nonce") and (channel_id, body.get("nonce")) in self.nonces:
            # Discord answers a repeated nonce with the message it already created.
            return 200, history.public(self.messages[self.nonces[(channel_id, body["nonce"])]])
        guild_id = int(channel["guild_id"]) if "guild_id" in channel else None
        data = p.message(
            self.ids.next(),
            channel_id,
            p.BOT_ID,
            "ticebot",
            body.get("content") or "",
            guild_id=guild_id,
            bot=True,
            components=body.get("components"),
        )
        data["timestamp"] = self.ids.iso_now()
        if body.get("nonce") is not None:
            self.nonces[(channel_id, body["nonce"])] = int(data["id"])
        return 200, history.public(self.add_message(data))

    def _get_message(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        found = self.messages.get(int(m[2]))
        if found is None or int(found["channel_id"]) != int(m[1]):
            return self._not_found(10008, "Message")
        return 200, history.public(found)

    def _thread_from_message(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        parent_id, message_id = int(m[1]), int(m[2])
        if message_id in self.channels:
            return 400, {"code": 160004, "message": "A thread has already been created for this message"}
        thread = p.thread(message_id, parent_id, body["name"], owner_id=p.BOT_ID)
        thread["thread_metadata"]["archive_timestamp"] = self.ids.iso_now()
        return 201, self.add_channel(thread)

    def _forum_post(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        forum_id = int(m[1])
        forum = self.channels.get(forum_id)
        if forum is None:
            return self._not_found(10003, "Channel")
        refused = check_message((body or {}).get("message"), [], "message.")
        if refused is not None:
            return refused
        thread_id = self.ids.next()
        thread = p.thread(thread_id, forum_id, body["name"], owner_id=p.BOT_ID)
        thread["thread_metadata"]["archive_timestamp"] = self.ids.iso_now()
        if body.get("applied_tags"):
            thread["applied_tags"] = [str(t) for t in body["applied_tags"]]
        data = self.add_channel(thread)
        starter = p.message(thread_id, thread_id, p.BOT_ID, "ticebot", body["message"].get("content") or "", bot=True)
        starter["timestamp"] = self.ids.iso_now()
        self.add_message(starter)
        return 201, {**data, "message": history.public(starter)}

    def _active_threads(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        threads = [c for c in self._threads() if str(c.get("guild_id")) == m[1]]
        visible = [t for t in threads if self._permission("GET", f"/channels/{t['id']}") is None]
        return history.active_threads(visible)

    def _archived_threads(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        threads = [c for c in self._threads() if str(c.get("parent_id")) == m[1]]
        return history.archived_threads(threads, q)

    def _threads(self) -> list[Payload]:
        return [c for c in self.channels.values() if c["type"] in rules.THREAD_TYPES]

    def _react(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        channel = self.channels.get(int(m[1]))
        message = self.messages.get(int(m[2]))
        if channel is None:
            return self._not_found(10003, "Channel")
        if message is None or int(message["channel_id"]) != int(m[1]):
            return self._not_found(10008, "Message")
        refused = rules.check_react(channel)
        if refused is not None:
            return refused
        history.add_reaction(message, m[3], p.BOT_ID, True)
        return 204, None

    def _reactors(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        message = self.messages.get(int(m[2]))
        if message is None or int(message["channel_id"]) != int(m[1]):
            return self._not_found(10008, "Message")
        return history.reactors(message, m[3], q, self.users)

    def _sync(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        return 200, [
            {
                **cmd,
                "id": str(self.ids.next()),
                "application_id": str(p.APP_ID),
                "version": "1",
                "default_member_permissions": None,
            }
            for cmd in body
        ]

    def _callback(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        kind = (body or {}).get("type")
        refused = self.interactions.callback(m[1], m[2], kind)
        if refused is not None:
            return refused
        if kind in (4, 7):
            refused = check_message((body or {}).get("data"), [], "data.")
            if refused is not None:
                self.interactions.get(m[2]).responded = False  # type: ignore[union-attr]
                return refused
        return 200, {"interaction": {"id": m[1], "type": 2}}

    def _followup(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        refused = self.interactions.followup(m[2]) or check_message(body, [])
        if refused is not None:
            return refused
        data = p.message(self.ids.next(), 1, p.BOT_ID, "ticebot", (body or {}).get("content") or "", bot=True)
        return 200, data

    def _edit_original(self, m: re.Match[str], body: Any, q: Query) -> tuple[int, Any]:
        refused = self.interactions.followup(m[2])
        if refused is not None:
            return refused
        return 200, p.message(self.ids.next(), 1, p.BOT_ID, "ticebot", (body or {}).get("content") or "", bot=True)
