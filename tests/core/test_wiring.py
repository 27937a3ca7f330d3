"""The explicit wiring: one registry per app, built from a chosen subset of capabilities."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from core_support import START

from bot.clock import FakeClock
from bot.core import Core
from bot.db.database import Database
from bot.wiring import CAPABILITIES, build_registry

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = {"bot/cli.py", "bot/runner.py"}


def test_every_capability_is_wired_once_in_order() -> None:
    reg = build_registry()
    assert reg.capabilities == list(CAPABILITIES)
    names = [fn.__name__ for fn in reg.post_observers]
    # first contact before anything speaks; tagging before SOS so a question's tags can route it
    assert names.index("first_contact") < names.index("tagging_on_post") < names.index("sos_on_post")
    assert {"sos", "declare", "valider", "portfolio", "digest", "aide"} <= set(reg.commands)
    assert {"sos.nudge", "sos.breach", "declaration.reminder", "privacy.retention"} <= set(reg.step_handlers)


def test_registries_are_per_app() -> None:
    only_sos = build_registry(["sos"])
    assert set(only_sos.commands) == {"sos", "resolu", "claim", "passer", "pas-resolu", "reouvrir", "sla", "absent",
                                      "permanence"}
    assert "declare" in build_registry().commands  # building a subset changed nothing global
    with pytest.raises(ValueError, match="unknown capabilities"):
        build_registry(["sos", "teleportation"])


async def test_an_app_from_a_subset_ignores_what_it_does_not_have(tmp_path: Path) -> None:
    """A core wired with SOS only opens questions and answers /declare as an unknown command."""
    from adapters.console.replay import Replay

    replay = Replay(registry=build_registry(["sos"]), json_lines=True)
    try:
        await replay.run_script(
            "space demo referential=c2i2e delay=4d\nmember alice\nat 2026-09-07T09:00\n"
            "alice in sos: Comment partager un fichier sans ENT ?\n"
            "alice dm: /declare B2-3 ma séquence\n"
        )
        templates = [d.template for d in replay.delivered]
        assert "sos/received" in templates
        assert "errors/unknown_command" in templates
        assert "privacy/welcome" not in templates  # the privacy capability is not wired
    finally:
        await replay.close()


def test_core_defaults_to_the_full_wiring(tmp_path: Path) -> None:
    core = Core(Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"), FakeClock(START))
    assert core.registry.capabilities == list(CAPABILITIES)


def test_the_core_does_not_import_adapters() -> None:
    """Adapters implement the core's port (bot/ports.py); only the entry points assemble them."""
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ENTRY_POINTS or "/migrations/" in rel:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if (module or "").startswith("adapters") or any(n.startswith("adapters") for n in names):
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []
