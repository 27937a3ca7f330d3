"""A Discord-compatible server on 127.0.0.1 for end-to-end tests of `ticebot run`.

Just enough of Discord's HTTP API v10 and gateway (websocket, JSON encoding, zlib-stream transport
compression when asked for, as discord.py does) for a bot to connect and work:

- REST: `GET /gateway`, `/gateway/bot`, `/users/@me`, `/oauth2/applications/@me`, and everything
  `FakeDiscordAPI` answers (messages, DMs, threads, channel edits, command sync, interaction callbacks,
  follow-ups), with its state and its record of calls (`server.api.calls`). Requests must carry
  `Authorization: Bot <token>` (`/gateway`, interaction callbacks and webhooks excepted, as on Discord).
- Gateway: HELLO (op 10), IDENTIFY (op 2) → READY (guild unavailable) then GUILD_CREATE (channels,
  members, roles), HEARTBEAT (op 1) → ACK (op 11), REQUEST_GUILD_MEMBERS (op 8) → one chunk, RESUME
  (op 6) → INVALID_SESSION (the bot identifies again).

The test injects gateway events with `dispatch` (or the helpers `forum_post`, `reply`, `interaction`)
and waits for what the bot did with `wait_call`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from typing import Any

import discord
import discord_payloads as p
from aiohttp import WSMsgType, web
from discord_fakes import Call, FakeDiscordAPI, FakeResponse

Payload = dict[str, Any]
API_PREFIX = "/api/v10"
HEARTBEAT_INTERVAL_MS = 41_250

# Gateway opcodes
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 8, 9, 10, 11


class ServerAPI(FakeDiscordAPI):
    """The fake REST API plus the routes a real connection needs before any message."""

    def __init__(self) -> None:
        super().__init__()
        self.gateway_url = ""
        self._routes[:0] = [
            ("GET", re.compile(r"/gateway"), lambda m, b: (200, {"url": self.gateway_url})),
            ("GET", re.compile(r"/gateway/bot"), self._gateway_bot),
            ("GET", re.compile(r"/oauth2/applications/@me"), lambda m, b: (200, application())),
        ]

    def _gateway_bot(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
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


class GatewaySession:
    """One websocket connection of the bot."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.sequence = 0
        self.identified = False
        self._deflate = zlib.compressobj() if compress else None

    async def send(self, op: int, data: Any, event: str | None = None) -> None:
        message: Payload = {"op": op, "d": data, "s": None, "t": event}
        if op == DISPATCH:
            self.sequence += 1
            message["s"] = self.sequence
        text = json.dumps(message)
        if self._deflate is None:
            await self.ws.send_str(text)
        else:  # zlib-stream: one shared context, each message ends with a Z_SYNC_FLUSH marker
            await self.ws.send_bytes(self._deflate.compress(text.encode()) + self._deflate.flush(zlib.Z_SYNC_FLUSH))


