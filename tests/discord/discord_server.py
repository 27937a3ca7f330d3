"""A Discord-compatible server on 127.0.0.1 for end-to-end tests of `ticebot run`.

It serves Discord's HTTP API v10 (the REST double `double_api.FakeDiscordAPI`, with rate limits on)
and its gateway (`double_gateway.Gateway`: websocket, JSON, zlib-stream, RESUME and INVALID_SESSION),
both on the double's wall clock (`double_clock.WallClock`, which a test may move forward). Requests
must carry `Authorization: Bot <token>` (`/gateway`, interaction callbacks and webhooks excepted, as on
Discord). It is a double of the documented behaviour (see each `double_*` module), not Discord.

The test plays people with `dispatch` (or the helpers `forum_post`, `reply`, `react`, `interaction`),
which keep the REST side in step: what was posted while the bot was away is in the channel's history.
It waits for what the bot did with `wait_call`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import discord_payloads as p
import double_gateway
from aiohttp import web
from double_api import Call, FakeDiscordAPI
from double_clock import WallClock

Payload = dict[str, Any]
API_PREFIX = "/api/v10"


class ServerAPI(FakeDiscordAPI):
    """The fake REST API plus the routes a real connection needs before any message."""

    def __init__(self, clock: WallClock, rate_limits: bool) -> None:
        super().__init__(clock=clock, rate_limits=rate_limits)
        self.gateway_url = ""
        self._routes[:0] = [
            ("GET", re.compile(r"/gateway"), lambda m, b, q: (200, {"url": self.gateway_url})),
            ("GET", re.compile(r"/gateway/bot"), self._gateway_bot),
            ("GET", re.compile(r"/oauth2/applications/@me"), lambda m, b, q: (200, application())),
        ]

    def _gateway_bot(self, m: re.Match[str], body: Any, q: dict[str, str]) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}


def application() -> Payload:
    return {
        "id": str(p.APP_ID),
        "name": "ticebot",
        "icon": None,
        "description": "",
        "rpc_origins": [],
        "bot_public": False,
        "bot_require_code_grant": False,
        "owner": p.user(p.CLAIRE, "Claire"),
        "summary": "",
        "verify_key": "0" * 64,
        "team": None,
        "flags": 0,
        "bot": p.user(p.BOT_ID, "ticebot", bot=True),
    }


class DiscordServer:
    def __init__(
        self, token: str, guild: Payload | None = None, *, offset: float = 0.0, rate_limits: bool = True
    ) -> None:
        self.token = token
        self.clock = WallClock(offset)
        self.api = ServerAPI(self.clock, rate_limits)
        self.guild = guild or p.guild()
        self.refused: list[str] = []  # REST paths asked with a wrong or missing token
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.gateway = double_gateway.Gateway(token, self._ready, self._guilds, self._chunk, self._changed.set)
        self.api.observe("GUILD_CREATE", self.guild)

    @property
    def identifies(self) -> list[Payload]:
        return self.gateway.identifies

    @property
    def gateway_queries(self) -> list[dict[str, str]]:
        return self.gateway.queries

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.api.gateway_url = f"ws://127.0.0.1:{self.port}/gateway"

    async def close(self) -> None:
        await self.gateway.drop(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    # ------------------------------------------------------------ REST

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        public = path == "/gateway" or path.startswith(("/interactions/", "/webhooks/"))
        if not public and request.headers.get("Authorization") != f"Bot {self.token}":
            self.refused.append(path)
            return _json(401, {"code": 0, "message": "401: Unauthorized"})
        body, files = await _decode(request)
        answer = await self.api.answer(request.method, path, body, files, dict(request.query))
        self._changed.set()
        return _json(answer.status, answer.body, answer.headers)

    def calls(self, method: str, path: str) -> list[Call]:
        return self.api.find(method, path)

    async def wait_call(
        self, method: str, path: str, predicate: Any = None, within: float = 10.0, skip: int = 0, ok: bool = True
    ) -> Call:
        """The (`skip`+1)-th request matching `method`, the `path` regex and `predicate(call)` (only those
        the double accepted, unless `ok` is False)."""
        deadline = time.monotonic() + within
        while True:
            found = [
                c
                for c in self.calls(method, path)
                if (predicate is None or predicate(c)) and (not ok or 200 <= c.status < 300)
            ]
            if len(found) > skip:
                return found[skip]
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(c.method, c.path, c.status, c.content) for c in self.api.calls]
                raise AssertionError(f"no {method} {path} within {within}s; the bot did: {seen}")
            await self._wait_change(left)

    async def _wait_change(self, left: float) -> None:
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout=min(left, 0.5))
        except TimeoutError:
            pass

    async def wait_until(self, condition: Any, within: float = 10.0, what: str = "condition") -> None:
        deadline = time.monotonic() + within
        while not condition():
            left = deadline - time.monotonic()
            assert left > 0, f"{what} not met within {within}s"
            await self._wait_change(left)

    async def run_until(self, monotonic: float) -> None:
        """Keep serving the bot until `time.monotonic()` reaches `monotonic` (to check nothing happens)."""
        while (left := monotonic - time.monotonic()) > 0:
            await self._wait_change(left)

    # ------------------------------------------------------------ gateway

    def _ready(self, session_id: str) -> Payload:
        return {
            "v": 10,
            "user": p.user(p.BOT_ID, "ticebot", bot=True),
            "guilds": [{"id": self.guild["id"], "unavailable": True}],
            "session_id": session_id,
            "resume_gateway_url": self.api.gateway_url,
            "application": {"id": str(p.APP_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }

    def _guilds(self) -> list[Payload]:
        """The guild as it is now (members, channels and active threads changed while the bot was away)."""
        guild_id = self.guild["id"]
        members = [m for (guild, _), m in self.api.members.items() if str(guild) == guild_id]
        channels = [c for c in self.api.channels.values() if str(c.get("guild_id")) == guild_id]
        threads = [c for c in channels if c["type"] in (10, 11, 12) and not c["thread_metadata"].get("archived")]
        others = [c for c in channels if c["type"] not in (10, 11, 12)]
        now = {"members": members, "member_count": len(members), "channels": others, "threads": threads}
        return [{**self.guild, **now}]

    def _chunk(self, data: Payload) -> Payload:
        members = [m for (guild, _), m in self.api.members.items() if str(guild) == self.guild["id"]]
        return {
            "guild_id": self.guild["id"],
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "nonce": data.get("nonce"),
        }

    async def wait_connected(self, within: float = 60.0, sessions: int = 1) -> None:
        """Until the bot has identified `sessions` times in all and is connected."""
        await self.wait_until(
            lambda: len(self.gateway.sessions) >= sessions and bool(self.gateway.live), within, "the bot identified"
        )

    @property
    def connected(self) -> bool:
        return bool(self.gateway.live)

    async def dispatch(self, event: str, data: Payload) -> int:
        """Send a gateway event to the bot (buffered for a RESUME while it is away), keeping the REST side
        in step (the channel, message or reaction exists). Returns how many connections got it at once."""
        self.api.observe(event, data)
        return await self.gateway.dispatch(event, data)

    # ------------------------------------------------------------ what people do

    def snowflake(self) -> int:
        """An id whose timestamp is the double's now, as Discord's are (the bot reads a post's time from it)."""
        return self.api.ids.next()

    async def forum_post(self, forum: int, author: int, name: str, title: str, text: str) -> int:
        """A new post in a forum channel: THREAD_CREATE, then its starter message (same id)."""
        post_id = self.snowflake()
        thread = {**p.thread(post_id, forum, title, owner_id=author), "newly_created": True}
        thread["thread_metadata"]["archive_timestamp"] = self.api.ids.iso_now()
        await self.dispatch("THREAD_CREATE", thread)
        message = p.message(post_id, post_id, author, name, text)
        message["timestamp"] = self.api.ids.iso_now()
        await self.dispatch("MESSAGE_CREATE", message)
        return post_id

    async def reply(self, thread_id: int, author: int, name: str, text: str, roles: list[int] | None = None) -> int:
        message_id = self.snowflake()
        message = p.message(message_id, thread_id, author, name, text, roles=roles)
        message["timestamp"] = self.api.ids.iso_now()
        await self.dispatch("MESSAGE_CREATE", message)
        return message_id

    async def react(self, message_id: int, channel_id: int, user_id: int, name: str, emoji: str) -> None:
        await self.dispatch("MESSAGE_REACTION_ADD", p.reaction_add(message_id, channel_id, user_id, name, emoji))

    async def interaction(self, payload: Payload) -> str:
        payload = {**payload, "id": str(self.snowflake())}
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload["id"]


def _json(status: int, body: Any, headers: Any = None) -> web.Response:
    extra = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
    if body is None or status == 204:
        return web.Response(status=status, headers=extra)
    # Exactly "application/json": discord.py compares the header, a charset would make it text.
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={**extra, "Content-Type": "application/json"}
    )


async def _decode(request: web.Request) -> tuple[Any, list[str]]:
    """The JSON body (or a multipart's payload_json) and the names of attached files."""
    if request.content_type.startswith("multipart/"):
        body: Any = None
        files: list[str] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":  # type: ignore[union-attr]
                body = json.loads(await part.text())  # type: ignore[union-attr]
            elif part.filename:  # type: ignore[union-attr]
                files.append(part.filename)  # type: ignore[union-attr]
                await part.read()  # type: ignore[union-attr]
        return body, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []
