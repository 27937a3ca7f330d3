"""Test helpers for the core: a recording adapter and an app on a chosen database."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import actions as A
from bot.app import TicebotApp
from bot.clock import FakeClock
from bot.config import Settings, SosPolicy, SpaceConfig
from bot.events import PostCreated, ReactionAdded
from bot.ports import DeliveryFailed, RetryLater
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 9, 7, 9, 0, tzinfo=PARIS)
SOS = ChannelRef("console", "sos")
TRAINERS = ChannelRef("console", "formateurs")


class RecordingAdapter:
    """Delivers into a list; can be told to fail the next N deliveries (transiently or for good)."""

    platform = "console"

    def __init__(self) -> None:
        self.sent: list[A.CoreAction] = []
        self.fail_next = 0
        self.fail_permanently = False
        self.calls = 0

    async def deliver(self, action: A.CoreAction) -> str | None:
        self.calls += 1
        if self.fail_permanently:
            raise DeliveryFailed("room gone")
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RetryLater("server down", retry_after=5)
        self.sent.append(action)
        return f"sent{len(self.sent)}"

    def templates(self) -> list[str]:
        """Templates of what was sent, without the one-time privacy notices (tested in tests/privacy)."""
        return [getattr(a, "template", "") for a in self.core_sent()]

    def core_sent(self) -> list[A.CoreAction]:
        return [a for a in self.sent if not getattr(a, "template", "").startswith("privacy/")]


def space_config(delay: str = "4d", policy: str = "calendar", **extra: object) -> SpaceConfig:
    roles = {"trainer": ["console:fabienne"], "coordinator": ["console:claire"], "member": ["console:alice"]}
    return SpaceConfig(id="demo", referential="c2i2e", sos=SosPolicy(delay=delay, policy=policy),  # type: ignore[arg-type]
                       roles=roles, **extra)  # type: ignore[arg-type]


async def make_app(url: str, clock: FakeClock | None = None, config: SpaceConfig | None = None,
                   adapter: RecordingAdapter | None = None) -> tuple[TicebotApp, RecordingAdapter, FakeClock]:
    clock = clock or FakeClock(START)
    app = await TicebotApp.create(Settings(spaces=[config or space_config()]), clock=clock, database_url=url)
    adapter = adapter or RecordingAdapter()
    app.register_adapter(adapter)
    await app.core.register_channel("demo", SOS, "sos", "sos")
    await app.core.register_channel("demo", TRAINERS, "trainers", "formateurs")
    return app, adapter, clock


def user(name: str) -> UserRef:
    return UserRef("console", name, name)


def question(event_id: str, text: str = "Comment partager un fichier avec mes élèves ?", who: str = "alice",
             msg: str = "q1") -> PostCreated:
    return PostCreated(event_id, user(who), SOS, MessageRef(SOS, msg), text)


def reply(event_id: str, who: str, text: str, root: str = "q1", msg: str | None = None) -> PostCreated:
    return PostCreated(event_id, user(who), SOS, MessageRef(SOS, msg or event_id), text, thread=ThreadRef(SOS, root))


def react(event_id: str, who: str, msg: str, emoji: str = "✅") -> ReactionAdded:
    return ReactionAdded(event_id, user(who), MessageRef(SOS, msg), emoji)
