"""How a command handler describes itself: `@command("name", *aliases, usage=...)`.

The decorator only attaches a CommandSpec to the function; nothing is registered at import. The
wiring (`bot/wiring.py`) lists the handlers each capability brings, so import order never matters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.commands.inline import INLINE_MODES
from bot.commands.parser import ParsedCommand

if TYPE_CHECKING:
    from bot.context import Context

Handler = Callable[["Context", ParsedCommand], Awaitable[None]]

_SPEC_ATTRIBUTE = "__ticebot_command__"


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    aliases: tuple[str, ...]
    usage: str  # shown in help and in "did you mean" messages
    inline: str | None = None  # may be written inside a message: "code" | "anywhere" | "end"


def command(name: str, *aliases: str, usage: str = "", inline: str | None = None) -> Callable[[Handler], Handler]:
    if inline is not None and inline not in INLINE_MODES:
        raise ValueError(f"/{name}: inline must be one of {', '.join(INLINE_MODES)}")

    def describe(handler: Handler) -> Handler:
        setattr(handler, _SPEC_ATTRIBUTE, CommandSpec(name, handler, aliases, usage or f"/{name}", inline))
        return handler

    return describe


def spec_of(handler: Any) -> CommandSpec:
    spec = getattr(handler, _SPEC_ATTRIBUTE, None)
    if not isinstance(spec, CommandSpec):
        raise TypeError(f"{handler!r} is not a command handler (missing @command)")
    return spec
