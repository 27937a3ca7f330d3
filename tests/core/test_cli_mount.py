"""Every sub-command of `ticebot` is mounted; one that cannot be loaded stops the CLI with its name."""

from __future__ import annotations

import sys

import pytest
import typer
from typer.testing import CliRunner

from bot import cli

EXPECTED = {"db", "referential", "tagging", "tag", "export", "digest", "member", "outbox", "events", "demo", "replay",
            "simulate", "run"}


def _names(app: typer.Typer) -> set[str]:
    groups = {g.name for g in app.registered_groups}
    commands = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return groups | commands


def test_every_sub_command_is_mounted() -> None:
    target = cli.build_app()
    assert EXPECTED <= _names(target)


def test_a_sub_command_that_fails_to_import_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bot.digest.cli", None)  # what a broken install looks like to import
    with pytest.raises(cli.SubcommandUnavailable, match=r"digest.*bot\.digest\.cli"):
        cli.build_app()


def test_main_exits_1_with_one_line_when_a_sub_command_is_missing(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "bot.privacy.cli", None)
    monkeypatch.setattr(sys, "argv", ["ticebot", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "member" in err[0] and "bot.privacy.cli" in err[0]


def test_the_built_app_answers_help_for_a_mounted_group() -> None:
    result = CliRunner().invoke(cli.build_app(), ["digest", "--help"])
    assert result.exit_code == 0 and "preview" in result.output
