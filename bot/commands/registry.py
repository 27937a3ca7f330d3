"""Where commands are declared. Services register handlers with @command; the core looks them up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.commands.parser import CommandParser, ParsedCommand

if TYPE_CHECKING:
    from bot.context import Context

Handler = Callable[["Context", ParsedCommand], Awaitable[None]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    aliases: tuple[str, ...]
    usage: str  # shown in help and in "did you mean" messages


COMMANDS: dict[str, CommandSpec] = {}


def command(name: str, *aliases: str, usage: str = "") -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = CommandSpec(name, handler, aliases, usage or f"/{name}")
        return handler

    return register


def parser() -> CommandParser:
    names: dict[str, str] = {}
    for spec in COMMANDS.values():
        names[spec.name] = spec.name
        for alias in spec.aliases:
            names[alias] = spec.name
    return CommandParser(names)
