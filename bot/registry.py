"""One app's registry: its commands, observers, scheduled-step handlers and start-up hooks.

Built by `bot/wiring.py`, one per Core, so a test can assemble a bot from a subset of capabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.commands.parser import CommandParser
from bot.commands.registry import CommandSpec, spec_of
from bot.hooks import PostObserver, ReactionObserver, StartupHook, StepHandler, step_kind_of


@dataclass
class Registry:
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    post_observers: list[PostObserver] = field(default_factory=list)  # run in this order
    reaction_observers: list[ReactionObserver] = field(default_factory=list)
    step_handlers: dict[str, StepHandler] = field(default_factory=dict)
    startup_hooks: list[StartupHook] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)

    def add_commands(self, *handlers: Any) -> None:
        for handler in handlers:
            spec = spec_of(handler)
            if spec.name in self.commands:
                raise ValueError(f"command /{spec.name} wired twice")
            self.commands[spec.name] = spec

    def add_post_observers(self, *observers: PostObserver) -> None:
        self.post_observers.extend(observers)

    def add_reaction_observers(self, *observers: ReactionObserver) -> None:
        self.reaction_observers.extend(observers)

    def add_steps(self, *handlers: StepHandler) -> None:
        for handler in handlers:
            kind = step_kind_of(handler)
            if kind in self.step_handlers:
                raise ValueError(f"step kind {kind} wired twice")
            self.step_handlers[kind] = handler

    def add_startup_hooks(self, *hooks: StartupHook) -> None:
        self.startup_hooks.extend(hooks)

    def parser(self) -> CommandParser:
        names: dict[str, str] = {}
        inline: dict[str, str] = {}
        for spec in self.commands.values():
            names[spec.name] = spec.name
            for alias in spec.aliases:
                names[alias] = spec.name
            if spec.inline is not None:
                inline[spec.name] = spec.inline
        return CommandParser(names, inline)
