"""Double of Discord's gateway session rules (Discord docs, Events → Gateway: Connecting, Resuming,
Invalid Session; Opcodes and Status Codes):

- HELLO (op 10) first; the bot IDENTIFYs (op 2) and gets READY with a `session_id`, a
  `resume_gateway_url` and its guilds unavailable, then one GUILD_CREATE per guild; HEARTBEAT (op 1) is
  ACKed (op 11); REQUEST_GUILD_MEMBERS (op 8) answers one GUILD_MEMBERS_CHUNK;
- every dispatch carries the session's next sequence number `s`;
- after a dropped connection the bot may RESUME (op 6) with its `session_id` and the last `seq` it saw:
  "Discord will respond by replaying all missed events in order, finalized by a Resumed event";
- a session that cannot be resumed answers INVALID_SESSION (op 9) with `d: false`: the bot must
  IDENTIFY again as a new session (and has missed whatever happened meanwhile: hence its catch-up);
- transport compression `zlib-stream` when asked: one zlib context per connection, each message ending
  with the Z_SYNC_FLUSH suffix.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

Payload = dict[str, Any]
HEARTBEAT_INTERVAL_MS = 41_250
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 8, 9, 10, 11
REPLAY_LIMIT = 1000  # events kept per session for a RESUME


@dataclass
class Session:
    """What the server remembers of a session, across its connections."""

    session_id: str
    sequence: int = 0
    resumable: bool = True
    missed: list[tuple[int, str, Payload]] = field(default_factory=list)  # (seq, event, data) while away
    connection: Connection | None = None


class Connection:
    """One websocket of the bot."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.session: Session | None = None
        self._deflate = zlib.compressobj() if compress else None

    async def send(self, op: int, data: Any, event: str | None = None, seq: int | None = None) -> None:
        message: Payload = {"op": op, "d": data, "s": seq, "t": event}
        text = json.dumps(message)
        if self._deflate is None:
            await self.ws.send_str(text)
        else:  # zlib-stream: one shared context, each message ends with a Z_SYNC_FLUSH marker
            await self.ws.send_bytes(self._deflate.compress(text.encode()) + self._deflate.flush(zlib.Z_SYNC_FLUSH))


class Gateway:
    def __init__(
        self,
        token: str,
        ready: Callable[[str], Payload],
        guilds: Callable[[], list[Payload]],
        members_chunk: Callable[[Payload], Payload],
        on_change: Callable[[], None],
    ) -> None:
        self.token = token
        self._ready, self._guilds, self._chunk, self._changed = ready, guilds, members_chunk, on_change
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.identifies: list[Payload] = []
        self.resumes: list[Payload] = []
        self.queries: list[dict[str, str]] = []
        self._ids = itertools.count(1)
        self.refuse_identify: int | None = None  # a close code for the next IDENTIFY (e.g. 4013)

    # ------------------------------------------------------------ test controls

    @property
    def live(self) -> list[Connection]:
        return [c for c in self.connections if c.session is not None]

    async def drop(self, code: int = 4000) -> None:
        """Close every connection as a network failure would: the sessions stay resumable."""
        for connection in list(self.connections):
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None  # what is dispatched from now on waits for a RESUME
            await connection.ws.close(code=code, message=b"dropped by the test")

    def invalidate(self) -> None:
        """From now on, no existing session can be resumed (Discord restarted, session expired…)."""
        for session in self.sessions.values():
            session.resumable = False

    async def dispatch(self, event: str, data: Payload) -> int:
        """Send `event` to every session: live ones at once, others on RESUME. Returns how many got it live."""
        sent = 0
        for session in self.sessions.values():
            session.sequence += 1
            if session.connection is not None:
                try:
                    await session.connection.send(DISPATCH, data, event, session.sequence)
                    sent += 1
                    continue
                except (ConnectionError, RuntimeError):
                    session.connection = None  # it went away meanwhile: keep the event for a RESUME
            if session.resumable:
                session.missed = (session.missed + [(session.sequence, event, data)])[-REPLAY_LIMIT:]
        return sent

    # ------------------------------------------------------------ the websocket

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        query = dict(request.query)
        self.queries.append(query)
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        if query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only JSON encoding")
            return ws
        connection = Connection(ws, compress=query.get("compress") == "zlib-stream")
        self.connections.append(connection)
        await connection.send(HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    break
                payload = json.loads(message.data)
                await self._on_op(connection, payload.get("op"), payload.get("d"))
        finally:
            self.connections.remove(connection)
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
            self._changed()
        return ws

    async def _on_op(self, connection: Connection, op: int, data: Any) -> None:
        if op == HEARTBEAT:
            await connection.send(HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            await self._identify(connection, data)
        elif op == RESUME:
            await self._resume(connection, data)
        elif op == REQUEST_MEMBERS:
            session = connection.session
            if session is not None:
                session.sequence += 1
                await connection.send(DISPATCH, self._chunk(data), "GUILD_MEMBERS_CHUNK", session.sequence)

    async def _identify(self, connection: Connection, data: Payload) -> None:
        self.identifies.append(data)
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        if self.refuse_identify is not None:
            code, self.refuse_identify = self.refuse_identify, None
            await connection.ws.close(code=code, message=b"refused by the test")
            return
        session = Session(session_id=f"session-{next(self._ids)}")
        self.sessions[session.session_id] = session
        connection.session, session.connection = session, connection
        for event, payload in [("READY", self._ready(session.session_id))] + [
            ("GUILD_CREATE", guild) for guild in self._guilds()
        ]:
            session.sequence += 1
            await connection.send(DISPATCH, payload, event, session.sequence)
        self._changed()

    async def _resume(self, connection: Connection, data: Payload) -> None:
        self.resumes.append(data)
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.token or session is None or not session.resumable:
            await connection.send(INVALID_SESSION, False)
            return
        seen = int(data.get("seq") or 0)
        connection.session, session.connection = session, connection
        for seq, event, payload in session.missed:
            if seq > seen:
                await connection.send(DISPATCH, payload, event, seq)
        session.missed = []
        session.sequence += 1
        await connection.send(DISPATCH, {}, "RESUMED", session.sequence)
        self._changed()
