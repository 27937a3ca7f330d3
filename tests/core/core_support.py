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


def where(action: A.CoreAction) -> str:
    """The conversation an action goes to, as tests name it: a thread id, "dm:<user>" or a channel id."""
    if isinstance(action, A.ReplyInThread | A.MarkThread):
        return action.thread.id
    if isinstance(action, A.SendDirect):
        return f"dm:{action.user.id}"
    if isinstance(action, A.React):
        return action.message.channel.id
    return action.channel.id


class RecordingAdapter:
    """Delivers into a list; can be told to fail the next N deliveries (transiently or for good), or only
    those going to one conversation (`fail_in`: transient, `broken`: permanent, keyed by `where`)."""

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.sent: list[A.CoreAction] = []
        self.fail_next = 0
        self.fail_permanently = False
        self.fail_in: dict[str, int] = {}
        self.broken: set[str] = set()
        self.retry_after: float | None = 5
        self.calls = 0

    async def deliver(self, action: A.CoreAction) -> str | None:
        self.calls += 1
        place = where(action)
        if self.fail_permanently or place in self.broken:
            raise DeliveryFailed("room gone")
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RetryLater("server down", retry_after=self.retry_after)
        if self.fail_in.get(place, 0) > 0:
            self.fail_in[place] -= 1
            raise RetryLater("rate limited in this room", retry_after=self.retry_after)
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
