"""Runs a replay script through the real core with a fake clock, printing every bot action."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.console.adapter import ConsoleAdapter, Delivered
from adapters.console.script import ScriptError, Step, parse_line, parse_script, parse_time
from bot.app import TicebotApp
from bot.clock import FakeClock
from bot.config import ReviewPolicy, Settings, SosPolicy, SpaceConfig
from bot.events import PostCreated, PostEdited, ReactionAdded
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef
from bot.registry import Registry

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_START = datetime(2026, 9, 7, 9, 0, tzinfo=PARIS)
DEFAULT_KINDS = {"sos": "sos", "formateurs": "trainers", "trainers": "trainers", "general": "general",
                 "annonces": "announcements", "announcements": "announcements"}  # fmt: skip


class ExpectationFailed(Exception):
    pass


@dataclass
class _Space:
    config: SpaceConfig
    channels: dict[str, str] = field(default_factory=dict)


class Replay:
    """One scenario run. Feed it lines (`run_script` or `run_line`) and read `adapter.delivered`."""

    def __init__(self, emit: Callable[[str], None] | None = None, json_lines: bool = False,
                 database_url: str | None = None, echo_posts: bool = False,
                 registry: Registry | None = None) -> None:
        self.registry = registry  # None: every capability (bot/wiring.py)
        self.clock = FakeClock(DEFAULT_START)
        self.adapter = ConsoleAdapter(self.clock, emit, json_lines)
        self.emit = emit
        self.echo_posts = echo_posts and not json_lines
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if database_url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ticebot-replay-")
            database_url = f"sqlite+aiosqlite:///{Path(self._tmp.name) / 'replay.db'}"
        self.database_url = database_url
        self.app: TicebotApp | None = None
        self.spaces: dict[str, _Space] = {}
        self.current_space: str | None = None
        self.people: dict[str, str] = {}  # name -> space
        self.languages: dict[str, str] = {}  # name -> preferred language (member lang=en)
        self.threads: list[ThreadRef] = []
        self.current_thread: ThreadRef | None = None
        self.last_post: dict[str, MessageRef] = {}  # per person, for edits
        self.last_human_post: MessageRef | None = None
        self._ids = itertools.count(1)
        self._seen = 0  # delivered actions already checked by `expect`

    # ---- set-up --------------------------------------------------------------------------------

    async def _ensure_app(self) -> TicebotApp:
        if self.app is None:
            if not self.spaces:
                self._add_space(Step(0, "space", target="demo"))
            settings = Settings(spaces=[s.config for s in self.spaces.values()])
            self.app = await TicebotApp.create(settings, clock=self.clock, database_url=self.database_url,
                                              registry=self.registry)
            self.app.register_adapter(self.adapter)
            for name, lang in self.languages.items():
                await self.app.core.set_language(self._user(name), lang)
            for space_id, space in self.spaces.items():
                for name, kind in space.channels.items():
                    await self.app.core.register_channel(space_id, ChannelRef("console", name), kind, name)
        return self.app

    def _add_space(self, step: Step) -> None:
        if self.app is not None:
            raise ScriptError(step.line_no, "déclarez les espaces, personnes et salons avant le premier message")
        o = step.options
        holidays = []
        for span in filter(None, o.get("holidays", "").split(",")):
            start, _, end = span.partition("..")
            holidays.append((parse_time(start, step.line_no).date(), parse_time(end or start, step.line_no).date()))
        policy: dict[str, object] = {}
        if "oncall" in o:  # weekly rotation: the first name is on call the week of 2026-09-07 (or oncall_from=)
            policy["oncall"] = [f"console:{name}" for name in o["oncall"].split(",") if name]
            policy["oncall_from"] = o.get("oncall_from", DEFAULT_START.date().isoformat())
        if "backup" in o:  # spaces whose formateurs stand in when nobody of this one is available
            policy["backup_spaces"] = [name for name in o["backup"].split(",") if name]
            policy["backup_when"] = o.get("backup_when", "absent")
        if "alert_again" in o:
            policy["alert_asked_again"] = o["alert_again"] == "yes"
        if o.get("private") == "yes":
            policy["private"] = True
        if "quiet" in o:
            policy["quiet_hours"] = o["quiet"]
        if "weekends" in o:
            policy["quiet_weekends"] = o["weekends"] == "quiet"
        try:
            sos = SosPolicy(delay=o.get("delay", "4d"), policy=o.get("policy", "calendar"),  # type: ignore[arg-type]
                            next_reply_delay=o.get("next_reply", "2d"), solved_check_after=o.get("solved_check", "2d"),
                            school_holidays=holidays, **policy)  # type: ignore[arg-type]
            config = SpaceConfig(id=step.target, referential=o.get("referential", "c2i2e"),
                                 language=o.get("lang", "fr"), sos=sos,  # type: ignore[arg-type]
                                 private=o.get("private", "no") in ("yes", "true", "oui"),
                                 faq_share=[s for s in o.get("faq_share", "").split(",") if s],
                                 review=ReviewPolicy(delay=o.get("review", "7d")))
        except ValueError as exc:
            raise ScriptError(step.line_no, f"espace mal décrit : {exc}") from exc
        self.spaces[step.target] = _Space(config, {name: kind for name, kind in DEFAULT_KINDS.items()
                                                   if name in ("sos", "formateurs", "general", "annonces")})
        self.current_space = step.target

    def _space(self, step: Step) -> _Space:
        if self.current_space is None:
            self._add_space(Step(step.line_no, "space", target="demo"))
        assert self.current_space is not None
        return self.spaces[self.current_space]

    # ---- running -------------------------------------------------------------------------------

    async def run_script(self, text: str) -> None:
        for step in parse_script(text):
            await self.run_step(step)

    async def run_line(self, line: str) -> None:
        step = parse_line(line, 0)
        if step is not None:
            await self.run_step(step)

    async def run_step(self, step: Step) -> None:
        if step.kind == "space":
            self._add_space(step)
        elif step.kind == "person":
            await self._person(step)
        elif step.kind == "channel":
            space = self._space(step)
            space.channels[step.target] = step.options["kind"]
            if self.app is not None:
                await self.app.core.register_channel(self.current_space or "", ChannelRef("console", step.target),
                                                     step.options["kind"], step.target)
        elif step.kind == "at":
            assert step.when is not None
            await self._advance_to(step.when, step)
        elif step.kind == "advance":
            assert step.delta is not None
            await self._advance_to(self.clock.now() + step.delta, step)
        elif step.kind == "thread":
            index = int(step.target) - 1
            if not 0 <= index < len(self.threads):
                raise ScriptError(step.line_no, f"pas de fil n°{step.target} (il y en a {len(self.threads)})")
            self.current_thread = self.threads[index]
        elif step.kind == "expect":
            self._expect(step)
        elif step.kind in ("restart", "down"):
            await self._restart(step.delta)
        else:
            await self._person_acts(step)

    async def _person(self, step: Step) -> None:
        space = self._space(step)
        self.people[step.who] = self.current_space or ""
        roles = space.config.roles.setdefault(step.target, [])
        roles.append(f"console:{step.who}")
        if group := step.options.get("group"):
            key = "trainers" if step.target == "trainer" else "members"
            space.config.groups.setdefault(group, {}).setdefault(key, []).append(f"console:{step.who}")
        if self.app is not None:
            await self.app.core.set_role(self.current_space or "", self._user(step.who), step.target,
                                         step.options.get("group", ""))
        if lang := step.options.get("lang"):
            self.languages[step.who] = lang
            if self.app is not None:
                await self.app.core.set_language(self._user(step.who), lang)

    def _user(self, name: str) -> UserRef:
        return UserRef("console", name, name)

    async def _person_acts(self, step: Step) -> None:
        app = await self._ensure_app()
        user = self._user(step.who)
        event_id = f"e{next(self._ids)}"
        if step.kind == "post":
            channel = ChannelRef("console", step.target)
            if step.target not in self._space(step).channels and not any(
                    step.target in s.channels for s in self.spaces.values()):
                kind = DEFAULT_KINDS.get(step.target, "general")
                self._space(step).channels[step.target] = kind
                await app.core.register_channel(self.current_space or "", channel, kind, step.target)
            message = MessageRef(channel, f"m{event_id[1:]}")
            self.current_thread = ThreadRef(channel, message.id)
            self.threads.append(self.current_thread)
            event = PostCreated(event_id, user, channel, message, step.text, thread=None,
                                title=step.options.get("title", ""))
            self._echo(f"{step.who} → {step.target} (nouveau fil {message.id}) : {step.text}")
        elif step.kind == "reply":
            if self.current_thread is None:
                raise ScriptError(step.line_no, "« reply » sans fil en cours : commencez par « NOM in SALON: … »")
            thread = self.current_thread
            message = MessageRef(thread.channel, f"m{event_id[1:]}")
            event = PostCreated(event_id, user, thread.channel, message, step.text, thread=thread)
            self._echo(f"{step.who} → fil {thread.id} : {step.text}")
        elif step.kind == "dm":
            channel = ChannelRef("console", f"dm-{step.who}")
            message = MessageRef(channel, f"m{event_id[1:]}")
            event = PostCreated(event_id, user, channel, message, step.text, is_direct=True)
            self._echo(f"{step.who} → ticebot (privé) : {step.text}")
        elif step.kind == "edit":
            target = self.last_post.get(step.who)
            if target is None:
                raise ScriptError(step.line_no, f"{step.who} n'a encore rien écrit à modifier")
            await app.submit(PostEdited(event_id, target, step.text))
            await app.run_once()
            return
        elif step.kind == "react":
            target = self._bot_message(step) if step.target else self.last_human_post
            if target is None:
                raise ScriptError(step.line_no, "« react » sans message auquel réagir")
            await app.submit(ReactionAdded(event_id, user, target, step.text))
            self._echo(f"{step.who} réagit {step.text} sur {target.id}")
            await app.run_once()
            return
        else:
            raise ScriptError(step.line_no, f"action inconnue {step.kind}")
        self.last_post[step.who] = message
        self.last_human_post = message
        await app.submit(event)
        await app.run_once()

    def _bot_message(self, step: Step) -> MessageRef:
        """`NAME react ✅ to bot`: the bot's last reply in the current thread (e.g. its acknowledgement)."""
        thread = self.current_thread
        for item in reversed(self.adapter.delivered):
            if thread is not None and item.kind == "reply_in_thread" and item.thread == thread.id:
                return MessageRef(ChannelRef("console", item.channel), item.message_id)
        raise ScriptError(step.line_no, "« react … to bot » : le bot n'a encore rien écrit dans ce fil")

    async def _advance_to(self, target: datetime, step: Step) -> None:
        if self.app is None:
            self.clock.set(target)
            return
        if target < self.clock.now():
            raise ScriptError(step.line_no, "on ne remonte pas le temps : la date est avant l'heure courante")
        # Stop at every due time on the way, so each action carries the time it was really due.
        while True:
            due = await self.app.core.next_due()
            if due is None or due > target:
                break
            if due > self.clock.now():
                self.clock.set(due)
            fired, sent = await self.app.run_once()
            if fired == 0 and sent == 0:
                break
        self.clock.set(target)
        await self.app.run_once()

    async def _restart(self, down_for: timedelta | None) -> None:
        """Stop the bot and start it again on the same database (after `down_for` of downtime)."""
        if self.app is not None:
            await self.app.close()
            self.app = None
        if down_for is not None:
            self.clock.advance(down_for)
        await self._ensure_app()
        assert self.app is not None
        await self.app.run_once()  # the catch-up: what fell due while down fires now, once

    def _echo(self, line: str) -> None:
        if self.echo_posts and self.emit is not None:
            when = self.clock.now().astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            self.emit(f"[{when}] {line}")

    def _expect(self, step: Step) -> None:
        """`expect TEMPLATE [to NAME]`, `expect no TEMPLATE`: checks actions since the last expect."""
        words = step.text.split()
        negate = bool(words) and words[0] in ("no", "pas", "aucun")
        if negate:
            words = words[1:]
        if not words:
            raise ScriptError(step.line_no, "écrivez : expect TEMPLATE [to NOM] ou expect no TEMPLATE")
        template, to = words[0], words[2] if len(words) >= 3 and words[1] == "to" else ""
        recent = self.adapter.delivered[self._seen:]
        found = [d for d in recent if d.template == template and (not to or d.to == to)]
        self._seen = len(self.adapter.delivered)
        if negate and found:
            raise ExpectationFailed(f"ligne {step.line_no} : {template} envoyé alors qu'il ne devait pas l'être")
        if not negate and not found:
            seen = ", ".join(d.template for d in recent) or "rien"
            raise ExpectationFailed(f"ligne {step.line_no} : {template} attendu, vu : {seen}")

    @property
    def delivered(self) -> list[Delivered]:
        return self.adapter.delivered

    async def close(self) -> None:
        if self.app is not None:
            await self.app.close()
        if self._tmp is not None:
            self._tmp.cleanup()


async def replay_text(text: str, **kwargs: object) -> list[Delivered]:
    """Run a whole script and return what the bot did (for tests and tools)."""
    replay = Replay(**kwargs)  # type: ignore[arg-type]
    try:
        await replay.run_script(text)
        return list(replay.delivered)
    finally:
        await replay.close()