class DiscordServer:
    def __init__(self, token: str, guild: Payload | None = None) -> None:
        self.token = token
        self.api = ServerAPI()
        self.guild = guild or p.guild()
        self.sessions: list[GatewaySession] = []
        self.identifies: list[Payload] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.refused: list[str] = []  # REST paths asked with a wrong or missing token
        self._seq = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        for channel in self.guild["channels"] + self.guild.get("threads", []):
            self.api.add_channel({**channel, "guild_id": self.guild["id"]})
        for member in self.guild["members"]:
            user_id = int(member["user"]["id"])
            self.api.users[user_id] = member["user"]
            self.api.members[(int(self.guild["id"]), user_id)] = member

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.api.gateway_url = f"ws://127.0.0.1:{self.port}/gateway"

    async def close(self) -> None:
        for session in self.sessions:
            await session.ws.close()
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
        answer: FakeResponse = self.api.answer(request.method, path, body, files)
        self._changed.set()
        return _json(answer.status, await answer.json(), answer.headers)

    def calls(self, method: str, path: str) -> list[Call]:
        return self.api.find(method, path)

    async def wait_call(
        self, method: str, path: str, predicate: Any = None, within: float = 10.0, skip: int = 0
    ) -> Call:
        """The (`skip`+1)-th request matching `method`, the `path` regex and `predicate(call)`."""
        deadline = time.monotonic() + within
        while True:
            found = [c for c in self.calls(method, path) if predicate is None or predicate(c)]
            if len(found) > skip:
                return found[skip]
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(c.method, c.path, c.content) for c in self.api.calls]
                raise AssertionError(f"no {method} {path} within {within}s; the bot did: {seen}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(left, 0.5))
            except TimeoutError:
                pass

    async def run_until(self, monotonic: float) -> None:
        """Keep serving the bot until `time.monotonic()` reaches `monotonic` (to check nothing happens)."""
        while (left := monotonic - time.monotonic()) > 0:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=left)
            except TimeoutError:
                pass

    # ------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        query = dict(request.query)
        self.gateway_queries.append(query)
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        if query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only JSON encoding")
            return ws
        session = GatewaySession(ws, compress=query.get("compress") == "zlib-stream")
        self.sessions.append(session)
        await session.send(HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            await self._on_op(session, payload.get("op"), payload.get("d"))
        self.sessions.remove(session)
        return ws

    async def _on_op(self, session: GatewaySession, op: int, data: Any) -> None:
        if op == HEARTBEAT:
            await session.send(HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            self.identifies.append(data)
            if data.get("token") != self.token:
                await session.ws.close(code=4004, message=b"Authentication failed.")
                return
            session.identified = True
            await session.send(
                DISPATCH,
                {
                    "v": 10,
                    "user": p.user(p.BOT_ID, "ticebot", bot=True),
                    "guilds": [{"id": self.guild["id"], "unavailable": True}],
                    "session_id": f"session-{next(self._seq)}",
                    "resume_gateway_url": self.api.gateway_url,
                    "application": {"id": str(p.APP_ID), "flags": 0},
                    "private_channels": [],
                    "relationships": [],
                },
                "READY",
            )
            await session.send(DISPATCH, self.guild, "GUILD_CREATE")
            self._changed.set()
        elif op == RESUME:
            await session.send(INVALID_SESSION, False)
        elif op == REQUEST_MEMBERS:
            chunk = {
                "guild_id": self.guild["id"],
                "members": self.guild["members"],
                "chunk_index": 0,
                "chunk_count": 1,
                "nonce": data.get("nonce"),
            }
            await session.send(DISPATCH, chunk, "GUILD_MEMBERS_CHUNK")

    async def wait_connected(self, within: float = 15.0) -> None:
        deadline = time.monotonic() + within
        while not any(s.identified for s in self.sessions):
            assert time.monotonic() < deadline, f"the bot did not identify within {within}s ({self.api.calls})"
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=0.5)
            except TimeoutError:
                pass

    async def dispatch(self, event: str, data: Payload) -> None:
        """Send a gateway event to the bot, keeping the REST side in step (the channel or message exists)."""
        if event in ("THREAD_CREATE", "CHANNEL_CREATE"):
            self.api.add_channel(data)
        elif event == "MESSAGE_CREATE":
            self.api.add_message(data)
        sessions = [s for s in self.sessions if s.identified]
        assert sessions, "the bot is not connected to the gateway"
        for session in sessions:
            await session.send(DISPATCH, data, event)

    # ------------------------------------------------------------ what people do

    def snowflake(self) -> int:
        """An id whose timestamp is now, as Discord's are (the bot reads a post's time from its id)."""
        return discord.utils.time_snowflake(discord.utils.utcnow()) + next(self._seq)

    async def forum_post(self, forum: int, author: int, name: str, title: str, text: str) -> int:
        """A new post in a forum channel: THREAD_CREATE, then its starter message (same id)."""
        post_id = self.snowflake()
        thread = {**p.thread(post_id, forum, title, owner_id=author), "newly_created": True}
        await self.dispatch("THREAD_CREATE", thread)
        message = p.message(post_id, post_id, author, name, text)
        message["timestamp"] = discord.utils.snowflake_time(post_id).isoformat()
        await self.dispatch("MESSAGE_CREATE", message)
        return post_id

    async def reply(self, thread_id: int, author: int, name: str, text: str, roles: list[int] | None = None) -> int:
        message_id = self.snowflake()
        message = p.message(message_id, thread_id, author, name, text, roles=roles)
        message["timestamp"] = discord.utils.snowflake_time(message_id).isoformat()
        await self.dispatch("MESSAGE_CREATE", message)
        return message_id

    async def interaction(self, payload: Payload) -> None:
        payload = {**payload, "id": str(self.snowflake())}
        await self.dispatch("INTERACTION_CREATE", payload)


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
