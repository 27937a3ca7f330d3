"""The CLI as a user meets it: demo, replay (text and JSON), simulate, run with bad config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import _mount, app

_mount()
runner = CliRunner()

SCRIPT = """space demo referential=c2i2e delay=4d
member alice
trainer fabienne
at 2026-09-07T09:00
alice in sos: Comment projeter mon écran sans fil ?
+1d
fabienne reply: Avec l'adaptateur du placard.
expect no sos/referent
"""


def test_demo_runs_the_scenario_and_exits_cleanly_without_a_terminal() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "demo"], input="", capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "[sos/nudge]" in result.stdout and "[sos/resolved]" in result.stdout


def test_replay_json_prints_one_action_per_line_with_template_names(tmp_path: Path) -> None:
    script = tmp_path / "s.tice"
    script.write_text(SCRIPT, encoding="utf-8")
    result = runner.invoke(app, ["replay", str(script), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line["template"] for line in lines if line["template"] and not line["template"].startswith("privacy/")
            ] == ["sos/received", "sos/nudge"]
    assert set(lines[0]) == {"at", "kind", "channel", "thread", "to", "template", "text"}
    nudge = next(line for line in lines if line["template"] == "sos/nudge")
    assert nudge["at"].startswith("2026-09-08T09:00") and nudge["channel"] == "sos" and nudge["thread"]


def test_a_failed_expectation_or_a_bad_line_exits_1_with_the_line_number(tmp_path: Path) -> None:
    script = tmp_path / "s.tice"
    script.write_text(SCRIPT.replace("expect no sos/referent", "expect sos/breach_thread"), encoding="utf-8")
    result = runner.invoke(app, ["replay", str(script)])
    assert result.exit_code == 1 and "ligne 8" in result.output
    script.write_text("alice dance\n", encoding="utf-8")
    result = runner.invoke(app, ["replay", str(script)])
    assert result.exit_code == 1 and "ligne 1" in result.output


def test_simulate_is_deterministic_and_the_ladder_helps() -> None:
    first = runner.invoke(app, ["simulate", "--days", "21", "--seed", "3", "--json"])
    second = runner.invoke(app, ["simulate", "--days", "21", "--seed", "3", "--json"])
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    data = json.loads(first.output)
    for run in ("without_bot", "with_bot"):
        assert {"questions", "answered_within_deadline_ratio", "median_first_response_hours",
                "p90_first_response_hours", "breaches"} <= set(data[run])
    assert data["with_bot"]["questions"] == data["without_bot"]["questions"] > 0
    assert data["with_bot"]["breaches"] <= data["without_bot"]["breaches"]


def test_malformed_config_names_the_key_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "ticebot.toml"
    config.write_text('[[spaces]]\nid = "x"\nsos = { delay = "quatre jours" }\n', encoding="utf-8")
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 2
    assert "spaces.0.sos.delay" in result.output
    config.write_text("[database\n", encoding="utf-8")
    assert runner.invoke(app, ["run", "--config", str(config)]).exit_code == 2


def test_unknown_referential_in_config_is_refused_at_start(tmp_path: Path) -> None:
    config = tmp_path / "ticebot.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/t.db"\n[discord]\n'
                      '[[spaces]]\nid = "x"\nreferential = "b2i"\n', encoding="utf-8")
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 2 and "b2i" in result.output


def test_an_unreachable_database_at_start_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "ticebot.toml"
    config.write_text(f'[database]\nurl = "postgresql+asyncpg://ticebot:secret@127.0.0.1:{port}/x"\n[discord]\n'
                      '[[spaces]]\nid = "x"\n', encoding="utf-8")
    result = runner.invoke(app, ["run", "--config", str(config)], env={"TICEBOT_DISCORD_TOKEN": "t"})
    assert result.exit_code == 2
    assert "injoignable" in result.output and "secret" not in result.output
