"""Every command of the core is offered on Discord as a slash command, or listed as text-only with a
reason: a new core command cannot silently miss Discord."""

from __future__ import annotations

from adapters.discord.commands import DM_COMMANDS, SPECS, TEXT_ONLY
from bot.wiring import build_registry

# Commands being added on other branches whose Discord side is done at merge (see TEXT_ONLY to opt out).
ANNOUNCED: frozenset[str] = frozenset()


def test_every_core_command_is_a_slash_command_or_text_only_with_a_reason() -> None:
    core = set(build_registry().commands)
    slash = {spec.name for spec in SPECS}
    missing = core - slash - set(TEXT_ONLY) - ANNOUNCED
    assert not missing, f"add a Spec in adapters/discord/commands.py, or a TEXT_ONLY reason, for: {sorted(missing)}"
    assert all(reason.strip() for reason in TEXT_ONLY.values())
    assert not slash & set(TEXT_ONLY)


def test_every_slash_command_is_a_core_command_under_the_same_name() -> None:
    """The slash call becomes CommandInvoked(name=spec.name): the core must know that name."""
    core = set(build_registry().commands)
    assert {spec.name for spec in SPECS} <= core
    assert DM_COMMANDS <= {spec.name for spec in SPECS}
    assert set(TEXT_ONLY) <= core | ANNOUNCED
