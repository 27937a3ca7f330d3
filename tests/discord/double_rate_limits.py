"""Double of Discord's rate limits (Discord docs, Topics → Rate Limits):

- per-route buckets, counted per top-level resource (channel, guild, webhook) as Discord does; every
  answer in a bucket carries `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds), `-Reset-After`
  (seconds) and `-Bucket` (a hash naming the bucket), which discord.py reads to wait before it is refused;
- the global limit: 50 requests per second per bot, interaction endpoints excepted;
- a refused request answers 429 with `{"message", "retry_after", "global"}`, the headers `Retry-After`,
  `X-RateLimit-Scope` (`user` or `global`, plus `X-RateLimit-Global: true`) and, as on Discord's edge,
  `Via` — discord.py takes a 429 without `Via` for a Cloudflare ban and does not retry it.

Discord says the per-route numbers change and must be read from the headers; the defaults below are the
commonly observed ones (5 messages per 5 s per channel, 1 reaction per 0.25 s), and a test may tighten
them. `storm(...)` makes the double refuse writes for a while, as Discord does under load.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field

from double_clock import DoubleClock

GLOBAL_LIMIT = 50  # requests per second
Headers = dict[str, str]
Answer = tuple[int, dict[str, object], Headers]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: re.Pattern[str]
    limit: int
    window: float  # seconds


DEFAULT_ROUTES = (
    Route("create-message", "POST", re.compile(r"/channels/(\d+)/messages"), 5, 5.0),
    Route("reaction", "PUT", re.compile(r"/channels/(\d+)/messages/\d+/reactions/[^/]+/@me"), 1, 0.25),
    Route("thread-create", "POST", re.compile(r"/channels/(\d+)(?:/messages/\d+)?/threads"), 10, 10.0),
    Route("channel-edit", "PATCH", re.compile(r"/channels/(\d+)"), 10, 10.0),
    Route("dm-open", "POST", re.compile(r"/users/@me/channels"), 10, 10.0),
    Route("history", "GET", re.compile(r"/channels/(\d+)/messages"), 5, 1.0),
)
_EXEMPT = re.compile(r"/interactions/.*")  # interaction callbacks are not under the global limit


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass
class RateLimits:
    clock: DoubleClock
    routes: tuple[Route, ...] = DEFAULT_ROUTES
    global_limit: int = GLOBAL_LIMIT
    refused: list[tuple[str, str, bool]] = field(default_factory=list)  # (method, path, global)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)
    _global: _Window | None = None
    _storm_until: float = 0.0
    _storm_retry: float = 0.0
    _storm_global: bool = False

    def tighten(self, name: str, limit: int, window: float) -> None:
        self.routes = tuple(
            Route(r.name, r.method, r.path, limit, window) if r.name == name else r for r in self.routes
        )

    def storm(self, seconds: float, retry_after: float, *, global_: bool = False) -> None:
        """Every write (and, if `global_`, every request) is refused for `seconds` from now."""
        self._storm_until = self.clock.now() + seconds
        self._storm_retry, self._storm_global = retry_after, global_

    def calm(self) -> None:
        """End a storm now."""
        self._storm_until = 0.0

    def _route(self, method: str, path: str) -> tuple[Route, str] | None:
        for route in self.routes:
            match = route.path.fullmatch(path)
            if route.method == method and match:
                return route, match[1] if match.groups() else ""
        return None

    def _window(self, key: tuple[str, str], window: float, now: float) -> _Window:
        current = self._windows.get(key)
        if current is None or now >= current.started + window:
            current = self._windows[key] = _Window(now)
        return current

    def check(self, method: str, path: str) -> Answer | None:
        """A 429 answer when the request must be refused, else None (the request is counted)."""
        now = self.clock.now()
        if now < self._storm_until and (self._storm_global or method != "GET"):
            return self._refuse(method, path, min(self._storm_retry, self._storm_until - now), self._storm_global, None)
        if not _EXEMPT.fullmatch(path):
            if self._global is None or now >= self._global.started + 1.0:
                self._global = _Window(now)
            if self._global.used >= self.global_limit:
                return self._refuse(method, path, self._global.started + 1.0 - now, True, None)
            self._global.used += 1
        found = self._route(method, path)
        if found is None:
            return None
        route, major = found
        window = self._window((route.name, major), route.window, now)
        if window.used >= route.limit:
            return self._refuse(method, path, window.started + route.window - now, False, (route, major))
        window.used += 1
        return None

    def headers(self, method: str, path: str) -> Headers:
        """The X-RateLimit-* headers of an accepted request's answer."""
        found = self._route(method, path)
        if found is None:
            return {}
        route, major = found
        now = self.clock.now()
        window = self._window((route.name, major), route.window, now)
        return self._bucket_headers(route, window, now)

    @staticmethod
    def _bucket_headers(route: Route, window: _Window, now: float) -> Headers:
        reset_after = max(0.0, window.started + route.window - now)
        return {
            "X-RateLimit-Limit": str(route.limit),
            "X-RateLimit-Remaining": str(max(0, route.limit - window.used)),
            "X-RateLimit-Reset": f"{now + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.blake2b(route.name.encode(), digest_size=8).hexdigest(),
        }

    def _refuse(
        self, method: str, path: str, retry_after: float, global_: bool, bucket: tuple[Route, str] | None
    ) -> Answer:
        retry_after = max(0.001, retry_after)
        self.refused.append((method, path, global_))
        headers: Headers = {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": "global" if global_ else "user",
            "Via": "1.1 google",
        }
        if global_:
            headers["X-RateLimit-Global"] = "true"
        elif bucket is not None:
            route, major = bucket
            now = self.clock.now()
            headers.update(self._bucket_headers(route, self._window((route.name, major), route.window, now), now))
        body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": global_}
        return 429, body, headers
