"""A Discord without network: a fake REST API under discord.py's real HTTP client, and a harness
that feeds raw gateway payloads to discord.py's real parsers.

The fake sits where aiohttp would (`HTTPClient`'s session), so every call the adapter makes goes
through discord.py's own code (payload building, error mapping, rate-limit handling) and is recorded
as the request Discord would have received: `api.calls` is what the adapter *did*.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import discord
import discord_payloads as p
from multidict import CIMultiDict

from adapters.discord.bot import DiscordAdapter, TicebotDiscord
from adapters.discord.spaces import DiscordSpace, SpaceDirectory
from bot.events import CoreEvent

Payload = dict[str, Any]
_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    files: list[str] = field(default_factory=list)

    @property
    def content(self) -> str | None:
        return (self.json or {}).get("content") if isinstance(self.json, dict) else None


class FakeResponse:
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = _REASONS.get(status, "Error")
        self.headers = CIMultiDict(headers or {})
        if body is not None:
            self.headers.setdefault("Content-Type", "application/json")
        self._body = body

    async def text(self, encoding: str = "utf-8") -> str:
        return "" if self._body is None else json.dumps(self._body)

    async def json(self) -> Any:
        return self._body

    async def __aenter__(self) -> FakeResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class FakeSession:
    """Stands in for aiohttp.ClientSession inside discord.py's HTTPClient and webhook adapter."""

    closed = False

    def __init__(self, api: FakeDiscordAPI) -> None:
        self.api = api

    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        return self.api.handle(method, url, kwargs)

    async def close(self) -> None:
        self.closed = True


def _decode(data: Any) -> tuple[Any, list[str]]:
    """The JSON body and attached file names of a request as discord.py built it."""
    if data is None:
        return None, []
    if isinstance(data, str | bytes):
        return json.loads(data), []
    if isinstance(data, aiohttp.FormData):
        body: Any = None
        files: list[str] = []
        for options, _headers, value in data._fields:
            if options.get("name") == "payload_json":
                body = json.loads(value)
            elif "filename" in options:
                files.append(options["filename"])
        return body, files
    raise TypeError(f"unexpected request body {type(data)}")


Handler = Callable[[re.Match[str], Any], tuple[int, Any]]


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: Payload
    headers: dict[str, str]
    skip: int  # matching requests let through before this one fails


