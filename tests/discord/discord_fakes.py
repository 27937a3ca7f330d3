"""A Discord without network: a fake REST API under discord.py's real HTTP client, and a harness
that feeds raw gateway payloads to discord.py's real parsers.

The fake sits where aiohttp would (`HTTPClient`'s session), so every call the adapter makes goes
through discord.py's own code (payload building, error mapping, rate-limit handling) and is recorded
as the request Discord would have received: `api.calls` is what the adapter *did*.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiohttp
import discord
import discord_payloads as p
from double_api import Call, FakeDiscordAPI
from multidict import CIMultiDict

from adapters.discord.bot import DiscordAdapter, TicebotDiscord
from adapters.discord.spaces import DiscordSpace, SpaceDirectory
from bot.events import CoreEvent

__all__ = ["Call", "FakeDiscordAPI", "FakeResponse", "FakeSession", "Harness", "TinyReferential"]

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


class _Exchange:
    """One request in flight: answered when discord.py enters it (`async with session.request(...)`)."""

    def __init__(self, api: FakeDiscordAPI, method: str, url: str, kwargs: dict[str, Any]) -> None:
        self.api, self.method, self.url, self.kwargs = api, method, url, kwargs

    async def __aenter__(self) -> FakeResponse:
        parts = urlsplit(self.url)
        path = unquote(parts.path.removeprefix("/api/v10"))
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        query.update({k: str(v) for k, v in (self.kwargs.get("params") or {}).items()})
        body, files = _decode(self.kwargs.get("data"))
        answer = await self.api.answer(self.method, path, body, files, query)
        return FakeResponse(answer.status, answer.body, answer.headers)

    async def __aexit__(self, *exc: object) -> None:
        return None


class FakeSession:
    """Stands in for aiohttp.ClientSession inside discord.py's HTTPClient and webhook adapter."""

    closed = False

    def __init__(self, api: FakeDiscordAPI) -> None:
        self.api = api

    def request(self, method: str, url: str, **kwargs: Any) -> _Exchange:
        return _Exchange(self.api, method, url, kwargs)

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
        **client_options: Any,
    ) -> Harness:
        events: list[CoreEvent] = []

        async def record(event: CoreEvent) -> None:
            events.append(event)
            if sink is not None:
                await sink(event)

        api = api or FakeDiscordAPI()
        client = TicebotDiscord(
            spaces=spaces or default_spaces(), sink=record, referentials=referentials, **client_options
        )
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
        # What the bot is told exists, the API has (channels, messages, reactions, interaction tokens).
        try:
            self.api.observe(event, payload)
        except (KeyError, TypeError, ValueError):
            pass  # a deliberately malformed payload: the API keeps its state
        self.state.parsers[event](payload)
        await self.settle()

    async def settle(self) -> None:
        """Wait for every task discord.py scheduled (event handlers, command and view callbacks)."""
        me = asyncio.current_task()
        for _ in range(20):
            pending = [t for t in asyncio.all_tasks() if t is not me and not t.done() and _ours(t)]
            if not pending:
                return
            await asyncio.wait(pending, timeout=5)

    def offline(self, event: str, payload: Payload) -> None:
        """Something happens on Discord while the bot is not connected: the API has it, the bot does not."""
        self.api.observe(event, payload)

    async def new_guild_session(self, guild: Payload) -> None:
        """The GUILD_CREATE of a new session, on an empty cache as discord.py has after READY."""
        known = self.client.get_guild(int(guild["id"]))
        if known is not None:
            self.state._remove_guild(known)
        await self.gateway("GUILD_CREATE", guild)

    async def reconnect(self) -> None:
        """A new gateway session (after a restart, or a session that could not be resumed): READY again,
        hence a catch-up, which this waits for."""
        await self.client.on_connect()
        await self.client.on_ready()
        assert self.client._catchup is not None
        await self.client._catchup
        await self.settle()

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