class FakeDiscordAPI:
    """Enough of Discord's REST API for the adapter: channels, threads, messages, DMs, interactions."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.channels: dict[int, Payload] = {}
        self.messages: dict[int, Payload] = {}
        self.users: dict[int, Payload] = {}
        self.members: dict[tuple[int, int], Payload] = {}
        self.closed_dms: set[int] = set()
        self.nonces: dict[tuple[int, str], int] = {}
        self._failures: list[_Failure] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/users/@me"), lambda m, b: (200, p.user(p.BOT_ID, "ticebot", bot=True))),
            ("POST", re.compile(r"/users/@me/channels"), self._create_dm),
            ("GET", re.compile(r"/users/(\d+)"), self._get_user),
            ("GET", re.compile(r"/guilds/(\d+)/members/(\d+)"), self._get_member),
            ("GET", re.compile(r"/channels/(\d+)"), self._get_channel),
            ("PATCH", re.compile(r"/channels/(\d+)"), self._edit_channel),
            ("POST", re.compile(r"/channels/(\d+)/messages"), self._create_message),
            ("GET", re.compile(r"/channels/(\d+)/messages/(\d+)"), self._get_message),
            ("POST", re.compile(r"/channels/(\d+)/messages/(\d+)/threads"), self._thread_from_message),
            ("POST", re.compile(r"/channels/(\d+)/threads"), self._forum_post),
            ("PUT", re.compile(r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me"), lambda m, b: (204, None)),
            ("PUT", re.compile(r"/applications/(\d+)/guilds/(\d+)/commands"), self._sync),
            ("PUT", re.compile(r"/applications/(\d+)/commands"), self._sync),
            ("POST", re.compile(r"/interactions/(\d+)/([^/]+)/callback"), self._callback),
            ("POST", re.compile(r"/webhooks/(\d+)/([^/]+)"), self._followup),
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
    ) -> None:
        """The next request matching `method` and the `path` regex (after `skip` of them) answers
        `status`, once."""
        data = body if body is not None else {"code": code, "message": message}
        self._failures.append(_Failure(method, re.compile(path), status, data, headers or {}, skip))

    def find(self, method: str, path: str) -> list[Call]:
        pattern = re.compile(path)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)]

    def sent(self, channel_id: int | None = None) -> list[Call]:
        """Messages posted (in `channel_id`, or anywhere)."""
        where = rf"/channels/{channel_id}/messages" if channel_id else r"/channels/\d+/messages"
        return self.find("POST", where)

    def add_channel(self, payload: Payload) -> Payload:
        self.channels[int(payload["id"])] = payload
        return payload

    def add_message(self, payload: Payload) -> Payload:
        self.messages[int(payload["id"])] = payload
        return payload

    def dm_of(self, user_id: int) -> Payload | None:
        """The DM channel opened with `user_id`, if any."""
        return next(
            (c for c in self.channels.values() if c["type"] == 1 and int(c["recipients"][0]["id"]) == user_id), None
        )

    def messages_in(self, channel_id: int) -> list[Payload]:
        """The messages of a channel or thread, oldest first."""
        found = [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]
        return sorted(found, key=lambda m: int(m["id"]))

    # ------------------------------------------------------------ dispatch

    def handle(self, method: str, url: str, kwargs: dict[str, Any]) -> FakeResponse:
        path = unquote(urlsplit(url).path.removeprefix("/api/v10"))
        body, files = _decode(kwargs.get("data"))
        return self.answer(method, path, body, files)

    def answer(self, method: str, path: str, body: Any, files: list[str]) -> FakeResponse:
        """The answer to a decoded request (`path` without the /api/v10 prefix); recorded in `calls`."""
        self.calls.append(Call(method, path, body, files))
        for failure in self._failures:
            if failure.method == method and failure.path.fullmatch(path):
                if failure.skip:
                    failure.skip -= 1
                    break
                self._failures.remove(failure)
                return FakeResponse(failure.status, failure.body, failure.headers)
        for r_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if r_method == method and match:
                status, data = handler(match, body)
                return FakeResponse(status, data)
        return FakeResponse(404, {"code": 0, "message": f"fake API has no route {method} {path}"})

    @staticmethod
    def _not_found(code: int, what: str) -> tuple[int, Payload]:
        return 404, {"code": code, "message": f"Unknown {what}"}

    def _create_dm(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        user_id = int(body["recipient_id"])
        for channel in self.channels.values():
            if channel["type"] == 1 and int(channel["recipients"][0]["id"]) == user_id:
                return 200, channel
        user = self.users.get(user_id, p.user(user_id, f"user{user_id}"))
        return 200, self.add_channel(p.dm_channel(p.snowflake(), user_id, user["global_name"]))

    def _get_user(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        user = self.users.get(int(m[1]))
        return (200, user) if user else self._not_found(10013, "User")

    def _get_member(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        found = self.members.get((int(m[1]), int(m[2])))
        return (200, found) if found else self._not_found(10007, "Member")

    def _get_channel(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self.channels.get(int(m[1]))
        return (200, channel) if channel else self._not_found(10003, "Channel")

    def _edit_channel(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self.channels.get(int(m[1]))
        if channel is None:
            return self._not_found(10003, "Channel")
        for key, value in body.items():
            if key in ("archived", "locked"):
                channel["thread_metadata"][key] = value
            else:
                channel[key] = value
        return 200, channel

    def _create_message(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        channel_id = int(m[1])
        channel = self.channels.get(channel_id)
        if channel is None:
            return self._not_found(10003, "Channel")
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self.closed_dms:
            return 403, {"code": 50007, "message": "Cannot send messages to this user"}
        body = body or {}
        if body.get("enforce_nonce") and (channel_id, body.get("nonce")) in self.nonces:
            # Discord answers a repeated nonce with the message it already created.
            return 200, self.messages[self.nonces[(channel_id, body["nonce"])]]
        guild_id = int(channel["guild_id"]) if "guild_id" in channel else None
        data = p.message(
            p.snowflake(),
            channel_id,
            p.BOT_ID,
            "ticebot",
            (body or {}).get("content") or "",
            guild_id=guild_id,
            bot=True,
            components=body.get("components"),
        )
        if body.get("nonce") is not None:
            self.nonces[(channel_id, body["nonce"])] = int(data["id"])
        return 200, self.add_message(data)

    def _get_message(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        found = self.messages.get(int(m[2]))
        if found is None or int(found["channel_id"]) != int(m[1]):
            return self._not_found(10008, "Message")
        return 200, found

    def _thread_from_message(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        parent_id, message_id = int(m[1]), int(m[2])
        if message_id in self.channels:
            return 400, {"code": 160004, "message": "A thread has already been created for this message"}
        return 201, self.add_channel(p.thread(message_id, parent_id, body["name"], owner_id=p.BOT_ID))

    def _forum_post(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        forum_id = int(m[1])
        thread_id = p.snowflake()
        data = self.add_channel(p.thread(thread_id, forum_id, body["name"], owner_id=p.BOT_ID))
        starter = self.add_message(
            p.message(thread_id, thread_id, p.BOT_ID, "ticebot", body["message"].get("content") or "", bot=True)
        )
        return 201, {**data, "message": starter}

    def _sync(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, [
            {
                **cmd,
                "id": str(p.snowflake()),
                "application_id": str(p.APP_ID),
                "version": "1",
                "default_member_permissions": None,
            }
            for cmd in body
        ]

    def _callback(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, {"interaction": {"id": m[1], "type": 2}}

    def _followup(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, p.message(p.snowflake(), 1, p.BOT_ID, "ticebot", (body or {}).get("content") or "", bot=True)

    # ------------------------------------------------------------ reading interaction answers

    def callbacks(self) -> list[Call]:
        return self.find("POST", r"/interactions/\d+/[^/]+/callback")


def default_spaces() -> SpaceDirectory:
    return SpaceDirectory(
        [
            DiscordSpace(
                space_id="gfp-lettres",
                guild_id=p.GUILD_ID,
                channels={"sos": p.SOS_FORUM, "general": p.GENERAL, "trainers": p.TRAINERS},
                roles={str(p.TRAINER_ROLE): "trainer", "Tuteurs": "tutor"},
            )
        ]
    )


class Harness:
    """Our real client wired to the fake API; gateway events are parsed by discord.py itself."""

    def __init__(self, client: TicebotDiscord, api: FakeDiscordAPI, events: list[CoreEvent]) -> None:
        self.client = client
        self.api = api
        self.events = events
        self.adapter = DiscordAdapter(client)

    @property
    def state(self) -> Any:
        return self.client._connection

    @classmethod
    async def start(
        cls,
        *,
        spaces: SpaceDirectory | None = None,
        sink: Callable[[CoreEvent], Any] | None = None,
        referentials: Callable[[str], Any] | None = None,
        guild: Payload | None = None,
        api: FakeDiscordAPI | None = None,
    ) -> Harness:
        events: list[CoreEvent] = []

        async def record(event: CoreEvent) -> None:
            events.append(event)
            if sink is not None:
                await sink(event)

        api = api or FakeDiscordAPI()
        client = TicebotDiscord(spaces=spaces or default_spaces(), sink=record, referentials=referentials)
        # What Client.login does, minus the network: loop-bound objects, the session, our own user.
        await client._async_setup_hook()
        client.http._HTTPClient__session = FakeSession(api)  # type: ignore[attr-defined]
        client.http._global_over = asyncio.Event()
        client.http._global_over.set()
        client.http.token = "fake-token"
        state = client._connection
        state.user = discord.ClientUser(state=state, data=p.user(p.BOT_ID, "ticebot", bot=True))
        state.application_id = p.APP_ID
        await client.setup_hook()
        harness = cls(client, api, events)
        await harness.gateway("GUILD_CREATE", guild or p.guild())
        client._ready.set()  # what READY does: the adapter now delivers
        return harness

    async def gateway(self, event: str, payload: Payload) -> None:
        """Parse a gateway dispatch exactly as the websocket would, then let the handlers run."""
        self.state.parsers[event](payload)
        # Channels the fake API knows are those the "server" has; keep it in step with the gateway.
        if event in ("GUILD_CREATE",):
            for channel in payload.get("channels", []) + payload.get("threads", []):
                self.api.add_channel({**channel, "guild_id": payload["id"]})
            for m in payload.get("members", []):
                self.api.users[int(m["user"]["id"])] = m["user"]
                self.api.members[(int(payload["id"]), int(m["user"]["id"]))] = m
        elif event in ("THREAD_CREATE", "CHANNEL_CREATE"):
            self.api.add_channel(payload)
        elif event == "MESSAGE_CREATE":
            self.api.add_message(payload)
        await self.settle()

    async def settle(self) -> None:
        """Wait for every task discord.py scheduled (event handlers, command and view callbacks)."""
        me = asyncio.current_task()
        for _ in range(20):
            pending = [t for t in asyncio.all_tasks() if t is not me and not t.done() and _ours(t)]
            if not pending:
                return
            await asyncio.wait(pending, timeout=5)

    async def close(self) -> None:
        self.client._ready.clear()
        await self.settle()


def _ours(task: asyncio.Task[Any]) -> bool:
    name = task.get_name()
    return name.startswith(("discord.py:", "CommandTree-invoker", "discord-ui-")) or "dispatch" in name


@dataclass(frozen=True)
class Item:
    code: str
    label: str


class TinyReferential:
    """The two attributes autocomplete reads (`.competences()` → `.code`, `.label`)."""

    ITEMS = (
        Item("A1-3", "Choisir et utiliser les ressources et services disponibles dans un ENT."),
        Item("B2-1", "Concevoir des situations d'apprentissage mettant en œuvre des outils numériques."),
        Item("B2-2", "Préparer des ressources adaptées à la diversité des publics."),
        Item("B2-3", "Organiser le travail des élèves en intégrant les usages numériques."),
        Item("B3-1", "Conduire des situations d'apprentissage diversifiées."),
        Item("C2-1", "Évaluer avec le numérique, en b2b comme ailleurs."),
    )

    def competences(self) -> tuple[Item, ...]:
        return self.ITEMS
